"""Credit's background work (core.worker): standing that changes with time alone.

Every minute, the agencies whose standing moved since the last round because something
expired (a record's publication or measure ended, a red-list entry ended, an evaluation left
the 12-month window) are recomputed. Once a day, after CREDIT_NIGHTLY_AT (local time), the
nightly run reports overdue deliveries and recomputes every agency (`flask credit recompute`
does the same from cron)."""

from datetime import datetime, time

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import and_, or_, select, union

from ..core.clock import from_local, local_today, utcnow
from ..core.models import WorkerMark
from ..extensions import db
from ..procurement.contract_models import Contract, Evaluation
from .models import ConductRecord, RedListEntry
from .records.listeners import report_overdue_deliveries
from .standing import recompute_agency, recompute_all

EXPIRIES = "credit-expiries"
NIGHTLY = "credit-nightly"


def _mark(name: str, now: datetime) -> WorkerMark:
    mark = db.session.get(WorkerMark, name)
    if mark is None:
        mark = WorkerMark(name=name, done_until=now)
        db.session.add(mark)
    return mark


def expired_between(since: datetime, now: datetime) -> list[int]:
    """Agencies with something that stopped counting in (since, now]."""
    months = current_app.config["CREDIT_EVALUATION_MONTHS"]
    window = relativedelta(months=months)

    def ended(column):
        return and_(column > since, column <= now)

    records = select(ConductRecord.subject_org_id).where(
        ConductRecord.party == "agency",
        or_(ended(ConductRecord.publication_end_dt), ended(ConductRecord.measure_end_dt)),
    )
    red_list = select(RedListEntry.agency_org_id).where(ended(RedListEntry.end_dt))
    evaluations = (
        select(Contract.agency_org_id)
        .join(Evaluation, Evaluation.contract_id == Contract.id)
        .where(
            Evaluation.direction == "of_agency",
            Evaluation.created_dt > since - window,
            Evaluation.created_dt <= now - window,
        )
    )
    return sorted(db.session.scalars(union(records, red_list, evaluations)))


def recompute_expired() -> int:
    """One round: recompute the agencies whose standing expired since the last one."""
    now = utcnow()
    mark = _mark(EXPIRIES, now)
    agencies = expired_between(mark.done_until, now) if mark.done_until < now else []
    for org_id in agencies:
        recompute_agency(org_id, cause="expiry", now=now)
    mark.done_until = now
    db.session.commit()
    return len(agencies)


def nightly() -> int:
    """The nightly run, once per local day after CREDIT_NIGHTLY_AT; 1 if it ran now."""
    hour, minute = (int(part) for part in current_app.config["CREDIT_NIGHTLY_AT"].split(":"))
    today = local_today()
    start = from_local(datetime.combine(today, time(hour, minute)))
    now = utcnow()
    mark = db.session.get(WorkerMark, NIGHTLY)
    if now < start or (mark is not None and mark.done_until >= start):
        return 0
    report_overdue_deliveries(now)
    recompute_all(now)
    _mark(NIGHTLY, now).done_until = now
    db.session.commit()
    return 1
