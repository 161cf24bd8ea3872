"""Selection: closing the bidding and choosing the winner by the notice's method."""

from flask import current_app

from ...core.clock import utcnow
from ...core.errors import ServiceError
from ...core.workdays import add_working_days
from ..models import Bid, Notice
from ..notices import own_notice
from ..runner import apply_due
from ..states import transition


def close_bidding(notice, at):
    if notice.bids:
        transition(notice, "bidding_closed", None, at=at, bids=len(notice.bids))
    else:
        notice.outcome_note = "报价截止时无机构报价"
        transition(notice, "failed", None, at=at, reason="no_bids")


def select_bid(user, notice: Notice, bid_id: int, reason: str) -> Bid:
    """Direct selection (直接选取): the purchaser picks one quote after bidding closes;
    the result then goes into publicity."""
    own_notice(user, notice)
    apply_due(notice)
    if notice.state != "bidding_closed":
        raise ServiceError("只能在报价截止后、选定前选取中选机构")
    bid = next((b for b in notice.bids if b.id == bid_id), None)
    if bid is None:
        raise ServiceError("所选报价不属于该公告")
    if not reason.strip():
        raise ServiceError("请填写选取理由", "reason")
    bid.status = "selected"
    notice.selection_reason = reason.strip()
    transition(
        notice, "selected", user, bid_id=bid.id, agency=bid.agency.name, amount_fen=bid.amount_fen
    )
    days = current_app.config["PUBLICITY_WORKING_DAYS"]
    notice.publicity_end_dt = add_working_days(utcnow(), days)
    transition(notice, "publicity", None, until=notice.publicity_end_dt.isoformat())
    return bid
