"""Reading inboxes in notification tests."""

from sqlalchemy import select

from market.extensions import db
from market.notifications.models import Notification


def inbox(user_or_org_id):
    """The titles in an organisation's inbox (given a user or an org id), oldest first."""
    org_id = getattr(getattr(user_or_org_id, "organisation", None), "id", user_or_org_id)
    return list(
        db.session.scalars(
            select(Notification.title)
            .where(Notification.org_id == org_id)
            .order_by(Notification.id)
        )
    )


def rows(user, kind=None):
    stmt = select(Notification).where(Notification.org_id == user.organisation.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def mailed_to(outbox):
    """(recipient addresses, subject) per message sent."""
    return [(sorted(a.addr_spec for a in m["To"].addresses), m["Subject"]) for m in outbox]
