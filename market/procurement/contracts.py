"""Contracts: award at the end of publicity, delivery, acceptance and evaluation."""

from ..agencies.models import RATING_DIMENSIONS
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.signals import contract_awarded, contract_completed, contract_evaluated
from ..extensions import db
from .contract_models import Contract, Evaluation
from .models import Notice
from .notices import own_notice
from .states import transition


def end_publicity(notice, at):
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


def mark_delivered(user, notice: Notice, note: str) -> None:
    """The contracted agency declares the service delivered."""
    if not note.strip():
        raise ServiceError("请填写交付说明（交付成果、份数等）", "note")
    transition(notice, "delivered", user)
    notice.contract.delivered_dt = utcnow()
    notice.contract.delivery_note = note.strip()


def accept_and_evaluate(user, notice: Notice, scores: dict[str, int], comment: str):
    """The purchaser accepts the deliverable and rates the agency on five dimensions."""
    own_notice(user, notice)
    if set(scores) != set(RATING_DIMENSIONS) or any(
        not isinstance(v, int) or not 1 <= v <= 5 for v in scores.values()
    ):
        raise ServiceError("请为五个维度分别打 1–5 分")
    transition(notice, "accepted", user)
    contract = notice.contract
    contract.accepted_dt = utcnow()
    contract_completed.send(
        contract,
        item_id=notice.item_id,
        purchaser_name=notice.purchaser.name,
        agency_org_id=contract.agency_org_id,
        amount_fen=contract.amount_fen,
        accepted_dt=contract.accepted_dt,
    )
    evaluation = Evaluation(
        contract=contract, by_org_id=notice.purchaser_org_id, comment=comment.strip(), **scores
    )
    db.session.add(evaluation)
    db.session.flush()
    transition(notice, "evaluated", user, **scores)
    contract_evaluated.send(
        evaluation, contract_id=contract.id, agency_org_id=contract.agency_org_id, scores=scores
    )
    return evaluation
