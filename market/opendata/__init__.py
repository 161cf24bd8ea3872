"""Open data: the platform's public records in standard forms anyone can read and re-check
(docs/opendata.md): Atom feeds of notices and results, OCDS releases and records."""


def init_app(app):
    from .api import bp as ocds_bp
    from .feeds import bp as feeds_bp

    app.register_blueprint(feeds_bp)
    app.register_blueprint(ocds_bp)
