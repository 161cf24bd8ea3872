"""In-app inbox and e-mail for the events a party must act on; listens to domain signals."""


def init_app(app):
    from . import models  # noqa: F401
