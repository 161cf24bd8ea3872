"""Offline payment, the embedded default: the purchaser records a bank transfer, the agency
confirms or disputes it, a regulator of the item's department decides a dispute."""

from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import select

from ..agencies.documents import Upload, check_uploads, own_document, store_uploads
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import from_local, local_today, to_local, utcnow
from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..core.money import format_fen
from ..core.workdays import add_working_days
from ..extensions import db
from ..notifications.services import notify
from ..procurement.contract_models import Contract
from ..procurement.models import Notice
from . import gateway
from .access import notice_link, online, require_party, require_state
from .models import Milestone, Payment
from .states import change


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
    require_party(user, milestone, "purchaser", _("只有合同的采购人可以登记付款"))
    if online():
        raise ServiceError(_("本平台已开通在线支付（资金托管），请通过在线支付付款"))
    require_state(milestone, ("due", "overdue", "disputed"), _("不能登记付款"))
    if amount_fen != milestone.amount_fen:
        raise ServiceError(
            _("转账金额应为该付款节点的金额 %(amount)s", amount=format_fen(milestone.amount_fen)),
            "amount",
        )
    today = local_today()
    if paid_on > today:
        raise ServiceError(_("转账日期不能晚于今天"), "paid_on")
    if paid_on < to_local(milestone.contract.created_dt).date():
        raise ServiceError(_("转账日期不能早于合同成立日期"), "paid_on")
    reference = (bank_reference or "").strip()
    if not 4 <= len(reference) <= 64:
        raise ServiceError(_("请填写银行流水号（4–64 个字符）"), "bank_reference")
    org_id = user.organisation.id
    if document_id:
        voucher = own_document(org_id, document_id, "document_id")
        if voucher.kind != "voucher":
            raise ServiceError(_("请选择资料库中的付款凭证，或上传付款凭证"), "document_id")
    elif upload is not None and upload.content:
        check_uploads([upload], "file")
        voucher = store_uploads(user, "voucher", [upload])[0]
    else:
        raise ServiceError(_("请上传付款凭证，或从本单位资料库选择"), "file")
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
        _l(
            "采购人已登记「%(title)s」的%(milestone)s付款",
            title=milestone.contract.notice.title,
            milestone=milestone.label,
        ),
        _l(
            "%(amount)s，转账日期 %(date)s，银行流水号 %(reference)s。"
            "请核对到账情况后确认收款，或提出异议。",
            amount=format_fen(amount_fen),
            date=f"{paid_on:%Y-%m-%d}",
            reference=reference,
        ),
        notice_link(milestone.contract),
    )
    return payment


def confirm_receipt(user, milestone: Milestone) -> None:
    """The agency confirms the recorded transfer arrived: the milestone is paid."""
    require_party(user, milestone, "agency", _("只有合同的中选机构可以确认收款"))
    require_state(milestone, ("recorded",), _("不能确认收款"))
    milestone.settled_dt = utcnow()
    change(milestone, "paid", "agency", actor=user)
    notify(
        milestone.purchaser_org_id,
        "payment_confirmed",
        _l(
            "中选机构已确认收到「%(title)s」的%(milestone)s",
            title=milestone.contract.notice.title,
            milestone=milestone.label,
        ),
        _l("%(amount)s 已确认到账。", amount=format_fen(milestone.amount_fen)),
        notice_link(milestone.contract),
    )


def dispute_payment(user, milestone: Milestone, reason: str) -> None:
    """The agency says the recorded transfer did not arrive as recorded; the regulators of
    the item's department see the dispute and decide it."""
    require_party(user, milestone, "agency", _("只有合同的中选机构可以对付款提出异议"))
    require_state(milestone, ("recorded",), _("不能提出异议"))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError(_("请写明异议理由（如 未到账、金额不符）"), "reason")
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
        _l(
            "中选机构对「%(title)s」的%(milestone)s付款提出异议",
            title=milestone.contract.notice.title,
            milestone=milestone.label,
        ),
        _l("异议理由：%(reason)s。请核实后重新登记付款；监管部门可以作出认定。", reason=reason),
        notice_link(milestone.contract),
    )


def decide_dispute(user, milestone: Milestone, paid: bool, note: str) -> None:
    """A regulator of the item's department decides a dispute: the money arrived (paid), or
    it did not (owed again, late if past its due date)."""
    require_party(user, milestone, "regulator", _("只有该事项审批部门的监管部门可以认定付款争议"))
    require_state(milestone, ("disputed",), _("不能认定付款争议"))
    note = (note or "").strip()
    if len(note) < 4:
        raise ServiceError(_("请写明认定理由"), "note")
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
            _l(
                "监管部门已认定「%(title)s」%(milestone)s的付款争议",
                title=milestone.contract.notice.title,
                milestone=milestone.label,
            ),
            _l("认定已付款。理由：%(note)s", note=note)
            if paid
            else _l("认定未付款，采购人应尽快支付。理由：%(note)s", note=note),
            notice_link(milestone.contract),
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
