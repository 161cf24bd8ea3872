"""Signing a user in and out of this browser (the view side of accounts/sessions.py)."""

from flask import session
from flask_login import login_user, logout_user

from ..extensions import db
from . import sessions


def sign_in(user, remember: bool = False) -> None:
    """Start a login session for `user` in this browser and commit it. Nothing the session
    held before the login carries over (a session fixed by someone else is worthless)."""
    sessions.start_session(user, remember=remember)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)


def sign_out(user) -> None:
    """End every login session of `user`, in this browser and any other, and commit."""
    sessions.end_sessions(user)
    db.session.commit()
    session.clear()
    logout_user()  # after the clear: it leaves the order to delete the remember cookie


def restored_from_cookie(sender, user) -> None:
    """A remembered login came back through its cookie: give it a new token, so that the
    cookie is rewritten and a copy of the old one no longer works."""
    sessions.renew_session(user)
    db.session.commit()
    session["_user_id"] = user.get_id()
    session["_remember"] = "set"
