"""Conduct records and their due process (docs/design.md §7.2): report → statement (3 working days)
→ decision with a number → disclosure (7 working days) → appeal (15 working days) → repair
after the minimum publication period. Every service checks everything before it changes
anything, so a refusal leaves the record as it was."""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import insert, select

from ...accounts.models import Organisation
from ...agencies.documents import Upload, check_uploads, store_uploads
from ...core.audit import record_event
from ...core.clock import add_months, to_local, utcnow
from ...core.errors import NotAllowed, ServiceError
from ...core.i18n import _, _l
from ...core.signals import conduct_record_changed, violation_confirmed
from ...core.workdays import add_working_days
from ...extensions import db
from ...procurement.models import Notice
from ...procurement.services import bids_sealed, took_part
from .. import criteria
from ..facts import criteria_for as fact_criteria
from ..models import ConductRecord, RedListEntry, record_documents
from ..states import CONFIRMED_STATES, transition

DECISIONS = {
    "confirmed": _l("认定违规"),
    "dismissed_none": _l("不予认定：无违规事实"),
    "dismissed_evidence": _l("不予认定：证据不足"),
}
APPEAL_OUTCOMES = {"upheld": _l("维持原认定"), "revoked": _l("撤销原认定")}


def _working_days(at, key: str):
    return add_working_days(at, current_app.config[key])


def _org_of(user):
    return getattr(user, "organisation", None) if user is not None else None


def department_of(user) -> str | None:
    """The approving department a regulator user acts for; None for anyone else."""
    org = _org_of(user)
    if org is None or org.kind != "regulator":
        return None
    return (org.department or "").strip()


def regulator_department(user, what: str) -> str:
    """The user's department, or NotAllowed saying who may do `what` (e.g. "办理红名单")."""
    department = department_of(user)
    if department is None:
        raise NotAllowed(_("只有监管部门可以%(what)s", what=what))
    if not department:
        raise NotAllowed(
            _(
                "本单位尚未设置对应的审批部门，不能%(what)s，请联系平台运营方",
                what=what,
            )
        )
    return department


def check_department(user, department: str) -> None:
    """Only a regulator of `department` may decide on its records."""
    mine = department_of(user)
    if mine is None:
        raise NotAllowed(_("只有监管部门可以办理不良行为记录"))
    if mine != department:
        raise NotAllowed(
            _("该记录由「%(department)s」办理，您所在部门无权处理", department=department)
        )


def check_subject(record: ConductRecord, user) -> None:
    """Only the recorded party states its case, appeals or asks for repair."""
    org = _org_of(user)
    if org is None or org.id != record.subject_org_id:
        raise NotAllowed(_("只有被记录单位可以办理此事项"))


def check_decision_number(number: str, field_name: str = "decision_number") -> str:
    """A decision number (决定书文号) as typed, or a ServiceError for the field."""
    number = (number or "").strip()
    if not number:
        raise ServiceError(_("请填写决定书文号（如：规资信决〔2026〕12号）"), field_name)
    if len(number) > 60:
        raise ServiceError(_("决定书文号不超过 60 个字符"), field_name)
    return number


def _attach(record: ConductRecord, stage: str, documents) -> None:
    if documents:
        db.session.execute(
            insert(record_documents),
            [{"record_id": record.id, "document_id": d.id, "stage": stage} for d in documents],
        )


def record_readers(document) -> set[int]:
    """Files of a record are shared with the recorded party and the reporter (regulators read
    everything anyway)."""
    rows = db.session.execute(
        select(ConductRecord.subject_org_id, ConductRecord.reported_by_org_id)
        .join(record_documents, record_documents.c.record_id == ConductRecord.id)
        .where(record_documents.c.document_id == document.id)
    )
    return {org_id for row in rows for org_id in row if org_id is not None}


def get_record(record_id: int) -> ConductRecord:
    record = db.session.get(ConductRecord, record_id)
    if record is None:
        raise ServiceError(_("不良行为记录不存在"))
    return record


def can_view(record: ConductRecord, user) -> bool:
    """The recorded party, the reporter, regulators and operators see a record in full."""
    org = _org_of(user)
    if org is None:
        return False
    return org.kind in ("regulator", "operator") or org.id in (
        record.subject_org_id,
        record.reported_by_org_id,
    )


# --- reporting ------------------------------------------------------------------------------


@dataclass
class ReportData:
    subject_org_id: int
    code: str
    facts: str
    notice_id: int | None = None
    uploads: list[Upload] = field(default_factory=list)


def _source_for(user, source: str | None) -> str:
    if source:
        return source
    org = _org_of(user)
    if user is None:
        return "system"
    if org is not None and org.kind in ("purchaser", "regulator"):
        return org.kind
    raise NotAllowed(_("只有采购人、监管部门或系统可以报告不良行为"))


def _department_for(user, source: str, notice: Notice | None, department: str | None) -> str:
    org = _org_of(user)
    if org is not None and org.kind == "regulator":
        mine = (org.department or "").strip()
        if notice is not None and notice.item.approving_department != mine:
            raise NotAllowed(
                _(
                    "该项目的审批部门为「%(department)s」，您所在部门无权记录",
                    department=notice.item.approving_department,
                )
            )
        return mine
    if notice is not None:
        return notice.item.approving_department
    if department:
        return department
    raise ServiceError(_("请选择相关的采购项目"), "notice_id")


def _check_purchaser_report(user, notice: Notice | None, subject_org_id: int) -> None:
    org = _org_of(user)
    if notice is None:
        raise ServiceError(_("请选择本单位的采购项目"), "notice_id")
    if notice.purchaser_org_id != org.id:
        raise NotAllowed(_("只能就本单位发布的采购项目报告不良行为"))
    if bids_sealed(notice):
        # The same answer whoever is named: before the deadline nobody learns who quoted.
        raise ServiceError(_("报价截止后才能就该项目报告参与机构的不良行为"), "subject_org_id")
    if not any(b.agency_org_id == subject_org_id and took_part(b) for b in notice.bids):
        raise ServiceError(_("所选机构未参与该项目，不能就该项目报告其不良行为"), "subject_org_id")


def report(
    user,
    data: ReportData,
    *,
    source: str | None = None,
    department: str | None = None,
    evidence: dict | None = None,
    dedupe_key: str | None = None,
    at=None,
) -> ConductRecord:
    """Report a conduct against a criterion in force: a purchaser about an agency on its own
    notice, a regulator within its department, the system (user None) with the evidence.
    The recorded party is notified and has 3 working days for its statement. With a dedupe
    key a fact is reported once: a repeat returns the first record."""
    with db.session.no_autoflush:  # the record's own flush below writes what is pending
        if dedupe_key is not None:
            existing = db.session.scalar(
                select(ConductRecord).where(ConductRecord.dedupe_key == dedupe_key)
            )
            if existing is not None:
                return existing
        record = _new_record(user, data, source, department, evidence, dedupe_key, at)
    db.session.add(record)
    db.session.flush()
    _announce(record, user, data.uploads)
    return record


@dataclass
class SystemFact:
    """An objective fact the system reports (listeners.py), with its evidence; `fact` names it
    in facts.FACTS, which says the criterion it is reported under."""

    subject_org_id: int
    fact: str
    facts: str
    dedupe_key: str
    evidence: dict
    notice_id: int | None = None
    department: str | None = None
    at: object = None


def report_facts(facts: list[SystemFact]) -> list[ConductRecord]:
    """System reports of many facts at once (the runner's batch): one query for those
    already reported, one flush. Each is reported as `report` would."""
    with db.session.no_autoflush:
        known = set(
            db.session.scalars(
                select(ConductRecord.dedupe_key).where(
                    ConductRecord.dedupe_key.in_([f.dedupe_key for f in facts])
                )
            )
        )
        under = fact_criteria([f.fact for f in facts])
        records = []
        for fact in facts:
            if fact.dedupe_key in known:
                continue
            known.add(fact.dedupe_key)
            criterion = under[fact.fact]
            data = ReportData(fact.subject_org_id, criterion.code, fact.facts, fact.notice_id)
            records.append(
                _new_record(
                    None,
                    data,
                    "system",
                    fact.department,
                    fact.evidence,
                    fact.dedupe_key,
                    fact.at,
                    criterion,
                )
            )
    db.session.add_all(records)
    db.session.flush()
    for record in records:
        _announce(record, None, [])
    return records


def _new_record(
    user, data, source, department, evidence, dedupe_key, at, criterion=None
) -> ConductRecord:
    """The checked, unsaved record of a report (`criterion`: the code's version in force,
    when the caller has it already)."""
    source = _source_for(user, source)
    criterion = criterion or criteria.current(data.code)
    subject = db.session.get(Organisation, data.subject_org_id)
    if subject is None or subject.kind not in ("agency", "purchaser"):
        raise ServiceError(_("请选择被记录的机构或采购人"), "subject_org_id")
    if subject.kind != criterion.party:
        raise ServiceError(
            _(
                "标准 %(code)s 适用于%(party)s，「%(name)s」是%(kind)s",
                code=criterion.code,
                party=criterion.party_label,
                name=subject.name,
                kind=_("中介机构") if subject.kind == "agency" else _("采购人"),
            ),
            "subject_org_id",
        )
    notice = db.session.get(Notice, data.notice_id) if data.notice_id else None
    if data.notice_id and notice is None:
        raise ServiceError(_("所选采购项目不存在"), "notice_id")
    if source == "purchaser":
        _check_purchaser_report(user, notice, subject.id)
    department = _department_for(user, source, notice, department)
    facts = (data.facts or "").strip()
    if not facts:
        raise ServiceError(_("请写明违规事实"), "facts")
    check_uploads(data.uploads)
    at = at or utcnow()
    org = _org_of(user)
    return ConductRecord(
        subject_org_id=subject.id,
        party=subject.kind,
        criterion=criterion,
        department=department,
        notice_id=notice.id if notice is not None else None,
        source=source,
        facts=facts,
        evidence=evidence or {},
        dedupe_key=dedupe_key,
        reported_by_org_id=org.id if org is not None else None,
        reported_by_id=user.id if user is not None else None,
        reported_dt=at,
        response_due_dt=_working_days(at, "CREDIT_RESPONSE_WORKING_DAYS"),
    )


def _announce(record: ConductRecord, user, uploads) -> None:
    """A saved report's files, audit event and announcement (the party is notified)."""
    _attach(record, "report", store_uploads(user, "evidence", uploads))
    record_event(
        "conduct_record",
        record.id,
        "reported",
        actor=user,
        to_state="reported",
        public=False,
        data={
            "subject_org_id": record.subject_org_id,
            "code": record.criterion.code,
            "source": record.source,
        },
        occurred_dt=record.reported_dt,
    )
    conduct_record_changed.send(record, from_state=None, to_state="reported")


# --- the party's statement ------------------------------------------------------------------


def may_respond(record: ConductRecord, user, now) -> bool:
    """Whether the statement form applies to `user` now (respond() has the full rules)."""
    org = _org_of(user)
    return (
        org is not None
        and org.id == record.subject_org_id
        and record.status == "reported"
        and record.responded_dt is None
        and now <= record.response_due_dt
    )


def respond(user, record_id: int, text: str, uploads: list[Upload] = ()) -> ConductRecord:
    """The recorded party's statement (陈述申辩) with files, within the response window."""
    record = get_record(record_id)
    check_subject(record, user)
    if record.status != "reported":
        raise ServiceError(_("该记录已作出决定，不能再提交陈述申辩"))
    if record.responded_dt is not None:
        raise ServiceError(_("已提交过陈述申辩"))
    if utcnow() > record.response_due_dt:
        raise ServiceError(
            _(
                "陈述申辩期限已于 %(due)s 届满",
                due=f"{to_local(record.response_due_dt):%Y-%m-%d %H:%M}",
            )
        )
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写陈述申辩内容"), "text")
    check_uploads(list(uploads))
    record.response_text = text
    record.responded_dt = utcnow()
    _attach(record, "response", store_uploads(user, "evidence", list(uploads)))
    record_event(
        "conduct_record",
        record.id,
        "responded",
        actor=user,
        public=False,
        data={"subject_org_id": record.subject_org_id},
    )
    conduct_record_changed.send(record, from_state="reported", to_state="reported")
    return record


# --- decisions ------------------------------------------------------------------------------


def decisions_open(record: ConductRecord, user) -> dict[str, bool]:
    """Which of a regulator's decisions the record page offers `user` now: decide the report,
    disclose it, decide an appeal, decide a repair request (the services check in full)."""
    regulates = department_of(user) == record.department
    return {
        "decide": regulates and record.status == "reported",
        "publish": regulates and record.disclosure_pending,
        "appeal": regulates and record.status == "appealed",
        "repair": regulates and record.status == "repair_requested",
    }


def _check_decidable(user, record: ConductRecord, now) -> None:
    check_department(user, record.department)
    if record.status != "reported":
        raise ServiceError(
            _("该记录当前为「%(status)s」，不能再作认定", status=record.status_label)
        )
    if record.responded_dt is None and now <= record.response_due_dt:
        raise ServiceError(
            _(
                "被记录单位的陈述申辩期至 %(due)s，收到申辩或期满后方可作出决定",
                due=f"{to_local(record.response_due_dt):%Y-%m-%d %H:%M}",
            )
        )


def decide(user, record_id: int, outcome: str, decision_number: str, reason: str = "", code=None):
    """A regulator of the record's department confirms or dismisses it with a decision
    number. A confirmed record is judged under the criterion version in force now (or the
    criterion `code` the regulator finds instead), and its measures start."""
    record = get_record(record_id)
    now = utcnow()
    _check_decidable(user, record, now)
    if outcome not in DECISIONS:
        raise ServiceError(_("请选择认定结论"), "outcome")
    number = check_decision_number(decision_number)
    reason = (reason or "").strip()
    if outcome != "confirmed" and not reason:
        raise ServiceError(_("不予认定时请说明理由"), "reason")
    criterion = criteria.current(code or record.criterion.code)
    if criterion.party != record.party:
        raise ServiceError(
            _(
                "标准 %(code)s 适用于%(party)s",
                code=criterion.code,
                party=criterion.party_label,
            ),
            "code",
        )
    record.decision_number = number
    record.decision_reason = reason
    record.decided_dt = now
    record.decided_by_id = user.id
    if outcome == "confirmed":
        record.criterion = criterion
        _start_measures(record, now)
    transition(record, outcome, user, at=now, decision_number=number, code=record.criterion.code)
    if outcome == "confirmed":
        _end_red_list(record, user, now)
        violation_confirmed.send(record, subject_org_id=record.subject_org_id)
    return record


def _start_measures(record: ConductRecord, now) -> None:
    criterion = record.criterion
    minimum = current_app.config["CREDIT_MIN_PUBLICATION_MONTHS"][criterion.severity]
    record.publish_due_dt = _working_days(now, "CREDIT_PUBLISH_WORKING_DAYS")
    record.publication_end_dt = add_months(now, criterion.publish_months)
    record.appeal_due_dt = _working_days(now, "CREDIT_APPEAL_WORKING_DAYS")
    record.repair_from_dt = add_months(now, min(minimum, criterion.publish_months))
    if criterion.measure == "suspend":
        record.measure_end_dt = add_months(now, criterion.suspend_months)
    elif criterion.measure == "blacklist":
        record.measure_end_dt = record.publication_end_dt


def _end_red_list(record: ConductRecord, user, now) -> None:
    entries = db.session.scalars(
        select(RedListEntry).where(
            RedListEntry.agency_org_id == record.subject_org_id,
            RedListEntry.removed_dt.is_(None),
            RedListEntry.end_dt > now,
        )
    )
    for entry in entries:
        entry.removed_dt = now
        # stored with the entry: Chinese, like the reasons regulators type
        entry.removed_reason = f"存在经认定的不良行为（{record.decision_number}）"  # i18n: data
        record_event("red_list", entry.id, "removed", actor=user, data={"record_id": record.id})


def bulk_confirm(user, record_ids: list[int], decision_number: str, reason: str = ""):
    """Confirm a list of reported records under one decision number. Returns (confirmed,
    skipped) where skipped pairs a record id with why it was left as it was."""
    check_decision_number(decision_number)
    if not record_ids:
        raise ServiceError(_("请选择要认定的记录"), "record_ids")
    confirmed, skipped = [], []
    for record_id in record_ids:
        # decide() checks everything before it changes anything: a refusal leaves that
        # record untouched and the others go on
        try:
            confirmed.append(decide(user, record_id, "confirmed", decision_number, reason))
        except ServiceError as error:
            skipped.append((record_id, error.message))
    return confirmed, skipped


def publish(user, record_id: int) -> ConductRecord:
    """Disclose a confirmed record (双公示); due within 7 working days of the decision."""
    record = get_record(record_id)
    check_department(user, record.department)
    if record.status not in CONFIRMED_STATES:
        raise ServiceError(_("只有已认定的记录可以公示"))
    if record.published_dt is not None:
        raise ServiceError(_("该记录已公示"))
    record.published_dt = utcnow()
    record_event(
        "conduct_record",
        record.id,
        "published",
        actor=user,
        data={"late": record.published_dt > record.publish_due_dt},
    )
    conduct_record_changed.send(record, from_state=record.status, to_state=record.status)
    return record
