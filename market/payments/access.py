"""Who may do what with a milestone, and what the payments domain's other modules share:
whether payments are online, a milestone's contract's link, the contract's milestones, an
agency's payout account."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..catalogue.models import ServiceItem
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..extensions import db
from ..notifications.services import link_to
from ..procurement import services as procurement
from ..procurement.contract_models import Contract
from ..procurement.models import Notice
from . import gateway
from .models import Milestone, PayoutAccount
from .states import MILESTONE


@dataclass
class Steps:
    """What a user may do with a milestone now (its page offers exactly these)."""

    may_record: bool = False  # the purchaser records a bank transfer (offline)
    may_pay: bool = False  # the purchaser pays online
    may_confirm: bool = False  # the agency confirms or disputes a recorded transfer
    may_decide: bool = False  # the item's regulator decides a dispute
    may_refund: bool = False  # the item's regulator refunds held funds


def steps(user, milestone: Milestone) -> Steps:
    """The steps `user` may take on `milestone` in its state, online or offline."""
    party, state, paying_online = party_of(user, milestone), milestone.state, online()
    return Steps(
        may_record=party == "purchaser" and not paying_online and milestone.unpaid,
        may_pay=party == "purchaser" and paying_online and state in ("due", "overdue"),
        may_confirm=party == "agency" and state == "recorded",
        may_decide=party == "regulator" and state == "disputed",
        may_refund=party == "regulator" and milestone.holding,
    )


def online() -> bool:
    """Whether payments go through the gateway (资金托管) or are offline bank transfers."""
    return gateway.configured()


def notice_link(contract: Contract) -> str:
    return link_to("procurement.detail", notice_id=contract.notice_id) + "#payments"


def contract_milestones(contract_id: int) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.contract_id == contract_id)
            .order_by(Milestone.position)
        )
    )


def payout_account(org_id: int) -> PayoutAccount | None:
    return db.session.scalar(select(PayoutAccount).where(PayoutAccount.org_id == org_id))


def party_of(user, milestone: Milestone) -> str | None:
    """purchaser / agency (the contract's), regulator (of the item's department), operator."""
    org = getattr(user, "organisation", None)
    if org is None:
        return None
    if org.id == milestone.purchaser_org_id:
        return "purchaser"
    if org.id == milestone.agency_org_id:
        return "agency"
    if org.kind == "regulator":
        try:
            procurement.check_regulator(user, milestone.contract.notice)
        except NotAllowed:
            return None
        return "regulator"
    if org.kind == "operator":
        return "operator"
    return None


def can_read(user, milestone: Milestone) -> bool:
    """The parties, the regulators of the item's department and operators see the details
    (bank references, vouchers, dispute reasons); the public sees the timeline's facts."""
    return party_of(user, milestone) is not None


def require_party(user, milestone: Milestone, party: str, message: str) -> None:
    if party_of(user, milestone) != party:
        raise NotAllowed(message)


def require_state(milestone: Milestone, states, cannot: str) -> None:
    """Refuse unless the milestone is in one of `states`; `cannot` says what cannot be done
    ("不能登记付款")."""
    if milestone.state not in states:
        raise ServiceError(
            _(
                "%(milestone)s当前为「%(state)s」，%(cannot)s",
                milestone=milestone.label,
                state=milestone.state_label,
                cannot=cannot,
            )
        )


def milestones_query(
    user, state="", purchaser_id=None, agency_id=None, due_from=None, due_before=None
):
    """Milestones as the payments list shows them, latest due first, with what each row shows
    loaded with them: an operator's are every contract's, a regulator's its department's
    items'."""
    stmt = (
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .join(Notice, Notice.id == Contract.notice_id)
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
    )
    org = user.organisation
    if org.kind == "regulator":
        stmt = stmt.where(ServiceItem.approving_department == (org.department or "").strip())
    if state in MILESTONE:
        stmt = stmt.where(Milestone.state == state)
    if purchaser_id:
        stmt = stmt.where(Milestone.purchaser_org_id == purchaser_id)
    if agency_id:
        stmt = stmt.where(Milestone.agency_org_id == agency_id)
    if due_from:
        stmt = stmt.where(Milestone.due_dt >= due_from)
    if due_before:
        stmt = stmt.where(Milestone.due_dt < due_before)
    return stmt.order_by(Milestone.due_dt.desc().nulls_last(), Milestone.id.desc()).options(
        selectinload(Milestone.contract).selectinload(Contract.notice),
        selectinload(Milestone.purchaser),
        selectinload(Milestone.agency),
        selectinload(Milestone.payments),
    )
