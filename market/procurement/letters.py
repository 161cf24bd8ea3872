"""The letters a selection's outcome gives its bidders, as PDF: the award notice (中选通知书)
to the winner and its purchaser, and a notice of non-selection (未中选通知) to each other
bidder with the reason its quote was not chosen. Both exist once the award is final: the
publicity ended with no objection upheld and the contract was drawn up."""

import os
from dataclasses import dataclass

from flask import url_for

from ..core.i18n import _l
from ..core.pdf import render_pdf
from .models import BID_STATUS, Bid, Notice
from .payment_plan import EVENTS

STYLESHEET = os.path.join(os.path.dirname(__file__), "letter.css")

#: why a bid that was not chosen took no part or lost, as the letter says it
NOT_CHOSEN = {
    "submitted": _l("经选取，贵机构未被确定为中选机构"),
    "invalidated": _l("公告修改后，贵机构的报价未在报价截止前重新确认，未参加选取"),
    "excluded": _l("因异议成立，贵机构的报价被排除，未参加重新选取"),
    "withdrawn": _l("贵机构已在报价截止前撤回报价，未参加选取"),
}


@dataclass(frozen=True)
class Letters:
    """Which letters of a notice a user may download."""

    award: bool = False
    outcome: bool = False

    @property
    def any(self) -> bool:
        return self.award or self.outcome


def _org_id(user):
    org = getattr(user, "organisation", None) if user is not None else None
    return org.id if org is not None else None


def own_losing_bid(notice: Notice, user) -> Bid | None:
    """The user's organisation's bid on a notice whose award is final, if it did not win."""
    org_id = _org_id(user)
    if notice.contract is None or org_id is None or org_id == notice.contract.agency_org_id:
        return None
    return next((b for b in notice.bids if b.agency_org_id == org_id), None)


def letters_for(notice: Notice, user) -> Letters:
    """The letters `user` may download: the award notice for the two parties of the award,
    the notice of non-selection for each other bidder; none before the award is final."""
    contract = notice.contract
    org_id = _org_id(user)
    if contract is None or org_id is None:
        return Letters()
    return Letters(
        award=org_id in (contract.agency_org_id, contract.purchaser_org_id),
        outcome=own_losing_bid(notice, user) is not None,
    )


def _common(notice: Notice) -> dict:
    return {
        "notice": notice,
        "contract": notice.contract,
        "winner": notice.contract.bid,
        "events": EVENTS,
        "public_url": url_for("procurement.detail", notice_id=notice.id, _external=True),
    }


def award_letter_pdf(notice: Notice) -> bytes:
    """The award notice (中选通知书) of a notice whose award is final."""
    return render_pdf(
        "procurement/letters/award.html",
        STYLESHEET,
        number=f"ZX{notice.contract.number[2:]}",
        **_common(notice),
    )


def outcome_letter_pdf(notice: Notice, bid: Bid) -> bytes:
    """The notice of non-selection (未中选通知) for `bid`, one that did not win."""
    return render_pdf(
        "procurement/letters/outcome.html",
        STYLESHEET,
        number=f"WZX{notice.contract.number[2:]}-{bid.id}",
        bid=bid,
        reason=NOT_CHOSEN.get(bid.status, BID_STATUS.label(bid.status)),
        **_common(notice),
    )
