"""Shared building blocks: clock, money, working days, audit log, errors, auth, signals."""


def init_app(app):
    from . import models  # noqa: F401  (tables belong to the metadata)
    from .errors import register_error_handlers
    from .templating import register_templating

    register_error_handlers(app)
    register_templating(app)
