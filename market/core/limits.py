"""Abuse limits: how often one address (or one signed-in user) may log in, register, quote
or download the open lists, declared in one table (config RATELIMITS) and enforced by
Flask-Limiter.

Counts are kept in the process (memory://) unless RATELIMIT_STORAGE_URI names a shared store
(redis://…), which several app hosts need so that a limit holds across them.
"""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

EXTENSION_KEY = "market.limiter"


def _user_or_address() -> str:
    # A signed-in user's requests count together from any address; anonymous ones by address.
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


KEY_FUNCS = {"address": get_remote_address, "user": _user_or_address}


def limiter(app=None) -> Limiter:
    """The application's limiter (tests switch it on and off with `.enabled`)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def register_limits(app) -> Limiter:
    """Apply RATELIMITS to the registered views (called once every blueprint is in)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "market")
    limits = Limiter(key_func=get_remote_address)
    for endpoint, (methods, rule, key) in app.config["RATELIMITS"].items():
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limits.limit(
            rule, methods=list(methods), key_func=KEY_FUNCS[key]
        )(view)
    limits.init_app(app)
    # Every limit is declared on its view, whose wrapper checks it when the view runs. The
    # extension's own check before every request looks for limits on all requests, and there
    # are none: it cost a tenth of a cheap page's time, on every page.
    # (With RATELIMIT_ENABLED off the extension registers no such check at all.)
    checks = app.before_request_funcs.get(None, [])
    if limits._check_request_limit in checks:
        checks.remove(limits._check_request_limit)
    app.extensions[EXTENSION_KEY] = limits
    return limits
