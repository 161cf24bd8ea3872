"""Recording work that failed on another domain's behalf (see listeners.py)."""

from flask import current_app

from ..extensions import db
from .clock import utcnow
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
