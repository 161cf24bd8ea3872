"""What credit does when other domains announce facts: objective facts from procurement become
system reports (for a regulator to confirm), and every change to a record recomputes the
agency's standing at once."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...core.batching import defer
from ...core.clock import to_local, utcnow
from ...core.i18n import _, _l
from ...extensions import db
from ...notifications.services import link_to, notify
from ...procurement.contract_models import Contract
from ...procurement.models import Notice
from ..models import ConductRecord
from ..standing import recompute_agency
from .services import SystemFact, report_facts

#: (from, to) → what the recorded party is told (its %(…)s filled in when it is written)
STATE_NOTES = {
    (None, "reported"): _l("您单位被报告一项不良行为，请于 %(due)s 前登录提交陈述申辩。"),
    ("reported", "confirmed"): _l(
        "监管部门已认定您单位的不良行为（%(number)s），可于 %(appeal)s 前申请复核。"
    ),
    ("reported", "dismissed_none"): _l("监管部门决定不予认定（无违规事实），记录已办结。"),
    ("reported", "dismissed_evidence"): _l("监管部门决定不予认定（证据不足），记录已办结。"),
    ("appealed", "confirmed"): _l("复核决定维持原认定。"),
    ("appealed", "revoked"): _l("复核决定撤销原认定，该记录不再公示和计分。"),
    ("repair_requested", "confirmed"): _l("信用修复申请未通过：%(repair_reason)s"),
    ("repair_requested", "repaired"): _l("信用修复申请已通过，该记录不再公示和计分。"),
}


def _system_report(subject_org_id, fact_key, notice: Notice, facts, evidence, key, at=None):
    """Report a fact (facts.FACTS) now, or with the others at the end of the runner's batch."""
    fact = SystemFact(
        subject_org_id=subject_org_id,
        fact=fact_key,
        facts=facts,
        dedupe_key=key,
        evidence={"notice_id": notice.id, "notice_title": notice.title, **evidence},
        notice_id=notice.id,
        at=at,
    )
    if not defer(report_facts, fact):
        report_facts([fact])


def _day(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d}"


def on_notice_transitioned(notice, from_state=None, to_state=None, at=None, data=None, **__):
    data = data or {}
    at = at or utcnow()
    if to_state == "terminated" and data.get("unsigned_org_ids"):
        for org_id in data["unsigned_org_ids"]:
            is_agency = org_id != notice.purchaser_org_id
            # The dedupe keys keep the codes the facts were first reported under: a fact already
            # reported stays reported whatever criterion it is mapped to since.
            code = "A05" if is_agency else "P02"
            _system_report(
                org_id,
                "contract_unsigned_agency" if is_agency else "contract_unsigned_purchaser",
                notice,
                # the facts are stored with the record: Chinese, as the record's data
                f"项目「{notice.title}」中选结果确定后，未在签约期限"  # i18n: data
                f"（{_day(notice.sign_deadline_dt)}）内签订合同，中选结果失效。",  # i18n: data
                {"fact": "contract_not_signed", "sign_deadline": _day(notice.sign_deadline_dt)},
                f"{code}:notice:{notice.id}:{org_id}",
                at,
            )
    elif to_state == "cancelled" and data.get("abandoned"):
        _system_report(
            notice.purchaser_org_id,
            "selection_abandoned",
            notice,
            f"项目「{notice.title}」报价截止、机构已响应后，"  # i18n: data
            "采购人放弃选取并撤销公告，"  # i18n: data
            f"所述原因：{data.get('reason', '')}",  # i18n: data
            {"fact": "selection_abandoned", "reason": data.get("reason", "")},
            f"P04:abandoned:{notice.id}",
            at,
        )
    elif to_state == "delivered" and from_state == "contracted":
        _check_late_delivery(notice, at)
    elif to_state == "accepted" and data.get("auto"):
        _system_report(
            notice.purchaser_org_id,
            "acceptance_late",
            notice,
            f"项目「{notice.title}」成果提交后，采购人未在验收期限"  # i18n: data
            f"（{_day(notice.accept_deadline_dt)}）内验收或退回，系统已自动验收。",  # i18n: data
            {"fact": "acceptance_late", "accept_deadline": _day(notice.accept_deadline_dt)},
            f"P03:accept:{notice.id}",
            at,
        )


def delivery_due_dt(contract: Contract):
    """When the deliverable is due: the service period (calendar days) from the signing."""
    signed = max(contract.purchaser_signed_dt, contract.agency_signed_dt)
    return signed + timedelta(days=contract.notice.service_days)


def _check_late_delivery(notice: Notice, at) -> None:
    contract = notice.contract
    if contract is None or len(contract.deliveries) > 1:
        return  # a resubmission after a return is not late delivery
    due = delivery_due_dt(contract)
    if at > due:
        _late_delivery_report(contract, due, at)


def _late_delivery_report(contract: Contract, due, at):
    notice = contract.notice
    delivered = contract.deliveries[0].submitted_dt if contract.deliveries else None
    facts = (
        f"项目「{notice.title}」服务期限 {notice.service_days} 天，"  # i18n: data
        f"应于 {_day(due)} 前交付成果，"  # i18n: data
        + (
            f"实际于 {_day(delivered)} 交付。"  # i18n: data
            if delivered
            else f"截至 {_day(at)} 仍未交付。"  # i18n: data
        )
    )
    return _system_report(
        contract.agency_org_id,
        "delivery_late",
        notice,
        facts,
        {"fact": "delivery_late", "due": _day(due), "delivered": delivered and _day(delivered)},
        f"A06:contract:{contract.id}",
        at,
    )


def report_overdue_deliveries(now=None) -> int:
    """Contracts still undelivered after their service period (nightly): reported once."""
    now = now or utcnow()
    reported = set(
        db.session.scalars(
            select(ConductRecord.dedupe_key).where(ConductRecord.dedupe_key.like("A06:%"))
        )
    )
    contracts = db.session.scalars(
        select(Contract)
        .join(Notice, Notice.id == Contract.notice_id)
        .where(Notice.state == "contracted", Contract.delivered_dt.is_(None))
        .options(selectinload(Contract.deliveries), selectinload(Contract.notice))
    )
    count = 0
    for contract in contracts:
        due = delivery_due_dt(contract)
        if not contract.deliveries and now > due and f"A06:contract:{contract.id}" not in reported:
            _late_delivery_report(contract, due, now)
            count += 1
    return count


def on_contract_evaluated(evaluation, contract_id=None, agency_org_id=None, scores=None, **__):
    overall = sum(scores.values()) / len(scores) * 20
    if overall >= current_app.config["CREDIT_POOR_EVALUATION"]:
        return
    contract = db.session.get(Contract, contract_id)
    _system_report(
        agency_org_id,
        "poor_evaluation",
        contract.notice,
        f"项目「{contract.notice.title}」采购人评价综合得分 {overall:.0f} 分，"  # i18n: data
        "低于 60 分。",  # i18n: data
        {"fact": "poor_evaluation", "score": round(overall), "scores": scores},
        f"A13:evaluation:{evaluation.id}",
    )


def on_qualification_rejected(qualification, actor=None, reason="", **__):
    report_facts(
        [
            SystemFact(
                subject_org_id=qualification.agency_id,
                fact="qualification_rejected",
                facts=f"申报的「{qualification.item.name}」资质经核验不通过："  # i18n: data
                f"{reason}",
                dedupe_key=f"A01:qualification:{qualification.id}",
                evidence={"fact": "qualification_rejected", "qualification_id": qualification.id},
                department=qualification.item.approving_department,
            )
        ]
    )


def on_payment_overdue(
    contract, purchaser_org_id=None, due_dt=None, milestone_id=None, milestone_label="", **__
):
    what = milestone_label or "服务费"  # i18n: data (part of the stored facts)
    _system_report(
        purchaser_org_id or contract.purchaser_org_id,
        "payment_late",
        contract.notice,
        f"项目「{contract.notice.title}」的{what}"  # i18n: data
        f"应于 {_day(due_dt)} 前支付，采购人逾期未付。",  # i18n: data
        {"fact": "payment_late", "due": _day(due_dt), "milestone_id": milestone_id},
        f"P03:payment:{milestone_id or contract.id}",
    )


def on_record_changed(record, from_state=None, to_state=None, **__):
    # A report weighs nothing until it is decided: only decisions and later steps move it.
    if record.party == "agency" and to_state != "reported":
        recompute_agency(record.subject_org_id, cause=f"record:{record.id}")
    note = STATE_NOTES.get((from_state, to_state))
    if note is None:
        return
    values = {
        "due": f"{to_local(record.response_due_dt):%Y-%m-%d %H:%M}",
        "number": record.decision_number,
        "appeal": record.appeal_due_dt and f"{to_local(record.appeal_due_dt):%Y-%m-%d}",
        "repair_reason": record.repair_reason,
    }

    def body():
        return _(
            "%(code)s %(behaviour)s。%(note)s",
            code=record.criterion.code,
            behaviour=record.criterion.behaviour,
            note=str(note) % values,
        )

    notify(
        record.subject_org_id,
        "credit",
        _l("不良行为记录 %(number)s：%(status)s", number=record.number, status=record.status_label),
        body,
        link_to("credit.record", record_id=record.id),
    )


def connect(signals) -> None:
    signals.notice_transitioned.connect(on_notice_transitioned)
    signals.contract_evaluated.connect(on_contract_evaluated)
    signals.qualification_rejected.connect(on_qualification_rejected)
    signals.payment_overdue.connect(on_payment_overdue)
    signals.conduct_record_changed.connect(on_record_changed)
