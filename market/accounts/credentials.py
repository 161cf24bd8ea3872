"""A signed-in user's password and login e-mail, and the password reset by mailed link.

Links are signed tokens naming what they change, so no table holds them: a reset link names the
user's password hash as it was (it dies once used, or once the password changes otherwise) and
its time (valid PASSWORD_RESET_MINUTES); an e-mail change link names the address it replaces
(it dies once used) and its time (valid EMAIL_CHANGE_LINK_HOURS). Both are read on the
application's clock."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import ServiceError, raise_all
from ..core.i18n import _, _l
from ..extensions import db
from .models import User
from .passwords import check_password
from .services import _unused_hash
from .sessions import end_sessions

RESET_SALT = "password-reset"
EMAIL_SALT = "email-change"

WRONG_CURRENT = _l("当前密码不正确")
RESET_UNUSABLE = _l("该重置链接已使用过或已失效（密码在此之后已被修改）。如仍需重置，请重新申请。")
EMAIL_LINK_UNUSABLE = _l("该确认链接已使用过或已失效。如仍需修改登录邮箱，请登录后重新提交。")


def reset_minutes() -> int:
    """How long a password reset link is valid, in minutes."""
    return current_app.config["PASSWORD_RESET_MINUTES"]


def email_change_hours() -> int:
    """How long an e-mail change link is valid, in hours."""
    return current_app.config["EMAIL_CHANGE_LINK_HOURS"]


def _signer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _opened(salt: str, token: str, invalid: str, size: int) -> list:
    """The values a link's token was signed with; ServiceError(`invalid`) for anything else."""
    try:
        values = _signer(salt).loads(token or "")
    except (BadSignature, ValueError, TypeError) as exc:
        raise ServiceError(invalid) from exc
    if not isinstance(values, list) or len(values) != size or not isinstance(values[0], int):
        raise ServiceError(invalid)
    return values


def _issued(value, invalid: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ServiceError(invalid) from exc


def _fingerprint(password_hash: str) -> str:
    # A digest of the hash, not the hash: the link is read in mail clients and logs.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def _user_inputs(user: User) -> tuple[str, ...]:
    org = user.organisation
    return (user.name, org.name if org else "")


# --- a signed-in user changes the password ----------------------------------------------------


def change_password(user: User, current: str, new: str) -> int:
    """Set a new password after the current one is given; every other login session of the
    user ends (this browser's goes on). Returns how many sessions were ended."""
    if not user.check_password(current or ""):
        raise ServiceError(WRONG_CURRENT, "current_password")
    check_password(new, user.email, _user_inputs(user))
    if user.check_password(new):
        raise ServiceError(_("新密码不能与当前密码相同"), "password")
    user.set_password(new)
    ended = end_sessions(user, keep_current=True)
    record_event(
        "user",
        user.id,
        "password_changed",
        actor=user,
        public=False,
        data={"sessions_ended": ended},
    )
    db.session.flush()
    return ended


# --- forgotten password: a link by mail ----------------------------------------------------------


def _reset_token(user_id: int, password_hash: str) -> str:
    return _signer(RESET_SALT).dumps([user_id, _fingerprint(password_hash), utcnow().isoformat()])


def password_reset_for(email: str) -> tuple[User | None, str]:
    """The active user a reset was asked for (None for an unknown or deactivated address) and
    the token of their link. An unknown address costs the same work: a token is signed for a
    stand-in, so the answer's time does not tell whether the address has an account."""
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None or not user.active:
        return None, _reset_token(0, _unused_hash(current_app.config["PASSWORD_HASH_METHOD"]))
    return user, _reset_token(user.id, user.password_hash)


def user_for_reset(token: str) -> User:
    """The user a reset link was made for, while it is usable; ServiceError saying why not."""
    invalid = _("重置链接无效。请核对链接是否完整，或重新申请。")
    user_id, fingerprint, issued = _opened(RESET_SALT, token, invalid, 3)
    user = db.session.get(User, user_id)
    if user is None or not user.active or fingerprint != _fingerprint(user.password_hash):
        raise ServiceError(RESET_UNUSABLE)
    minutes = reset_minutes()
    if utcnow() > _issued(issued, invalid) + timedelta(minutes=minutes):
        raise ServiceError(
            _("该重置链接已超过 %(minutes)s 分钟有效期，已失效。请重新申请。", minutes=minutes)
        )
    return user


def reset_password(token: str, new: str) -> User:
    """Set the password from a reset link: every login session ends, a lock after wrong
    passwords is lifted, an address still waiting for confirmation is confirmed (the link
    reached it); the link then stops working."""
    user = user_for_reset(token)
    check_password(new, user.email, _user_inputs(user))
    user.set_password(new)
    unlocked = user.locked_dt is not None
    user.locked_dt = None
    user.failed_logins = 0
    confirmed = user.confirmation_sent_dt is not None
    user.confirmation_sent_dt = None
    ended = end_sessions(user)
    record_event(
        "user",
        user.id,
        "password_reset",
        actor=user,
        public=False,
        data={"sessions_ended": ended, "unlocked": unlocked, "email_confirmed": confirmed},
    )
    db.session.flush()
    return user


# --- a new login e-mail, confirmed from its own mailbox -----------------------------------------


@dataclass
class EmailChange:
    """A change asked for: the new address, and its link's token, or None if another account
    uses that address (it is told so instead; the form answers alike)."""

    address: str
    token: str | None


def request_email_change(user: User, new_email: str, password: str) -> EmailChange:
    """Check the new address and the current password; the address changes only once the link
    mailed to it is opened."""
    errors = []
    try:
        address = validate_email((new_email or "").strip(), check_deliverability=False)
        address = address.normalized.lower()
    except EmailNotValidError:
        errors.append(ServiceError(_("邮箱格式不正确"), "email"))
        address = ""
    if address and len(address) > 120:
        errors.append(ServiceError(_("邮箱不能超过 120 个字符"), "email"))
    if address == user.email.lower():
        errors.append(ServiceError(_("新邮箱与当前登录邮箱相同"), "email"))
    if not user.check_password(password or ""):
        errors.append(ServiceError(WRONG_CURRENT, "password"))
    if errors:
        raise_all(errors)
    taken = db.session.scalar(select(User.id).where(func.lower(User.email) == address))
    token = _signer(EMAIL_SALT).dumps([user.id, user.email, address, utcnow().isoformat()])
    return EmailChange(address, None if taken is not None else token)


def confirm_email_change(token: str) -> tuple[User, str]:
    """Change the login e-mail from the link opened in the new mailbox; returns the user and
    the address replaced (to be told)."""
    invalid = _("确认链接无效。请核对链接是否完整，或登录后重新提交修改。")
    user_id, old, new, issued = _opened(EMAIL_SALT, token, invalid, 4)
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.email != old:
        raise ServiceError(EMAIL_LINK_UNUSABLE)
    hours = email_change_hours()
    if utcnow() > _issued(issued, invalid) + timedelta(hours=hours):
        raise ServiceError(
            _("该确认链接已超过 %(hours)s 小时有效期，已失效。请登录后重新提交修改。", hours=hours)
        )
    # Registered since the link was sent: the one who holds the mailbox learns it, no one else.
    if db.session.scalar(select(User.id).where(func.lower(User.email) == new)) is not None:
        raise ServiceError(_("该邮箱已有账号，不能用作本账号的登录邮箱。"))
    user.email = new
    record_event(
        "user", user.id, "email_changed", actor=user, public=False, data={"from": old, "to": new}
    )
    db.session.flush()
    return user, old
