"""Online payment with held funds (资金托管): the attempt committed before the gateway is
called, the payment taken into the platform's balance, its transfer to the agency once the
contract is accepted and the agency's account is ready, refunds in full or in part."""

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..core.money import format_fen
from ..extensions import db
from ..notifications.services import notify
from ..procurement.contract_models import Contract
from . import gateway
from .access import (
    contract_milestones,
    notice_link,
    online,
    payout_account,
    require_party,
    require_state,
)
from .models import Milestone, Payment
from .states import change


def open_attempt(user, milestone: Milestone) -> Payment:
    """Step 1 of paying online: an attempt row with its own idempotency key (the view commits
    it before anything is sent to the gateway)."""
    require_party(user, milestone, "purchaser", _("只有合同的采购人可以付款"))
    if not online():
        raise ServiceError(_("本平台未开通在线支付，请线下转账后登记付款"))
    require_state(milestone, ("due", "overdue"), _("不能付款"))
    payment = Payment(
        milestone=milestone,
        method="stripe",
        status="open",
        amount_fen=milestone.amount_fen,
        currency=gateway.currency(),
        created_by_id=user.id,
        idempotency_key=f"checkout-{secrets.token_hex(16)}",
    )
    db.session.add(payment)
    db.session.flush()
    record_event(
        "contract",
        milestone.contract_id,
        "payment_attempt",
        actor=user,
        public=False,
        data={"milestone_id": milestone.id, "payment_id": payment.id},
    )
    return payment


def send_attempt(payment: Payment, success_url: str, cancel_url: str) -> str:
    """Step 2: the Checkout session for the committed attempt; returns where to send the
    purchaser. A gateway failure marks the attempt failed (nothing was charged) and raises a
    ServiceError saying to try again."""
    milestone = payment.milestone
    try:
        session = gateway.create_checkout(
            payment_id=payment.id,
            milestone_id=milestone.id,
            contract_id=milestone.contract_id,
            amount_fen=payment.amount_fen,
            description=f"{milestone.contract.number} {milestone.label}",
            idempotency_key=payment.idempotency_key,
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except gateway.GatewayError as err:
        payment.status = "failed"
        payment.failure_message = err.stored_message
        db.session.flush()
        raise ServiceError(str(err.message)) from err
    payment.checkout_session_id = session["id"]
    payment.checkout_url = session["url"]
    db.session.flush()
    return session["url"]


def find_payment(*, payment_id=None, session_id=None, intent_id=None) -> Payment | None:
    """The attempt a gateway object names: by its checkout session, its payment intent, or
    the payment id the metadata carries."""
    if session_id:
        found = db.session.scalar(select(Payment).where(Payment.checkout_session_id == session_id))
        if found is not None:
            return found
    if intent_id:
        found = db.session.scalar(select(Payment).where(Payment.payment_intent_id == intent_id))
        if found is not None:
            return found
    if payment_id:
        try:
            return db.session.get(Payment, int(payment_id))
        except (TypeError, ValueError):
            return None
    return None


def payment_succeeded(payment: Payment, intent_id: str | None, at: datetime) -> bool:
    """The gateway took the purchaser's money: the attempt succeeded and the milestone's funds
    are held; released at once if the contract was already accepted. Idempotent (a second
    event about the same payment changes nothing); False if nothing changed."""
    if intent_id and payment.payment_intent_id is None:
        payment.payment_intent_id = intent_id
    if payment.status == "succeeded":
        return False
    payment.status = "succeeded"
    payment.succeeded_dt = at
    payment.failure_message = ""
    milestone = payment.milestone
    if milestone.state not in ("due", "overdue"):
        # Paid twice, or for a milestone no longer owed: the money goes back.
        record_event(
            "contract",
            milestone.contract_id,
            "payment_unexpected",
            public=False,
            data={"milestone_id": milestone.id, "payment_id": payment.id},
        )
        return True
    milestone.paid_dt = at
    milestone.report_dt = None
    change(milestone, "held", "system", at=at, payment_id=payment.id)
    notify(
        milestone.agency_org_id,
        "payment_held",
        _l(
            "「%(title)s」的%(milestone)s已由平台托管",
            title=milestone.contract.notice.title,
            milestone=milestone.label,
        ),
        _l(
            "采购人已在线支付 %(amount)s，资金由平台托管，验收通过后划转至本机构的收款账户。",
            amount=format_fen(milestone.amount_fen),
        ),
        notice_link(milestone.contract),
    )
    if milestone.contract.accepted_dt is not None:
        release(milestone)
    return True


def payment_failed(payment: Payment, message: str) -> bool:
    """The gateway declined the payment (a card declined): the attempt failed, the milestone
    stays owed. A failure reported after a success is ignored (events arrive in any order)."""
    if payment.status in ("succeeded", "failed"):
        return False
    payment.status = "failed"
    payment.failure_message = message[:500]
    return True


def _owed_to_agency(milestone: Milestone) -> int:
    """Held funds the agency is to receive once the contract is accepted: a held milestone's
    amount, or what a partial refund left (0 once transferred)."""
    if milestone.transfer_id or milestone.state not in ("held", "refunded"):
        return 0
    return milestone.amount_fen - milestone.refunded_fen


def release(milestone: Milestone) -> bool:
    """Transfer what the agency is owed of a milestone's held funds to its connected account,
    once the contract is accepted and the agency's onboarding is complete; True if
    transferred. A gateway failure leaves it waiting (the worker's reconciliation retries:
    the milestone's idempotency key makes it one transfer)."""
    amount = _owed_to_agency(milestone)
    if not amount or milestone.contract.accepted_dt is None:
        return False
    account = payout_account(milestone.agency_org_id)
    if account is None or not account.ready:
        return False
    payment = milestone.succeeded_payment
    charge_id = None
    try:
        if payment is not None and payment.payment_intent_id:
            charge_id = gateway.payment_intent(payment.payment_intent_id).get("latest_charge")
        transfer_id = gateway.transfer(
            milestone_id=milestone.id,
            contract_id=milestone.contract_id,
            amount_fen=amount,
            destination=account.account_id,
            charge_id=charge_id,
        )
    except gateway.GatewayError as err:
        current_app.logger.warning("transfer of milestone %s failed: %s", milestone.id, err)
        return False
    transferred(milestone, transfer_id, utcnow())
    return True


def transferred(milestone: Milestone, transfer_id: str, at: datetime) -> bool:
    """The held funds reached the agency's account (the transfer call, or its webhook)."""
    if milestone.transfer_id is None:
        milestone.transfer_id = transfer_id
    if milestone.state == "refunded" and milestone.settled_dt is None:
        milestone.settled_dt = at  # the part a partial refund left
        return True
    if milestone.state != "held":
        return False
    milestone.settled_dt = at
    change(milestone, "paid", "system", at=at, transfer=True)
    notify(
        milestone.agency_org_id,
        "payment_released",
        _l(
            "「%(title)s」的%(milestone)s已划转",
            title=milestone.contract.notice.title,
            milestone=milestone.label,
        ),
        _l(
            "%(amount)s 已划转至本机构的收款账户。",
            amount=format_fen(milestone.amount_fen - milestone.refunded_fen),
        ),
        notice_link(milestone.contract),
    )
    return True


def release_accepted(contract: Contract) -> int:
    """The contract was accepted: every held milestone goes to the agency (if it can)."""
    return sum(release(m) for m in contract_milestones(contract.id))


def release_waiting(org_id: int) -> int:
    """The agency finished onboarding: its held milestones of accepted contracts go out."""
    waiting = db.session.scalars(
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(
            Milestone.agency_org_id == org_id,
            Milestone.state.in_(("held", "refunded")),
            Milestone.transfer_id.is_(None),
            Contract.accepted_dt.is_not(None),
        )
    ).all()
    return sum(release(m) for m in waiting)


def refund_held(user, milestone: Milestone, amount_fen: int, reason: str) -> None:
    """A regulator of the item's department upholds a dispute over held funds (or the
    service was not delivered as agreed): all or part of them go back to the purchaser; what
    remains goes to the agency once the contract is accepted."""
    require_party(user, milestone, "regulator", _("只有该事项审批部门的监管部门可以决定退款"))
    require_state(milestone, ("held",), _("不能退款"))
    if not online():
        raise ServiceError(_("本平台未开通在线支付，托管资金的退款需开通后办理"))
    if not 1 <= amount_fen <= milestone.amount_fen:
        raise ServiceError(
            _("退款金额应在 ¥0.01 至 %(amount)s 之间", amount=format_fen(milestone.amount_fen)),
            "amount",
        )
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError(_("请写明退款理由"), "reason")
    refund(milestone, amount_fen, reason, actor=user)


def refund(milestone: Milestone, amount_fen: int, reason: str, actor) -> None:
    payment = milestone.succeeded_payment
    if payment is None or not payment.payment_intent_id:
        raise ServiceError(_("找不到该付款节点的在线支付记录，不能退款"))
    try:
        gateway.refund(
            milestone_id=milestone.id,
            payment_intent_id=payment.payment_intent_id,
            amount_fen=amount_fen,
            reason=reason,
        )
    except gateway.GatewayError as err:
        raise ServiceError(str(err.message)) from err
    refunded(milestone, amount_fen, reason, utcnow(), actor=actor)


def refunded(milestone: Milestone, amount_fen: int, reason: str, at, actor=None) -> bool:
    """Record a refund of held funds (the call, or charge.refunded arriving first); the part
    not refunded is released to the agency when the contract is accepted."""
    if milestone.state != "held" or amount_fen <= milestone.refunded_fen:
        return False
    milestone.refunded_fen = min(amount_fen, milestone.amount_fen)
    milestone.refund_reason = reason
    partial = milestone.refunded_fen < milestone.amount_fen
    change(
        milestone,
        "refunded",
        "system",
        actor=actor,
        at=at,
        # stored with the audit event: Chinese, as the summary it ends
        note=f"退回 {format_fen(milestone.refunded_fen)}"  # i18n: data
        + ("，其余划转中选机构" if partial else ""),  # i18n: data
        refunded_fen=milestone.refunded_fen,
        partial=partial,
    )
    for org_id in (milestone.purchaser_org_id, milestone.agency_org_id):
        notify(
            org_id,
            "payment_refunded",
            _l(
                "「%(title)s」的%(milestone)s已退款",
                title=milestone.contract.notice.title,
                milestone=milestone.label,
            ),
            _l(
                "退回采购人 %(amount)s。理由：%(reason)s",
                amount=format_fen(milestone.refunded_fen),
                reason=reason,
            ),
            notice_link(milestone.contract),
        )
    release(milestone)  # the rest, if the contract is accepted already
    return True
