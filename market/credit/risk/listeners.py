"""When the risk rules run: at every closing and award (in the runner's batch, once its
transitions are written), and over the past on demand (`flask credit detect-risks`)."""

from sqlalchemy import func, select

from ...core.batching import defer
from ...core.models import AuditEvent
from ...extensions import db
from ...procurement.contract_models import Contract
from ...procurement.models import Notice
from .awards import detect_award
from .bids import detect_notice
from .rules import RULES


def _detect_closed(notices: list[Notice]) -> None:
    for notice in notices:
        detect_notice(notice)


def _detect_awarded(awards: list[tuple[Notice, object]]) -> None:
    for notice, at in awards:
        detect_award(notice, at)


def on_notice_transitioned(notice, from_state=None, to_state=None, at=None, data=None, **_):
    # In the runner's batch the checks run once its transitions are all written.
    if to_state == "bidding_closed" and not defer(_detect_closed, notice):
        _detect_closed([notice])
    elif to_state == "awarded" and not defer(_detect_awarded, (notice, at)):
        _detect_awarded([(notice, at)])


def connect(signals) -> None:
    signals.notice_transitioned.connect(on_notice_transitioned)


def detect_history(since=None) -> dict[str, int]:
    """Run every rule over past closings and awards (from `since`, aware UTC), oldest first;
    returns the new alerts by rule. Idempotent: known alerts are not repeated."""
    counts = dict.fromkeys(RULES, 0)
    closed = (
        select(AuditEvent.subject_id)
        .where(
            AuditEvent.subject_type == "notice",
            AuditEvent.action == "transition",
            AuditEvent.to_state == "bidding_closed",
        )
        .group_by(AuditEvent.subject_id)
        .order_by(func.min(AuditEvent.occurred_dt), AuditEvent.subject_id)
    )
    if since is not None:
        closed = closed.having(func.max(AuditEvent.occurred_dt) >= since)
    for notice_id in db.session.scalars(closed).all():
        for alert in detect_notice(db.session.get(Notice, notice_id)):
            counts[alert.rule] += 1
    awarded = select(Contract).order_by(Contract.created_dt, Contract.id)
    if since is not None:
        awarded = awarded.where(Contract.created_dt >= since)
    for contract in db.session.scalars(awarded).all():
        for alert in detect_award(contract.notice, contract.created_dt):
            counts[alert.rule] += 1
    return counts
