"""In-app inbox and e-mail for the events a party must act on; listens to domain signals."""


def init_app(app):
    from ..core import mail, signals
    from . import listeners, models  # noqa: F401
    from .views import bp, unread_notifications

    mail.init_app(app)
    listeners.connect(signals)
    app.register_blueprint(bp)
    app.context_processor(unread_notifications)
