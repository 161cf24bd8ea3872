"""The in-app inbox and its e-mail: any domain notifies an organisation through
`services.notify`; procurement and credit decide who is told what."""


def init_app(app):
    from ..core import mail
    from . import models  # noqa: F401 (tables)
    from .views import bp, unread_notifications

    mail.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(unread_notifications)
