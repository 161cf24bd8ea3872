"""The payments domain's rules and its public interface: the contract's milestones made from
the notice's plan, their deadlines, offline bank transfers (recorded, confirmed, disputed,
decided), online payment with held funds (资金托管: attempt, success, transfer on
acceptance, refund), the agencies' payout accounts, and the late payments reported.

Services flush; the view, webhook, worker or CLI command that called them commits. A call to
the gateway is made only after the row it concerns is committed (the views do it in two
steps), so a crash in between leaves a row reconciliation finds.
"""

import secrets
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import or_, select

from ..agencies.documents import Upload, check_uploads, own_document, store_uploads
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import from_local, local_today, to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.money import format_fen
from ..core.signals import payment_overdue
from ..core.workdays import add_working_days
from ..extensions import db
from ..notifications.services import link_to, notify
from ..procurement import services as procurement
from ..procurement.contract_models import Contract
from ..procurement.models import Notice
from . import gateway
from .models import Milestone, Payment, PayoutAccount
from .states import MILESTONE, change

#: how many milestones one round of the worker handles (one transaction)
ROUND = 500


def online() -> bool:
    """Whether payments go through the gateway (资金托管) or are offline bank transfers."""
    return gateway.configured()


def _notice_link(contract: Contract) -> str:
    return link_to("procurement.detail", notice_id=contract.notice_id) + "#payments"


# --- the plan and its deadlines ----------------------------------------------------------------


def create_milestones(contract: Contract) -> list[Milestone]:
    """The contract's milestones from its notice's payment plan, in fen that add up to the
    contract amount (the last takes what rounding leaves)."""
    plan = contract.notice.payment_plan or procurement.default_plan()
    amounts = procurement.split_amount(contract.amount_fen, plan)
    rows = [
        Milestone(
            contract=contract,
            purchaser_org_id=contract.purchaser_org_id,
            agency_org_id=contract.agency_org_id,
            position=position,
            label=m["label"],
            percent=m["percent"],
            event=m["event"],
            due_working_days=m["days"],
            amount_fen=amount,
            state="scheduled",
            created_dt=contract.created_dt,
        )
        for position, (m, amount) in enumerate(zip(plan, amounts, strict=True), start=1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def contract_milestones(contract_id: int) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.contract_id == contract_id)
            .order_by(Milestone.position)
        )
    )


def event_happened(contract: Contract, event: str, at: datetime) -> list[Milestone]:
    """The contract reached `event` (signed, accepted): its milestones waiting for it fall
    due, each its working days later; the purchaser is told when."""
    started = []
    for milestone in contract_milestones(contract.id):
        if milestone.state != "scheduled" or milestone.event != event:
            continue
        milestone.due_dt = add_working_days(at, milestone.due_working_days)
        change(milestone, "due", "system", at=at, due=milestone.due_dt.isoformat())
        started.append(milestone)
        notify(
            contract.purchaser_org_id,
            "payment_due",
            f"请按期支付「{contract.notice.title}」的{milestone.label}",
            f"{milestone.label} {format_fen(milestone.amount_fen)}，"
            f"应于 {to_local(milestone.due_dt):%Y-%m-%d %H:%M} 前支付。",
            _notice_link(contract),
        )
    return started


def contract_ended(contract: Contract, at: datetime, reason: str) -> None:
    """The contract was terminated: milestones whose event never came, or not yet late, are
    cancelled; held funds go back to the purchaser in full. A milestone already late stays
    owed (and reported)."""
    for milestone in contract_milestones(contract.id):
        if milestone.state in ("scheduled", "due"):
            milestone.due_dt = None
            change(milestone, "cancelled", "system", at=at, reason=reason)
        elif milestone.state == "held":
            _refund(milestone, milestone.amount_fen, reason, actor=None)


@MILESTONE.when_due("due")
def became_overdue(milestone: Milestone, at: datetime) -> None:
    """Past its due date unpaid: the purchaser is reminded, and told when it will be reported
    under the late-payment criterion if it still does not pay."""
    milestone.report_dt = add_working_days(at, current_app.config["PAYMENT_REPORT_WORKING_DAYS"])
    change(milestone, "overdue", "system", at=at)
    milestone.reminded_dt = at
    contract = milestone.contract
    notify(
        contract.purchaser_org_id,
        "payment_overdue",
        f"「{contract.notice.title}」的{milestone.label}已逾期",
        f"{milestone.label} {format_fen(milestone.amount_fen)} 应于 "
        f"{to_local(at):%Y-%m-%d %H:%M} 前支付，至今未付。"
        f"{to_local(milestone.report_dt):%Y-%m-%d %H:%M} 前仍未支付的，"
        "将按逾期付款记入本单位信用记录。",
        _notice_link(contract),
        dedupe_key=f"milestone:{milestone.id}:overdue",
    )


@MILESTONE.when_due("overdue")
def report_late(milestone: Milestone, at: datetime) -> None:
    """Still unpaid after the reminder's grace: reported as a late payment (credit files the
    report under whichever criterion its mapping names for the fact)."""
    milestone.report_dt = None
    milestone.reported_dt = at
    record_event(
        "contract",
        milestone.contract_id,
        "payment_reported",
        public=False,
        occurred_dt=at,
        data={"milestone_id": milestone.id, "due": milestone.due_dt.isoformat()},
    )
    payment_overdue.send(
        milestone.contract,
        purchaser_org_id=milestone.purchaser_org_id,
        due_dt=milestone.due_dt,
        milestone_id=milestone.id,
        milestone_label=milestone.label,
        amount_fen=milestone.amount_fen,
    )


def apply_due(milestone: Milestone, now=None) -> bool:
    """Apply what is due on one milestone at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    while (due := MILESTONE.due_of(milestone)) is not None and due <= now:
        before = (milestone.state, due)
        MILESTONE.due_handler(milestone.state)(milestone, due)
        if (milestone.state, MILESTONE.due_of(milestone)) == before:
            break  # a handler that changed nothing: never loop
        changed = True
    return changed


def apply_due_of_contract(contract_id: int, now=None) -> bool:
    """Bring a contract's milestones up to date (a page showing them calls this)."""
    changed = False
    for milestone in contract_milestones(contract_id):
        changed |= apply_due(milestone, now)
    return changed


def run_due(now=None, limit: int = ROUND) -> int:
    """Apply due milestone deadlines across all contracts (the worker); returns how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Milestone)
        .where(
            or_(
                (Milestone.state == "due") & (Milestone.due_dt <= now),
                (Milestone.state == "overdue") & (Milestone.report_dt <= now),
            )
        )
        .order_by(Milestone.id)
        .limit(limit)
    ).all()
    return sum(apply_due(m, now) for m in due)


# --- who may do what -----------------------------------------------------------------------


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


def load(milestone_id: int) -> Milestone | None:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is not None:
        apply_due(milestone)
    return milestone


def _require(user, milestone: Milestone, party: str, message: str) -> None:
    if party_of(user, milestone) != party:
        raise NotAllowed(message)


def _require_state(milestone: Milestone, states, doing: str) -> None:
    if milestone.state not in states:
        raise ServiceError(f"{milestone.label}当前为「{milestone.state_label}」，不能{doing}")


# --- offline: bank transfers -----------------------------------------------------------------


def record_transfer(
    user,
    milestone: Milestone,
    *,
    paid_on: date,
    amount_fen: int,
    bank_reference: str,
    document_id: int | None = None,
    upload: Upload | None = None,
) -> Payment:
    """The purchaser records the bank transfer paying a milestone (date, amount, the bank's
    reference, a voucher from its library or uploaded); the agency then confirms receipt or
    disputes it."""
    _require(user, milestone, "purchaser", "只有合同的采购人可以登记付款")
    if online():
        raise ServiceError("本平台已开通在线支付（资金托管），请通过在线支付付款")
    _require_state(milestone, ("due", "overdue", "disputed"), "登记付款")
    if amount_fen != milestone.amount_fen:
        raise ServiceError(
            f"转账金额应为该付款节点的金额 {format_fen(milestone.amount_fen)}", "amount"
        )
    today = local_today()
    if paid_on > today:
        raise ServiceError("转账日期不能晚于今天", "paid_on")
    if paid_on < to_local(milestone.contract.created_dt).date():
        raise ServiceError("转账日期不能早于合同成立日期", "paid_on")
    reference = (bank_reference or "").strip()
    if not 4 <= len(reference) <= 64:
        raise ServiceError("请填写银行流水号（4–64 个字符）", "bank_reference")
    org_id = user.organisation.id
    if document_id:
        voucher = own_document(org_id, document_id, "document_id")
        if voucher.kind != "voucher":
            raise ServiceError("请选择资料库中的付款凭证，或上传付款凭证", "document_id")
    elif upload is not None and upload.content:
        check_uploads([upload], "file")
        voucher = store_uploads(user, "voucher", [upload])[0]
    else:
        raise ServiceError("请上传付款凭证，或从本单位资料库选择", "file")
    payment = Payment(
        milestone=milestone,
        method="bank_transfer",
        status="recorded",
        amount_fen=amount_fen,
        currency=gateway.currency(),
        created_by_id=user.id,
        paid_on=paid_on,
        bank_reference=reference,
        document=voucher,
    )
    db.session.add(payment)
    db.session.flush()
    # The transfer's value date is all a bank says: paid that day (lateness counts days).
    milestone.paid_dt = from_local(datetime.combine(paid_on, time(0, 0)))
    milestone.report_dt = None
    milestone.dispute_reason = ""
    change(milestone, "recorded", "purchaser", actor=user, payment_id=payment.id)
    notify(
        milestone.agency_org_id,
        "payment_recorded",
        f"采购人已登记「{milestone.contract.notice.title}」的{milestone.label}付款",
        f"{format_fen(amount_fen)}，转账日期 {paid_on:%Y-%m-%d}，银行流水号 {reference}。"
        "请核对到账情况后确认收款，或提出异议。",
        _notice_link(milestone.contract),
    )
    return payment


def confirm_receipt(user, milestone: Milestone) -> None:
    """The agency confirms the recorded transfer arrived: the milestone is paid."""
    _require(user, milestone, "agency", "只有合同的中选机构可以确认收款")
    _require_state(milestone, ("recorded",), "确认收款")
    milestone.settled_dt = utcnow()
    change(milestone, "paid", "agency", actor=user)
    notify(
        milestone.purchaser_org_id,
        "payment_confirmed",
        f"中选机构已确认收到「{milestone.contract.notice.title}」的{milestone.label}",
        f"{format_fen(milestone.amount_fen)} 已确认到账。",
        _notice_link(milestone.contract),
    )


def dispute_payment(user, milestone: Milestone, reason: str) -> None:
    """The agency says the recorded transfer did not arrive as recorded; the regulators of
    the item's department see the dispute and decide it."""
    _require(user, milestone, "agency", "只有合同的中选机构可以对付款提出异议")
    _require_state(milestone, ("recorded",), "提出异议")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError("请写明异议理由（如 未到账、金额不符）", "reason")
    milestone.dispute_reason = reason
    change(milestone, "disputed", "agency", actor=user)
    record_event(
        "contract",
        milestone.contract_id,
        "payment_disputed",
        actor=user,
        public=False,
        data={"milestone_id": milestone.id, "reason": reason},
    )
    notify(
        milestone.purchaser_org_id,
        "payment_disputed",
        f"中选机构对「{milestone.contract.notice.title}」的{milestone.label}付款提出异议",
        f"异议理由：{reason}。请核实后重新登记付款；监管部门可以作出认定。",
        _notice_link(milestone.contract),
    )


def decide_dispute(user, milestone: Milestone, paid: bool, note: str) -> None:
    """A regulator of the item's department decides a dispute: the money arrived (paid), or
    it did not (owed again, late if past its due date)."""
    _require(user, milestone, "regulator", "只有该事项审批部门的监管部门可以认定付款争议")
    _require_state(milestone, ("disputed",), "认定付款争议")
    note = (note or "").strip()
    if len(note) < 4:
        raise ServiceError("请写明认定理由", "note")
    now = utcnow()
    if paid:
        milestone.settled_dt = now
        target = "paid"
    else:
        milestone.paid_dt = None
        target = "overdue" if milestone.due_dt <= now else "due"
        if target == "overdue" and milestone.reported_dt is None:
            milestone.report_dt = add_working_days(
                now, current_app.config["PAYMENT_REPORT_WORKING_DAYS"]
            )
    change(milestone, target, "regulator", actor=user)
    record_event(
        "contract",
        milestone.contract_id,
        "payment_dispute_decided",
        actor=user,
        public=False,
        data={"milestone_id": milestone.id, "paid": paid, "note": note},
    )
    for org_id in (milestone.purchaser_org_id, milestone.agency_org_id):
        notify(
            org_id,
            "payment_decided",
            f"监管部门已认定「{milestone.contract.notice.title}」{milestone.label}的付款争议",
            ("认定已付款。" if paid else "认定未付款，采购人应尽快支付。") + f"理由：{note}",
            _notice_link(milestone.contract),
        )


def disputes_query(department: str):
    """The disputed milestones of a department's items, which its regulators decide; oldest
    first."""
    return (
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .join(Notice, Notice.id == Contract.notice_id)
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
        .where(Milestone.state == "disputed", ServiceItem.approving_department == department)
        .order_by(Milestone.state_changed_dt, Milestone.id)
    )


# --- online: held funds (资金托管) --------------------------------------------------------------


def open_attempt(user, milestone: Milestone) -> Payment:
    """Step 1 of paying online: an attempt row with its own idempotency key (the view commits
    it before anything is sent to the gateway)."""
    _require(user, milestone, "purchaser", "只有合同的采购人可以付款")
    if not online():
        raise ServiceError("本平台未开通在线支付，请线下转账后登记付款")
    _require_state(milestone, ("due", "overdue"), "付款")
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
        payment.failure_message = err.message
        db.session.flush()
        raise ServiceError(err.message) from err
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
        f"「{milestone.contract.notice.title}」的{milestone.label}已由平台托管",
        f"采购人已在线支付 {format_fen(milestone.amount_fen)}，资金由平台托管，"
        "验收通过后划转至本机构的收款账户。",
        _notice_link(milestone.contract),
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


def payout_account(org_id: int) -> PayoutAccount | None:
    return db.session.scalar(select(PayoutAccount).where(PayoutAccount.org_id == org_id))


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
        f"「{milestone.contract.notice.title}」的{milestone.label}已划转",
        f"{format_fen(milestone.amount_fen - milestone.refunded_fen)} 已划转至本机构的收款账户。",
        _notice_link(milestone.contract),
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
    _require(user, milestone, "regulator", "只有该事项审批部门的监管部门可以决定退款")
    _require_state(milestone, ("held",), "退款")
    if not online():
        raise ServiceError("本平台未开通在线支付，托管资金的退款需开通后办理")
    if not 1 <= amount_fen <= milestone.amount_fen:
        raise ServiceError(
            f"退款金额应在 ¥0.01 至 {format_fen(milestone.amount_fen)} 之间", "amount"
        )
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError("请写明退款理由", "reason")
    _refund(milestone, amount_fen, reason, actor=user)


def _refund(milestone: Milestone, amount_fen: int, reason: str, actor) -> None:
    payment = milestone.succeeded_payment
    if payment is None or not payment.payment_intent_id:
        raise ServiceError("找不到该付款节点的在线支付记录，不能退款")
    try:
        gateway.refund(
            milestone_id=milestone.id,
            payment_intent_id=payment.payment_intent_id,
            amount_fen=amount_fen,
            reason=reason,
        )
    except gateway.GatewayError as err:
        raise ServiceError(err.message) from err
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
        note=f"退回 {format_fen(milestone.refunded_fen)}"
        + ("，其余划转中选机构" if partial else ""),
        refunded_fen=milestone.refunded_fen,
        partial=partial,
    )
    for org_id in (milestone.purchaser_org_id, milestone.agency_org_id):
        notify(
            org_id,
            "payment_refunded",
            f"「{milestone.contract.notice.title}」的{milestone.label}已退款",
            f"退回采购人 {format_fen(milestone.refunded_fen)}。理由：{reason}",
            _notice_link(milestone.contract),
        )
    release(milestone)  # the rest, if the contract is accepted already
    return True


# --- Connect: the agency's payout account -----------------------------------------------------


def ensure_payout_account(user) -> PayoutAccount:
    """The agency's connected account, created with the gateway on first use."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency":
        raise NotAllowed("只有中介机构可以开通收款账户")
    if not online():
        raise ServiceError("本平台未开通在线支付，收款以银行转账为准")
    account = payout_account(org.id)
    if account is None:
        try:
            account_id = gateway.create_account(org_id=org.id, email=user.email)
        except gateway.GatewayError as err:
            raise ServiceError(err.message) from err
        account = PayoutAccount(org_id=org.id, account_id=account_id)
        db.session.add(account)
        db.session.flush()
        record_event("organisation", org.id, "payout_account_created", actor=user, public=False)
    return account


def onboarding_url(account: PayoutAccount, refresh_url: str, return_url: str) -> str:
    try:
        return gateway.onboarding_link(
            account.account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.GatewayError as err:
        raise ServiceError(err.message) from err


def account_updated(account_id: str, flags: dict) -> bool:
    """The gateway says a connected account changed: store its flags; once it is ready, the
    agency's waiting held funds go out. False if the account is not ours."""
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.account_id == account_id))
    if account is None:
        return False
    was_ready = account.ready
    for name in ("charges_enabled", "payouts_enabled", "details_submitted"):
        if name in flags:
            setattr(account, name, bool(flags[name]))
    account.updated_dt = utcnow()
    if account.ready and not was_ready:
        release_waiting(account.org_id)
    return True


def refresh_account(account: PayoutAccount) -> None:
    """Read the account's flags from the gateway (the agency came back from onboarding)."""
    try:
        flags = gateway.account_status(account.account_id)
    except gateway.GatewayError as err:
        raise ServiceError(err.message) from err
    account_updated(account.account_id, flags)
