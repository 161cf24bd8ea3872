"""The payment panel of the notice page: the contract's milestones (for everyone: label,
share, amount, due date and state, no bank detail) and, for those who may act, a link to
each milestone's page."""

from dataclasses import dataclass, field

from . import services
from .models import Milestone, PayoutAccount


@dataclass
class PaymentPanel:
    milestones: list[Milestone]
    online: bool
    #: the user may open the milestones' pages (a party, its regulator, an operator)
    may_open: bool
    #: the agency's payout account, when the user is the contract's agency (online only)
    payout_account: PayoutAccount | None = None
    may_connect: bool = False
    paid_fen: int = 0
    notes: list[str] = field(default_factory=list)


def contract_panel(notice, user, forms, access) -> dict:
    contract = notice.contract
    if contract is None:
        return {"payments": None}
    milestones = services.contract_milestones(contract.id)
    if not milestones:
        return {"payments": None}
    party = services.party_of(user, milestones[0]) if user is not None else None
    online = services.online()
    panel = PaymentPanel(
        milestones=milestones,
        online=online,
        may_open=party is not None,
        paid_fen=sum(m.amount_fen - m.refunded_fen for m in milestones if m.state == "paid"),
    )
    if party == "agency" and online:
        panel.payout_account = services.payout_account(contract.agency_org_id)
        panel.may_connect = panel.payout_account is None or not panel.payout_account.ready
    return {"payments": panel}
