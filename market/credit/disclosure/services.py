"""Public disclosure (双公示): which decided records the public sees, the blacklist, and the
open-data exports (JSON with Asia/Shanghai ISO times, CSV with a BOM so Excel reads Chinese)."""

import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from ...accounts.models import Organisation
from ...agencies.models import Agency
from ...core.clock import to_local, utcnow
from ...core.csvfile import csv_bytes
from ...core.i18n import _, _l
from ...extensions import db
from ..models import MEASURES, PARTIES, SEVERITIES, ConductRecord, ViolationCriterion
from ..states import CONFIRMED_STATES, RECORD


@dataclass
class Filters:
    party: str = ""
    code: str = ""
    department: str = ""
    keyword: str = ""


def disclosed_condition(now):
    """SQL for "publicly disclosed at `now`": decided as a violation (still standing), published,
    and its publication period not over. Revoked, repaired, dismissed, expired or not yet
    published records are not."""
    return (
        ConductRecord.status.in_(CONFIRMED_STATES)
        & ConductRecord.published_dt.is_not(None)
        & (ConductRecord.publication_end_dt > now)
    )


def is_disclosed(record: ConductRecord, now=None) -> bool:
    """Whether the public sees `record` at `now` (default: now)."""
    now = now or utcnow()
    return (
        record.status in CONFIRMED_STATES
        and record.published_dt is not None
        and record.publication_end_dt is not None
        and record.publication_end_dt > now
    )


def disclosures(filters: Filters | None = None, now=None):
    """The disclosed records matching `filters`, newest decision first (a select to page)."""
    filters = filters or Filters()
    now = now or utcnow()
    query = (
        select(ConductRecord)
        .join(ConductRecord.subject)
        .join(ConductRecord.criterion)
        .options(contains_eager(ConductRecord.subject), contains_eager(ConductRecord.criterion))
        .where(disclosed_condition(now))
    )
    if filters.party in PARTIES:
        query = query.where(ConductRecord.party == filters.party)
    if filters.code.strip():
        query = query.where(ViolationCriterion.code == filters.code.strip().upper())
    if filters.department.strip():
        query = query.where(ConductRecord.department == filters.department.strip())
    keyword = filters.keyword.strip()
    if keyword:
        query = query.where(
            or_(
                Organisation.name.contains(keyword, autoescape=True),
                Organisation.uscc == keyword.upper(),
            )
        )
    return query.order_by(ConductRecord.decided_dt.desc(), ConductRecord.id.desc())


def disclosed_departments(now=None) -> list[str]:
    """The departments with records on the public list (for the filter)."""
    now = now or utcnow()
    return db.session.scalars(
        select(ConductRecord.department)
        .where(disclosed_condition(now))
        .distinct()
        .order_by(ConductRecord.department)
    ).all()


def criterion_codes() -> list[tuple[str, str]]:
    """Every code ever published with its latest behaviour (records keep retired versions)."""
    latest = {}
    for criterion in db.session.scalars(
        select(ViolationCriterion).order_by(ViolationCriterion.code, ViolationCriterion.version)
    ):
        latest[criterion.code] = criterion.behaviour
    return list(latest.items())


def measure_text(record: ConductRecord) -> str:
    """The measure as the public reads it, with the date it ends."""
    criterion = record.criterion
    if criterion.measure in ("suspend", "blacklist") and record.measure_end_dt is not None:
        return _(
            "%(measure)s（至 %(end)s）",
            measure=criterion.measure_label,
            end=f"{to_local(record.measure_end_dt):%Y-%m-%d}",
        )
    return criterion.measure_label


def blacklisted_agencies(now=None) -> list[Agency]:
    """Agencies on the blacklist now: blacklisted, not yet past its end (none: indefinite), by
    a published record. The end date filters too, so an expiry shows before the nightly
    recompute writes it."""
    now = now or utcnow()
    # Listed once a record that blacklists it is disclosed (双公示): a decision not yet
    # published reaches no public page, this list included.
    published = (
        select(ConductRecord.id)
        .join(ViolationCriterion, ViolationCriterion.id == ConductRecord.criterion_id)
        .where(
            ConductRecord.subject_org_id == Agency.org_id,
            ViolationCriterion.measure == "blacklist",
            disclosed_condition(now),
        )
        .exists()
    )
    return db.session.scalars(
        select(Agency)
        .join(Agency.organisation)
        .options(contains_eager(Agency.organisation))
        .where(
            Agency.blacklisted.is_(True),
            or_(Agency.blacklisted_until.is_(None), Agency.blacklisted_until > now),
            published,
        )
        .order_by(Organisation.name, Agency.org_id)
    ).all()


# --- exports --------------------------------------------------------------------------------

#: (JSON key, CSV header) in the order both exports use; docs/credit.md documents the keys.
#: The Chinese headers are also the open-data bulk files' (opendata.datasets), a published
#: format; the page's CSV download shows DISCLOSURE_HEADERS, in the reader's language.
DISCLOSURE_COLUMNS = (
    ("record_number", "记录编号"),  # i18n: data
    ("decision_number", "决定书文号"),  # i18n: data
    ("decided_at", "认定时间"),  # i18n: data
    ("published_at", "公示时间"),  # i18n: data
    ("publication_end", "公示截止"),  # i18n: data
    ("party", "当事人类型"),  # i18n: data
    ("org_id", "当事人编号"),  # i18n: data
    ("name", "当事人名称"),  # i18n: data
    ("uscc", "统一社会信用代码"),  # i18n: data
    ("criterion_code", "标准编号"),  # i18n: data
    ("criterion_version", "标准版本"),  # i18n: data
    ("behaviour", "违法违规行为"),  # i18n: data
    ("severity", "严重程度"),  # i18n: data
    ("deduction", "扣分"),  # i18n: data
    ("measure", "处理措施"),  # i18n: data
    ("measure_end", "措施截止"),  # i18n: data
    ("department", "认定部门"),  # i18n: data
    ("status", "状态"),  # i18n: data
)
DISCLOSURE_HEADERS = {
    "record_number": _l("记录编号"),
    "decision_number": _l("决定书文号"),
    "decided_at": _l("认定时间"),
    "published_at": _l("公示时间"),
    "publication_end": _l("公示截止"),
    "party": _l("当事人类型"),
    "org_id": _l("当事人编号"),
    "name": _l("当事人名称"),
    "uscc": _l("统一社会信用代码"),
    "criterion_code": _l("标准编号"),
    "criterion_version": _l("标准版本"),
    "behaviour": _l("违法违规行为"),
    "severity": _l("严重程度"),
    "deduction": _l("扣分"),
    "measure": _l("处理措施"),
    "measure_end": _l("措施截止"),
    "department": _l("认定部门"),
    "status": _l("状态"),
}
BLACKLIST_COLUMNS = (
    ("org_id", _l("机构编号")),
    ("name", _l("机构名称")),
    ("uscc", _l("统一社会信用代码")),
    ("reason", _l("列入原因")),
    ("until", _l("黑名单截止")),
)
RED_LIST_COLUMNS = (
    ("entry_id", _l("名单编号")),
    ("org_id", _l("机构编号")),
    ("name", _l("机构名称")),
    ("uscc", _l("统一社会信用代码")),
    ("reason", _l("列入原因")),
    ("decision_number", _l("决定书文号")),
    ("department", _l("列入部门")),
    ("bonus", _l("加分")),
    ("start", _l("列入时间")),
    ("end", _l("截止时间")),
)
#: the labels CSV shows for coded values (JSON keeps the codes)
_LABELS = {
    "party": PARTIES,
    "severity": SEVERITIES,
    "measure": MEASURES,
    "status": {state: RECORD.label(state) for state in CONFIRMED_STATES},
}


def disclosure_row(record: ConductRecord) -> dict:
    criterion = record.criterion
    return {
        "record_number": record.number,
        "decision_number": record.decision_number,
        "decided_at": record.decided_dt,
        "published_at": record.published_dt,
        "publication_end": record.publication_end_dt,
        "party": record.party,
        "org_id": record.subject_org_id,
        "name": record.subject.name,
        "uscc": record.subject.uscc or "",
        "criterion_code": criterion.code,
        "criterion_version": criterion.version,
        "behaviour": criterion.behaviour,
        "severity": criterion.severity,
        "deduction": criterion.deduction,
        "measure": criterion.measure,
        "measure_end": record.measure_end_dt,
        "department": record.department,
        "status": record.status,
    }


def blacklist_row(agency: Agency) -> dict:
    return {
        "org_id": agency.org_id,
        "name": agency.organisation.name,
        "uscc": agency.organisation.uscc or "",
        "reason": agency.standing_reason,
        "until": agency.blacklisted_until,
    }


def red_list_row(entry) -> dict:
    return {
        "entry_id": entry.id,
        "org_id": entry.agency_org_id,
        "name": entry.agency.name,
        "uscc": entry.agency.uscc or "",
        "reason": entry.reason,
        "decision_number": entry.decision_number,
        "department": entry.department,
        "bonus": entry.bonus,
        "start": entry.start_dt,
        "end": entry.end_dt,
    }


def _json_value(value):
    if hasattr(value, "astimezone"):
        return to_local(value).isoformat(timespec="seconds")
    return value


def to_json(rows: list[dict], columns, now=None) -> str:
    """A JSON document: generation time, count and the rows with every key always present."""
    now = now or utcnow()
    items = [{key: _json_value(row[key]) for key, __ in columns} for row in rows]
    document = {"generated_at": _json_value(now), "count": len(items), "items": items}
    return json.dumps(document, ensure_ascii=False, indent=1)


def _csv_value(key, value):
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return f"{to_local(value):%Y-%m-%d %H:%M}"
    if key in _LABELS:
        return str(_LABELS[key].get(value, value))
    return value


def to_csv(rows: list[dict], columns, headers: dict | None = None) -> bytes:
    """CSV with headers (`headers`, by JSON key, else the columns') and labels in the
    reader's language (core.csvfile: a BOM, no formula cells)."""
    headers = headers or {}
    return csv_bytes(
        [str(headers.get(key, header)) for key, header in columns],
        ([_csv_value(key, row[key]) for key, __ in columns] for row in rows),
    )
