"""Signing a user in and out of this browser (the view side of accounts/sessions.py)."""

from flask import session
from flask_login import login_user, logout_user

from ..core.i18n import SESSION_KEY as LANGUAGE_KEY
from ..core.i18n import language_choice
from ..extensions import db
from . import sessions


def sign_in(user, remember: bool = False) -> None:
    """Start a login session for `user` in this browser and commit it. Nothing the session
    held before the login carries over (a session fixed by someone else is worthless) but the
    language the visitor chose, which becomes the user's if they had not chosen one."""
    language = language_choice(session.get(LANGUAGE_KEY))
    if language and not user.locale:
        user.locale = language
    sessions.start_session(user, remember=remember)
    db.session.commit()
    session.clear()
    if language:
        session[LANGUAGE_KEY] = language
    login_user(user, remember=remember)


def sign_out(user) -> None:
    """End every login session of `user`, in this browser and any other, and commit."""
    language = language_choice(user.locale) or language_choice(session.get(LANGUAGE_KEY))
    sessions.end_sessions(user)
    db.session.commit()
    session.clear()
    if language:  # the pages stay in the language they were in
        session[LANGUAGE_KEY] = language
    logout_user()  # after the clear: it leaves the order to delete the remember cookie


def restored_from_cookie(sender, user) -> None:
    """A remembered login came back through its cookie: give it a new token, so that the
    cookie is rewritten and a copy of the old one no longer works."""
    sessions.renew_session(user)
    db.session.commit()
    session["_user_id"] = user.get_id()
    session["_remember"] = "set"
