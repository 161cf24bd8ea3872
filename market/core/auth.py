"""Role checks for views."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles):
    """Only logged-in users whose role is one of `roles` may call the view (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
