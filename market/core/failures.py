"""Work that failed on another domain's behalf (see listeners.py): recorded, listed for
regulators and operators, marked handled once someone has dealt with it."""

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .clock import utcnow
from .errors import NotAllowed, ServiceError
from .i18n import _
from .models import ListenerFailure

#: app.extensions key: failures recorded in this process (tests assert there are none)
SEEN_KEY = "market_listener_failures"


def _name(listener) -> str:
    module = getattr(listener, "__module__", "") or ""
    return f"{module}.{getattr(listener, '__qualname__', repr(listener))}"[:200]


def _subject(sender) -> tuple[str, int | None]:
    table = getattr(sender, "__tablename__", None)
    ident = getattr(sender, "id", None)
    if table is None or not isinstance(ident, int):
        return "", None
    return table.removesuffix("s")[:40], ident


def record_failure(event: str, listener, sender, error: BaseException) -> ListenerFailure:
    """Log the failure and add a row for supervisors (written with the caller's transaction)."""
    subject_type, subject_id = _subject(sender)
    message = f"{type(error).__name__}: {error}"[:2000]
    current_app.logger.error(
        "listener %s failed on %s (%s %s): %s",
        _name(listener),
        event,
        subject_type,
        subject_id,
        message,
        exc_info=error,
    )
    row = ListenerFailure(
        occurred_dt=utcnow(),
        event=event[:80],
        listener=_name(listener),
        subject_type=subject_type,
        subject_id=subject_id,
        message=message,
    )
    db.session.add(row)
    current_app.extensions.setdefault(SEEN_KEY, []).append(row)
    return row


def unhandled_query():
    """Failures nobody has marked handled yet, newest first."""
    return (
        select(ListenerFailure)
        .where(ListenerFailure.handled_dt.is_(None))
        .order_by(ListenerFailure.occurred_dt.desc(), ListenerFailure.id.desc())
    )


def mark_handled(user, failure_id: int) -> ListenerFailure:
    """A supervisor has looked into a failure and dealt with it (the work was redone, or was
    not needed): it leaves the list of unhandled failures."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind not in ("regulator", "operator"):
        raise NotAllowed(_("只有监管部门和平台运营方可以处理系统异常"))
    failure = db.session.get(ListenerFailure, failure_id)
    if failure is None:
        raise ServiceError(_("该异常记录不存在"))
    if failure.handled_dt is not None:
        raise ServiceError(_("该异常已标记为已处理"))
    failure.handled_dt = utcnow()
    failure.handled_by_id = user.id
    db.session.flush()
    return failure
