"""What payments does when procurement announces a step of the contract (core.signals): the
award makes the milestones, signing and acceptance make them fall due, acceptance releases
held funds, termination cancels what is not owed yet and refunds what is held."""

from ..core.signals import contract_awarded, notice_transitioned
from . import services

TERMINATED_REASON = "合同中止"  # i18n: data (stored as the refund reason, sent to Stripe)


def on_contract_awarded(contract, **_):
    services.create_milestones(contract)


def on_notice_transitioned(notice, from_state=None, to_state=None, at=None, data=None, **_):
    contract = notice.contract
    if contract is None:
        return
    if to_state == "contracted" and from_state == "awarded":
        services.event_happened(contract, "signing", at)
    elif to_state == "accepted":
        services.event_happened(contract, "acceptance", at)
        services.release_accepted(contract)
    elif to_state == "terminated":
        reason = (data or {}).get("reason") or TERMINATED_REASON
        services.contract_ended(
            contract, at, reason if isinstance(reason, str) else TERMINATED_REASON
        )


def connect() -> None:
    contract_awarded.connect(on_contract_awarded)
    notice_transitioned.connect(on_notice_transitioned)
