"""The due-time runner: applies deadline transitions. Idempotent; safe to call on any read."""

from sqlalchemy import select

from ..core.clock import utcnow
from ..core.signals import contract_awarded
from ..extensions import db
from .models import Contract, Notice
from .states import transition


def _close_bidding(notice, at):
    if notice.bids:
        transition(notice, "bidding_closed", None, at=at, bids=len(notice.bids))
    else:
        notice.outcome_note = "报价截止时无机构报价"
        transition(notice, "failed", None, at=at, reason="no_bids")


def _award(notice, at):
    bid = notice.selected_bid
    transition(notice, "awarded", None, at=at, bid_id=bid.id)
    contract = Contract(
        notice=notice,
        bid=bid,
        purchaser_org_id=notice.purchaser_org_id,
        agency_org_id=bid.agency_org_id,
        amount_fen=bid.amount_fen,
        created_dt=at,
    )
    db.session.add(contract)
    db.session.flush()
    transition(notice, "contracted", None, at=at, contract_id=contract.id)
    contract_awarded.send(contract)


_HANDLERS = {"published": _close_bidding, "publicity": _award}


def apply_due(notice, now=None) -> bool:
    """Apply every transition of `notice` that is due at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    while notice.due_dt is not None and notice.due_dt <= now:
        handler = _HANDLERS.get(notice.state)
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
