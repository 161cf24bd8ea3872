"""The red list (守信激励名单): regulators put an agency with a clean record on it for a period;
its bonus counts in the score at once. A confirmed violation ends it (records.decide)."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from ...accounts.models import Organisation
from ...core.audit import record_event
from ...core.clock import add_months, to_local, utcnow
from ...core.errors import NotAllowed, ServiceError
from ...core.i18n import _
from ...extensions import db
from ..models import ConductRecord, RedListEntry
from ..records.services import check_decision_number, regulator_department
from ..standing import recompute_agency
from ..states import CONFIRMED_STATES

MAX_BONUS = 10
MAX_MONTHS = 36


@dataclass
class RedListData:
    #: the agency's 统一社会信用代码 or its name
    agency: str
    reason: str
    decision_number: str
    bonus: int | None = None
    months: int | None = None


def current_entries(now=None):
    """The entries in force now (not removed, not ended), newest first (a select to page)."""
    now = now or utcnow()
    return (
        select(RedListEntry)
        .join(RedListEntry.agency)
        .options(contains_eager(RedListEntry.agency))
        .where(RedListEntry.removed_dt.is_(None), RedListEntry.end_dt > now)
        .order_by(RedListEntry.start_dt.desc(), RedListEntry.id.desc())
    )


def find_agency(text: str) -> Organisation:
    """The agency whose USCC or full name is `text`, or the only one whose name contains it."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写机构的统一社会信用代码或名称"), "agency")
    agencies = select(Organisation).where(Organisation.kind == "agency")
    exact = db.session.scalars(
        agencies.where(or_(Organisation.uscc == text.upper(), Organisation.name == text))
    ).all()
    if len(exact) == 1:
        return exact[0]
    partial = db.session.scalars(
        agencies.where(Organisation.name.contains(text, autoescape=True)).limit(2)
    ).all()
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise ServiceError(
            _("有多家机构名称包含「%(text)s」，请填写统一社会信用代码", text=text), "agency"
        )
    raise ServiceError(_("没有统一社会信用代码或名称为「%(text)s」的中介机构", text=text), "agency")


def active_record(org_id: int, now=None) -> ConductRecord | None:
    """A confirmed record of the agency still in its publication period, if any."""
    now = now or utcnow()
    return db.session.scalar(
        select(ConductRecord)
        .where(
            ConductRecord.subject_org_id == org_id,
            ConductRecord.status.in_(CONFIRMED_STATES),
            ConductRecord.publication_end_dt > now,
        )
        .order_by(ConductRecord.publication_end_dt.desc())
        .limit(1)
    )


def current_entry(org_id: int, now=None) -> RedListEntry | None:
    now = now or utcnow()
    return db.session.scalar(
        select(RedListEntry)
        .where(
            RedListEntry.agency_org_id == org_id,
            RedListEntry.removed_dt.is_(None),
            RedListEntry.end_dt > now,
        )
        .limit(1)
    )


def add_to_red_list(user, data: RedListData) -> RedListEntry:
    """A regulator puts an agency on the red list for 1–36 months with a bonus of 1–10 points
    (default CREDIT_RED_LIST_BONUS). Refused while the agency has a confirmed record in its
    publication period, or is on the list already. Its score takes the bonus at once."""
    department = regulator_department(user, _("办理红名单"))
    agency = find_agency(data.agency)
    reason = (data.reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写列入红名单的事由"), "reason")
    number = check_decision_number(data.decision_number)
    bonus = current_app.config["CREDIT_RED_LIST_BONUS"] if data.bonus is None else data.bonus
    if not 1 <= bonus <= MAX_BONUS:
        raise ServiceError(_("加分应为 1–%(max)s 分", max=MAX_BONUS), "bonus")
    if data.months is None or not 1 <= data.months <= MAX_MONTHS:
        raise ServiceError(_("列入期限应为 1–%(max)s 个月", max=MAX_MONTHS), "months")
    now = utcnow()
    record = active_record(agency.id, now)
    if record is not None:
        raise ServiceError(
            _(
                "「%(name)s」有尚在公示期的不良行为记录（%(number)s，公示至 %(end)s），"
                "不能列入红名单",
                name=agency.name,
                number=record.decision_number or record.number,
                end=f"{to_local(record.publication_end_dt):%Y-%m-%d}",
            ),
            "agency",
        )
    existing = current_entry(agency.id, now)
    if existing is not None:
        raise ServiceError(
            _(
                "「%(name)s」已在红名单中（至 %(end)s）",
                name=agency.name,
                end=f"{to_local(existing.end_dt):%Y-%m-%d}",
            ),
            "agency",
        )
    entry = RedListEntry(
        agency_org_id=agency.id,
        reason=reason,
        decision_number=number,
        bonus=bonus,
        start_dt=now,
        end_dt=add_months(now, data.months),
        department=department,
        created_by_id=user.id,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        "red_list",
        entry.id,
        "added",
        actor=user,
        data={
            "agency_org_id": agency.id,
            "decision_number": number,
            "bonus": bonus,
            "months": data.months,
            "department": department,
        },
    )
    recompute_agency(agency.id, cause="red_list")
    return entry


def check_remover(user, entry_id: int) -> RedListEntry | None:
    """The entry (None if there is none) when the user is a regulator of the department that
    listed it; NotAllowed for anyone else."""
    department = regulator_department(user, _("办理红名单"))
    entry = db.session.get(RedListEntry, entry_id)
    if entry is not None and entry.department != department:
        raise NotAllowed(
            _(
                "该机构由「%(department)s」列入红名单，您所在部门无权移出",
                department=entry.department,
            )
        )
    return entry


def remove_from_red_list(user, entry_id: int, reason: str) -> RedListEntry:
    """A regulator of the department that listed the agency ends the entry early, saying why;
    the bonus leaves the score at once."""
    entry = check_remover(user, entry_id)
    if entry is None:
        raise ServiceError(_("红名单记录不存在"))
    now = utcnow()
    if entry.removed_dt is not None or entry.end_dt <= now:
        raise ServiceError(_("该机构已不在红名单中"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写移出红名单的原因"), "reason")
    entry.removed_dt = now
    entry.removed_reason = reason
    record_event(
        "red_list",
        entry.id,
        "removed",
        actor=user,
        data={"agency_org_id": entry.agency_org_id, "reason": reason},
    )
    recompute_agency(entry.agency_org_id, cause="red_list")
    return entry
