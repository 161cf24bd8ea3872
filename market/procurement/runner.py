"""The due-time runner: applies deadline transitions. Idempotent; safe to call on any read."""

from sqlalchemy import select

from ..core.clock import utcnow
from ..extensions import db
from .models import Notice


def _handlers():
    # Imported here: those modules use apply_due() from this one.
    from .contracts import end_publicity
    from .selection import close_bidding

    return {"published": close_bidding, "publicity": end_publicity}


def apply_due(notice, now=None) -> bool:
    """Apply every transition of `notice` that is due at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    while notice.due_dt is not None and notice.due_dt <= now:
        handler = _handlers().get(notice.state)
        if handler is None:
            notice.due_dt = None
            break
        handler(notice, notice.due_dt)
        changed = True
    return changed


def run_due(now=None) -> int:
    """Apply due transitions on all notices; returns how many notices changed."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Notice).where(Notice.due_dt <= now).order_by(Notice.due_dt)
    ).all()
    return sum(apply_due(notice, now) for notice in due)
