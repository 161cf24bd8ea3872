"""The lists of conduct records each role works from."""

from sqlalchemy import or_, select

from ...core.clock import utcnow
from ...extensions import db
from ..models import ConductRecord
from ..states import CONFIRMED_STATES


def records_query(org, status: str | None = None):
    """A regulator's department's records, a party's own (as recorded party or reporter),
    or everything for operators; newest first."""
    query = select(ConductRecord)
    if org.kind == "regulator":
        query = query.where(ConductRecord.department == (org.department or "").strip())
    elif org.kind != "operator":
        query = query.where(
            or_(
                ConductRecord.subject_org_id == org.id,
                ConductRecord.reported_by_org_id == org.id,
            )
        )
    if status:
        query = query.where(ConductRecord.status == status)
    return query.order_by(ConductRecord.reported_dt.desc(), ConductRecord.id.desc())


def late_disclosures(department: str, now=None) -> list[ConductRecord]:
    """Confirmed records of the department not disclosed within 7 working days."""
    now = now or utcnow()
    return db.session.scalars(
        select(ConductRecord)
        .where(
            ConductRecord.department == (department or "").strip(),
            ConductRecord.status.in_(CONFIRMED_STATES),
            ConductRecord.published_dt.is_(None),
            ConductRecord.publish_due_dt < now,
        )
        .order_by(ConductRecord.publish_due_dt)
    ).all()


def awaiting(department: str, now=None) -> dict[str, list[ConductRecord]]:
    """What the department's regulators have to act on: reports ready for a decision (the
    statement is in or its window over), reports still in their window, appeals, repair
    requests, and confirmed records not yet disclosed."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(ConductRecord)
        .where(
            ConductRecord.department == (department or "").strip(),
            or_(
                ConductRecord.status.in_(("reported", "appealed", "repair_requested")),
                (ConductRecord.status.in_(CONFIRMED_STATES)) & ConductRecord.published_dt.is_(None),
            ),
        )
        .order_by(ConductRecord.reported_dt)
    ).all()
    lists = {"decide": [], "waiting": [], "appeals": [], "repairs": [], "publish": []}
    for record in rows:
        if record.status == "reported":
            ready = record.responded_dt is not None or now > record.response_due_dt
            lists["decide" if ready else "waiting"].append(record)
        elif record.status == "appealed":
            lists["appeals"].append(record)
        elif record.status == "repair_requested":
            lists["repairs"].append(record)
        if record.status in CONFIRMED_STATES and record.published_dt is None:
            lists["publish"].append(record)
    return lists
