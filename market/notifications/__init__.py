"""The in-app inbox and its e-mail: any domain notifies an organisation through
`services.notify`; procurement and credit decide who is told what."""


def init_app(app):
    from ..accounts.sessions import register_user_fact
    from ..core import mail
    from . import models  # noqa: F401 (tables)
    from .services import unread_of_member
    from .views import UNREAD_FACT, bp, unread_notifications

    mail.init_app(app)
    # Every signed-in page shows the unread count: read with the user, not a query of its own.
    register_user_fact(UNREAD_FACT, unread_of_member)
    app.register_blueprint(bp)
    app.context_processor(unread_notifications)
