"""Reading the facts the score engine needs and writing the result onto agencies: one agency
after each change, every agency nightly (expiries). History rows only when something moved."""

from dataclasses import replace

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from ..agencies.models import Agency
from ..core.clock import add_months, utcnow
from ..core.signals import standing_changed
from ..extensions import db
from ..procurement.contract_models import Contract, Evaluation
from ..procurement.models import Notice
from .models import ConductRecord, RedListEntry, ScoreSnapshot, ViolationCriterion
from .score import WEIGHING_STATES, RecordFact, RedListFact, Standing, compute, next_change

_RECORD_COLUMNS = (
    ConductRecord.subject_org_id,
    ConductRecord.id,
    ViolationCriterion.code,
    ViolationCriterion.behaviour,
    ConductRecord.status,
    ViolationCriterion.deduction,
    ViolationCriterion.measure,
    ConductRecord.decided_dt,
    ConductRecord.publication_end_dt,
    ConductRecord.measure_end_dt,
    ConductRecord.decision_number,
    ConductRecord.published_dt.is_not(None),  # disclosed: its publication is running
)
_EVALUATION_SUM = (
    Evaluation.quality
    + Evaluation.timeliness
    + Evaluation.attitude
    + Evaluation.fees
    + Evaluation.conduct
)


def _records_query(now):
    return (
        select(*_RECORD_COLUMNS)
        .join(ViolationCriterion, ViolationCriterion.id == ConductRecord.criterion_id)
        .where(
            ConductRecord.party == "agency",
            ConductRecord.status.in_(WEIGHING_STATES),
            ConductRecord.publication_end_dt > now,
        )
    )


def _evaluations_query(now, months: int):
    return _evaluations_between(add_months(now, -months), now)


def _evaluations_between(since, now):
    return (
        select(
            Contract.agency_org_id,
            func.count(Evaluation.id),
            func.sum(_EVALUATION_SUM),
        )
        .join(Contract, Contract.id == Evaluation.contract_id)
        .join(Notice, Notice.id == Contract.notice_id)
        .where(
            Evaluation.direction == "of_agency",
            Notice.state == "evaluated",  # revealed: the blind is never broken
            Evaluation.created_dt > since,
            Evaluation.created_dt <= now,
        )
        .group_by(Contract.agency_org_id)
    )


def _red_list_query(now):
    return select(
        RedListEntry.agency_org_id,
        RedListEntry.id,
        RedListEntry.bonus,
        RedListEntry.start_dt,
        RedListEntry.end_dt,
        RedListEntry.reason,
    ).where(RedListEntry.removed_dt.is_(None), RedListEntry.end_dt > now)


# One agency at a time (after each change, on each credit page): the statements are built
# once with bound parameters; building them on every call cost more than running them.
_ONE_RECORDS = _records_query(bindparam("now")).where(
    ConductRecord.subject_org_id == bindparam("org_id")
)
_ONE_RATINGS = (
    _evaluations_between(bindparam("since"), bindparam("now"))
    .where(Contract.agency_org_id == bindparam("org_id"))
    .add_columns(func.min(Evaluation.created_dt))  # the first to leave the window
)
_ONE_RED_LIST = _red_list_query(bindparam("now")).where(
    RedListEntry.agency_org_id == bindparam("org_id")
)


def _months():
    return current_app.config["CREDIT_EVALUATION_MONTHS"]


def standing_of(org_id: int, now=None) -> Standing:
    """The agency's standing at `now` (default: now), computed from its records,
    evaluations and red-list entries."""
    now = now or utcnow()
    values = {"org_id": org_id, "now": now}
    records = [RecordFact(*row[1:]) for row in db.session.execute(_ONE_RECORDS, values)]
    since = add_months(now, -_months())
    ratings = db.session.execute(_ONE_RATINGS, values | {"since": since}).first()
    count, total, oldest = (ratings[1], ratings[2], ratings[3]) if ratings else (0, 0, None)
    red_list = [RedListFact(*row[1:]) for row in db.session.execute(_ONE_RED_LIST, values)]
    standing = compute(records, count, (total or 0) / 5, red_list, now)
    leaves = add_months(oldest, _months()) if oldest is not None else None
    return replace(standing, changes_at=next_change(records, red_list, now, leaves))


def _changed(agency_row, standing: Standing) -> bool:
    return (
        agency_row.credit_score != standing.score
        or agency_row.credit_grade != standing.grade
        or agency_row.suspended_until != standing.suspended_until
        or agency_row.blacklisted != standing.blacklisted
        or agency_row.blacklisted_until != standing.blacklisted_until
        or agency_row.standing_reason != standing.reason
    )


def _values(standing: Standing) -> dict:
    return {
        "credit_score": standing.score,
        "credit_grade": standing.grade,
        "suspended_until": standing.suspended_until,
        "blacklisted": standing.blacklisted,
        "blacklisted_until": standing.blacklisted_until,
        "standing_reason": standing.reason,
    }


def recompute_agency(org_id: int, cause: str = "", now=None) -> Standing:
    """Recompute one agency and write its standing (and a history row if score or grade
    moved). Announces standing_changed when anything changed."""
    now = now or utcnow()
    agency = db.session.get(Agency, org_id)
    if agency is None:
        return None
    standing = standing_of(org_id, now)
    if not _changed(agency, standing):
        return standing
    moved = agency.credit_score != standing.score or agency.credit_grade != standing.grade
    for name, value in _values(standing).items():
        setattr(agency, name, value)
    if moved:
        db.session.add(
            ScoreSnapshot(
                agency_org_id=org_id,
                computed_dt=now,
                score=standing.score,
                grade=standing.grade,
                cause=cause[:60],
            )
        )
    standing_changed.send(org_id)
    return standing


def recompute_all(now=None, cause: str = "nightly", batch: int = 5000) -> dict:
    """Recompute every agency (nightly: expiries, evaluations leaving the 12-month window) in
    a few set-wise queries; only changed agencies are written. Returns counts."""
    now = now or utcnow()
    records: dict[int, list[RecordFact]] = {}
    for row in db.session.execute(_records_query(now)):
        records.setdefault(row[0], []).append(RecordFact(*row[1:]))
    ratings = {
        row[0]: (row[1], (row[2] or 0) / 5)
        for row in db.session.execute(_evaluations_query(now, _months()))
    }
    red_lists: dict[int, list[RedListFact]] = {}
    for row in db.session.execute(_red_list_query(now)):
        red_lists.setdefault(row[0], []).append(RedListFact(*row[1:]))
    current = db.session.execute(
        select(
            Agency.org_id,
            Agency.credit_score,
            Agency.credit_grade,
            Agency.suspended_until,
            Agency.blacklisted,
            Agency.blacklisted_until,
            Agency.standing_reason,
        )
    ).all()
    updates, history = [], []
    for row in current:
        count, total = ratings.get(row.org_id, (0, 0))
        standing = compute(
            records.get(row.org_id, []), count, total, red_lists.get(row.org_id, []), now
        )
        if not _changed(row, standing):
            continue
        updates.append({"b_org_id": row.org_id, **_values(standing)})
        if row.credit_score != standing.score or row.credit_grade != standing.grade:
            history.append(
                {
                    "agency_org_id": row.org_id,
                    "computed_dt": now,
                    "score": standing.score,
                    "grade": standing.grade,
                    "cause": cause,
                }
            )
    statement = (
        update(Agency.__table__)
        .where(Agency.__table__.c.org_id == bindparam("b_org_id"))
        .values({name: bindparam(name) for name in _values(Standing(100, "A"))})
    )
    connection = db.session.connection()
    for start in range(0, len(updates), batch):
        connection.execute(statement, updates[start : start + batch])
    if history:
        connection.execute(ScoreSnapshot.__table__.insert(), history)
    # The ORM's copies of changed agencies are stale now: reload them on next access.
    db.session.expire_all()
    for change in updates:
        standing_changed.send(change["b_org_id"])
    return {"agencies": len(current), "changed": len(updates), "history": len(history)}


def history_of(org_id: int) -> list[ScoreSnapshot]:
    """The agency's score history, oldest first."""
    return db.session.scalars(_ONE_HISTORY, {"org_id": org_id}).all()


_ONE_HISTORY = (
    select(ScoreSnapshot)
    .where(ScoreSnapshot.agency_org_id == bindparam("org_id"))
    .order_by(ScoreSnapshot.computed_dt, ScoreSnapshot.id)
)
