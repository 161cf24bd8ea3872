"""Changing a sealed quote before the deadline: replacing it (a new commitment, the old one
kept as a superseded receipt) or withdrawing it; and why an agency cannot quote at all."""

from datetime import datetime

from sqlalchemy import select

from ..agencies import services as agencies
from ..agencies.qualifications import usable_qualifications
from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..extensions import db
from .bids import (
    check_bidder,
    check_required_qualification,
    check_taking_quotes,
    lock_own_quote,
    quote_amount,
    quote_attachments,
    restate,
)
from .models import Bid, BidReceipt, Notice

#: what a superseded receipt says, by its reason
SUPERSEDED_LABELS = {"replaced": _l("已替换"), "withdrawn": _l("已撤回")}
#: no standing quote to change, by the change
NOTHING_TO = {"replace": _l("本机构没有可修改的报价"), "withdraw": _l("本机构没有可撤回的报价")}


def _supersede(bid: Bid, reason: str, at: datetime) -> BidReceipt:
    """Keep the commitment the bid stood on until `at` as a receipt of its own."""
    receipt = BidReceipt(
        bid_id=bid.id,
        commitment=bid.commitment,
        submitted_dt=bid.submitted_dt,
        superseded_dt=at,
        reason=reason,
    )
    db.session.add(receipt)
    return receipt


def _standing_own(notice: Notice, agency_id: int, received: datetime, action: str) -> Bid:
    """The agency's quote on the notice, locked, still standing and before the deadline."""
    bid = lock_own_quote(notice, agency_id, received)
    check_taking_quotes(notice, received)
    if bid is None or bid.status == "withdrawn":
        raise ServiceError(str(NOTHING_TO[action]))
    return bid


def replace_bid(
    user,
    notice: Notice,
    amount_fen: int | None,
    plan: str,
    qualification_ids=(),
    document_ids=(),
    *,
    ip: str = "",
    received: datetime | None = None,
) -> Bid:
    """Replace the agency's standing quote before the deadline: the checks of a new quote,
    a new nonce and commitment; the old commitment is kept as a superseded receipt."""
    received = received or utcnow()
    agency = agencies.agency_of(user)
    check_bidder(agency, notice)
    qualifications, documents = quote_attachments(
        agency.org_id, notice, qualification_ids, document_ids
    )
    bid = _standing_own(notice, agency.org_id, received, "replace")
    if bid.status == "invalidated":
        raise ServiceError(_("公告已修改，本机构原报价已失效，请重新确认报价"))
    amount = quote_amount(notice, amount_fen)
    _supersede(bid, "replaced", received)
    restate(bid, user, notice, amount, plan, qualifications, documents, received, ip)
    # Private like the quote itself: not even the change may show before the deadline.
    record_event(
        "bid", bid.id, "bid_replaced", actor=user, public=False, data={"notice_id": notice.id}
    )
    return bid


def withdraw_bid(user, notice: Notice, *, received: datetime | None = None) -> Bid:
    """Withdraw the agency's quote before the deadline: it takes part in nothing from now on
    and its commitment is kept as a superseded receipt; the agency may quote again."""
    received = received or utcnow()
    agency = agencies.agency_of(user)
    bid = _standing_own(notice, agency.org_id, received, "withdraw")
    _supersede(bid, "withdrawn", received)
    bid.status = "withdrawn"
    # The nonce goes with the commitment: a withdrawn quote has nothing left to open.
    bid.commitment = ""
    bid.nonce = ""
    db.session.flush()
    record_event(
        "bid", bid.id, "bid_withdrawn", actor=user, public=False, data={"notice_id": notice.id}
    )
    return bid


def quote_barrier(user, notice: Notice) -> str:
    """Why the user's agency cannot quote on the notice at all (the quote service's own
    checks: invitation, avoidance, suspension, blacklist, the item, the required
    qualification), or "" if it may."""
    agency = agencies.agency_of(user)
    try:
        check_bidder(agency, notice)
        if notice.requires_qualification:
            usable = usable_qualifications(agency.org_id, notice.item_id)
            check_required_qualification(notice, usable)
    except ServiceError as err:
        return err.message
    return ""


def receipts_of(bid: Bid | None) -> list[BidReceipt]:
    """The bid's superseded receipts, oldest first (for its agency, or once opened)."""
    if bid is None:
        return []
    return list(
        db.session.scalars(
            select(BidReceipt).where(BidReceipt.bid_id == bid.id).order_by(BidReceipt.id)
        )
    )


def superseded_receipts(notice: Notice) -> dict[int, list[BidReceipt]]:
    """Every superseded receipt of the notice's bids by bid id, oldest first: published
    with the commitments once the quotes are opened, never before."""
    rows = db.session.scalars(
        select(BidReceipt)
        .join(Bid, Bid.id == BidReceipt.bid_id)
        .where(Bid.notice_id == notice.id)
        .order_by(BidReceipt.id)
    )
    found: dict[int, list[BidReceipt]] = {}
    for receipt in rows:
        found.setdefault(receipt.bid_id, []).append(receipt)
    return found
