"""Appeal (复核) within 15 working days of a decision, and repair (信用修复) after the minimum
publication period, with proof; each decided by a regulator of the record's department."""

from ...agencies.documents import Upload, check_uploads, store_uploads
from ...core.clock import to_local, utcnow
from ...core.errors import ServiceError
from ...core.i18n import _
from ..models import ConductRecord
from ..states import transition
from .services import (
    APPEAL_OUTCOMES,
    _attach,
    check_decision_number,
    check_department,
    check_subject,
    get_record,
)

# --- appeal (复核) ---------------------------------------------------------------------------


def _is_subject(record: ConductRecord, user) -> bool:
    org = getattr(user, "organisation", None) if user is not None else None
    return org is not None and org.id == record.subject_org_id


def may_appeal(record: ConductRecord, user, now) -> bool:
    """Whether the appeal form applies to `user` now (appeal() has the full rules)."""
    return (
        _is_subject(record, user)
        and record.status == "confirmed"
        and record.appealed_dt is None
        and now <= record.appeal_due_dt
    )


def may_request_repair(record: ConductRecord, user, now) -> bool:
    """Whether the repair form applies to `user` now: a confirmed record still published
    (before the minimum period the form says from when; request_repair() refuses)."""
    return (
        _is_subject(record, user)
        and record.status == "confirmed"
        and now < (record.publication_end_dt)
    )


def appeal(user, record_id: int, text: str, uploads: list[Upload] = ()) -> ConductRecord:
    """The recorded party asks for review within 15 working days of the decision."""
    record = get_record(record_id)
    check_subject(record, user)
    if record.status != "confirmed" or record.appealed_dt is not None:
        raise ServiceError(_("只能对已认定且未申请过复核的记录申请复核"))
    if utcnow() > record.appeal_due_dt:
        raise ServiceError(
            _(
                "复核申请期限已于 %(due)s 届满",
                due=f"{to_local(record.appeal_due_dt):%Y-%m-%d %H:%M}",
            )
        )
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写复核理由"), "text")
    check_uploads(list(uploads))
    record.appeal_text = text
    record.appealed_dt = utcnow()
    _attach(record, "appeal", store_uploads(user, "evidence", list(uploads)))
    transition(record, "appealed", user)
    return record


def decide_appeal(user, record_id: int, outcome: str, decision_number: str, reason: str):
    """The regulator upholds (the record stands) or revokes it (it leaves the score, the
    public lists and lifts its measures)."""
    record = get_record(record_id)
    check_department(user, record.department)
    if record.status != "appealed":
        raise ServiceError(_("该记录没有待办理的复核申请"))
    if outcome not in APPEAL_OUTCOMES:
        raise ServiceError(_("请选择复核结论"), "outcome")
    number = check_decision_number(decision_number)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明复核理由"), "reason")
    record.appeal_result = outcome
    record.appealdecision_number = number
    record.appeal_reason = reason
    record.appeal_decided_dt = utcnow()
    transition(record, "confirmed" if outcome == "upheld" else "revoked", user, decision=number)
    return record


# --- repair (信用修复) -----------------------------------------------------------------------


def request_repair(user, record_id: int, text: str, uploads: list[Upload]) -> ConductRecord:
    """After the minimum publication period the party asks for repair with proof that it
    put the matter right."""
    record = get_record(record_id)
    check_subject(record, user)
    if record.status != "confirmed":
        raise ServiceError(
            _("该记录当前为「%(status)s」，不能申请信用修复", status=record.status_label)
        )
    now = utcnow()
    if now >= record.publication_end_dt:
        raise ServiceError(_("该记录公示期已满，已不再公示和计分，无需修复"))
    if now < record.repair_from_dt:
        raise ServiceError(
            _(
                "最短公示期至 %(end)s 届满，届满后方可申请信用修复",
                end=f"{to_local(record.repair_from_dt):%Y-%m-%d}",
            )
        )
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请说明整改情况"), "text")
    if not uploads:
        raise ServiceError(_("请上传整改证明材料"), "files")
    check_uploads(list(uploads))
    record.repair_text = text
    record.repair_requested_dt = now
    record.repair_reason = ""
    _attach(record, "repair", store_uploads(user, "evidence", list(uploads)))
    transition(record, "repair_requested", user)
    return record


def decide_repair(user, record_id: int, approve: bool | None, reason: str = "") -> ConductRecord:
    """The regulator repairs the record (it leaves the public list and the score) or
    refuses with a reason (it stands as before); `approve` None: no outcome was chosen."""
    record = get_record(record_id)
    check_department(user, record.department)
    if record.status != "repair_requested":
        raise ServiceError(_("该记录没有待办理的信用修复申请"))
    if approve is None:
        raise ServiceError(_("请选择修复结论"), "outcome")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ServiceError(_("不予修复时请说明理由"), "reason")
    record.repair_reason = reason
    if approve:
        record.repaired_dt = utcnow()
    transition(record, "repaired" if approve else "confirmed", user, reason=reason)
    return record
