"""Shared building blocks: clock, money, working days, audit log, errors, auth, signals."""


def init_app(app):
    from . import models  # noqa: F401  (tables belong to the metadata)
    from .errors import register_error_handlers
    from .headers import register_headers
    from .health import register_health
    from .i18n import register_i18n
    from .logs import register_logging
    from .mail import send_outbox
    from .templating import register_templating
    from .worker import register_task

    register_error_handlers(app)
    register_headers(app)
    register_logging(app)
    register_health(app)
    register_templating(app)
    register_i18n(app)
    register_task(app, "mail", send_outbox, app.config["WORKER_INTERVALS"]["mail"])
