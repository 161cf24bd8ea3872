"""Login sessions kept in the database: a cookie is worth only as long as its row.

The session cookie and the remember-me cookie carry ``"<user id>.<token>"``. The token is
random per login and stored hashed; logout and a password change end every session of the
user, a remembered session gets a new token each time it is restored from its cookie, and
every session ends at its expiry whatever the cookie says.
"""

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import ColumnElement, Select, bindparam, delete, select, update
from sqlalchemy.orm import contains_eager

from ..core.clock import utcnow
from ..extensions import db
from .models import LoginSession, Membership, User

_SESSION_ID = re.compile(r"^([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    config = current_app.config
    if remember:
        duration = config["REMEMBER_COOKIE_DURATION"]
        return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
    return timedelta(hours=config["LOGIN_SESSION_HOURS"])


def start_session(user: User, remember: bool = False) -> str:
    """Open a login session for `user`; its token is set on the user for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_hash(token),
            remember=remember,
            created_dt=now,
            expires_dt=now + _lifetime(remember),
        )
    )
    db.session.flush()
    user.login_token = token
    return token


#: facts other domains read with the signed-in user on every request (register_user_fact)
_USER_FACTS: dict[str, Callable[[], ColumnElement]] = {}


def register_user_fact(name: str, column: Callable[[], ColumnElement]) -> None:
    """Read `column()` with the signed-in user at every request, as `user.facts[name]`: a
    scalar subquery, which may read the user's `Membership` row (the organisation's unread
    notifications). Registered at start-up, before the first request."""
    _USER_FACTS[name] = column
    _user_query.cache_clear()


@cache
def _user_query() -> tuple[Select, tuple[str, ...]]:
    # Built once: every signed-in request runs it. Every page asks who the user is, for which
    # organisation, and what the header shows of them: one query for all.
    names = tuple(_USER_FACTS)
    stmt = (
        select(User, *(_USER_FACTS[name]().label(name) for name in names))
        .join(LoginSession, LoginSession.user_id == User.id)
        .outerjoin(Membership, Membership.user_id == User.id)
        .options(contains_eager(User.membership).joinedload(Membership.organisation))
        .where(
            User.id == bindparam("user_id"),
            User.active.is_(True),
            LoginSession.token_hash == bindparam("token_hash"),
            LoginSession.ended_dt.is_(None),
            LoginSession.expires_dt > bindparam("now"),
        )
    )
    return stmt, names


def user_for_session(session_id: str) -> User | None:
    """The active user whose live login session `session_id` names, or None."""
    match = _SESSION_ID.match(session_id or "")
    if match is None:
        return None
    user_id, token = int(match[1]), match[2]
    stmt, names = _user_query()
    row = db.session.execute(
        stmt, {"user_id": user_id, "token_hash": _hash(token), "now": utcnow()}
    ).first()
    if row is None:
        return None
    user = row[0]
    user.login_token = token
    user.facts = dict(zip(names, row[1:], strict=True))
    return user


def renew_session(user: User) -> str:
    """Replace the user's current session by a new one with a new token (a remembered login
    restored from its cookie): a stolen copy of the old cookie stops working."""
    old = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == _hash(user.login_token or ""))
    )
    remember = old.remember if old is not None else False
    if old is not None:
        old.ended_dt = utcnow()
    return start_session(user, remember=remember)


def end_sessions(user: User, keep_current: bool = False) -> int:
    """End every live login session of `user` (logout, a password reset): each cookie copy,
    in any browser, stops working; with `keep_current`, all but the one `user` was loaded for
    (a password changed while signed in). Returns how many were ended."""
    now = utcnow()
    stmt = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_dt.is_(None)
    )
    if keep_current and user.login_token:
        stmt = stmt.where(LoginSession.token_hash != _hash(user.login_token))
    result = db.session.execute(stmt.values(ended_dt=now))
    if not keep_current:
        user.login_token = None
    return result.rowcount


def purge_sessions() -> int:
    """Delete sessions ended or expired more than a day ago (the worker's task)."""
    cutoff = utcnow() - timedelta(days=1)
    result = db.session.execute(
        delete(LoginSession).where(
            (LoginSession.expires_dt < cutoff) | (LoginSession.ended_dt < cutoff)
        )
    )
    return result.rowcount
