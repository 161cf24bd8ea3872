"""The catalogue of intermediary services and its public list."""


def init_app(app):
    from . import models  # noqa: F401
    from .views import bp

    app.register_blueprint(bp)
