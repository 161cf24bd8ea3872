"""Notices, sealed bids, selection, contracts, delivery and evaluation."""


def init_app(app):
    from . import models  # noqa: F401
    from .views import bp

    app.register_blueprint(bp)
