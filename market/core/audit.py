"""Writing audit events."""

from sqlalchemy import select

from ..extensions import db
from .clock import utcnow
from .models import AuditEvent


def record_event(
    subject_type,
    subject_id,
    action,
    *,
    actor=None,
    from_state=None,
    to_state=None,
    public=True,
    data=None,
    occurred_dt=None,
):
    """Append an audit event for `actor` (a User, or None for the system) and flush it."""
    org = getattr(actor, "organisation", None) if actor is not None else None
    event = AuditEvent(
        occurred_dt=occurred_dt or utcnow(),
        actor_user_id=actor.id if actor is not None else None,
        actor_org_id=org.id if org is not None else None,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        public=public,
        data=data or {},
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_for(subject_type, subject_id, public_only=True):
    """The subject's audit events, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id)
    )
    if public_only:
        stmt = stmt.where(AuditEvent.public.is_(True))
    return list(db.session.scalars(stmt))
