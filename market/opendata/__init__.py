"""Open data: the platform's public records in standard forms anyone can read and re-check
(docs/opendata.md): Atom feeds of notices and results, OCDS releases and records, and the
bulk downloads written once a day."""


def init_app(app):
    from ..core.worker import register_task
    from . import bulk, v1
    from .api import bp as ocds_bp
    from .audit_views import bp as auditpack_bp
    from .bulk_views import bp as bulk_bp
    from .feeds import bp as feeds_bp

    app.register_blueprint(feeds_bp)
    app.register_blueprint(ocds_bp)
    app.register_blueprint(auditpack_bp)
    app.register_blueprint(bulk_bp)
    v1.init_app(app)
    register_task(app, "opendata-bulk", bulk.run, app.config["WORKER_INTERVALS"]["opendata-bulk"])
