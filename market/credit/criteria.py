"""Violation criteria: the versions in force, revisions by regulators, loading a revised list,
and which criterion each fact the system reports by itself is reported under (facts.py)."""

import csv
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..extensions import db
from . import facts
from .models import MEASURES, PARTIES, SEVERITIES, FactCriterion, ViolationCriterion

DEFAULT_CSV = Path(__file__).parent / "data" / "violation_criteria.csv"
FIELDS = (
    "party",
    "behaviour",
    "severity",
    "deduction",
    "measure",
    "suspend_months",
    "publish_months",
)


@dataclass
class CriterionData:
    code: str
    party: str
    behaviour: str
    severity: str
    deduction: int
    measure: str
    suspend_months: int
    publish_months: int
    change_note: str = ""


def in_force(party: str | None = None) -> list[ViolationCriterion]:
    """The criteria in force (one version per code), by code."""
    query = select(ViolationCriterion).where(ViolationCriterion.retired_dt.is_(None))
    if party:
        query = query.where(ViolationCriterion.party == party)
    return db.session.scalars(query.order_by(ViolationCriterion.code)).all()


def current(code: str) -> ViolationCriterion:
    """The version of `code` in force, or a ServiceError."""
    criterion = db.session.scalar(
        select(ViolationCriterion).where(
            ViolationCriterion.code == code.strip().upper(),
            ViolationCriterion.retired_dt.is_(None),
        )
    )
    if criterion is None:
        raise ServiceError(_("认定标准「%(code)s」不存在或已废止", code=code), "criterion")
    return criterion


def history(code: str) -> list[ViolationCriterion]:
    """Every version of a criterion, newest first."""
    return db.session.scalars(
        select(ViolationCriterion)
        .where(ViolationCriterion.code == code)
        .order_by(ViolationCriterion.version.desc())
    ).all()


def check_criterion(data: CriterionData) -> None:
    """Refuse an inconsistent criterion with a message for the field at fault."""
    if not data.code.strip() or len(data.code.strip()) > 10:
        raise ServiceError(_("请填写 10 个字符以内的标准编号"), "code")
    if data.party not in PARTIES:
        raise ServiceError(_("请选择适用对象"), "party")
    if not data.behaviour.strip():
        raise ServiceError(_("请填写行为描述"), "behaviour")
    if data.severity not in SEVERITIES:
        raise ServiceError(_("请选择严重程度"), "severity")
    if not 0 <= data.deduction <= 100:
        raise ServiceError(_("扣分应为 0–100"), "deduction")
    if data.measure not in MEASURES:
        raise ServiceError(_("请选择处理措施"), "measure")
    if data.measure == "suspend" and not 1 <= data.suspend_months <= 60:
        raise ServiceError(_("暂停参与投标的期限应为 1–60 个月"), "suspend_months")
    if data.measure != "suspend" and data.suspend_months:
        raise ServiceError(_("只有「暂停参与投标」需要填写暂停期限"), "suspend_months")
    if data.party == "purchaser" and data.measure != "warning":
        raise ServiceError(_("对采购人的处理措施只能是警示"), "measure")
    if not 1 <= data.publish_months <= 60:
        raise ServiceError(_("公示期限应为 1–60 个月"), "publish_months")


def platform_department() -> str:
    """The department that keeps the platform-wide list (the starting criteria and the
    system's own facts): CREDIT_CRITERIA_DEPARTMENT."""
    return current_app.config["CREDIT_CRITERIA_DEPARTMENT"]


def _department_of(user) -> str | None:
    org = getattr(user, "organisation", None)
    return org.department if org is not None and org.kind == "regulator" else None


def may_add(user) -> bool:
    """Whether `user` may publish a new criterion (a regulator, for its own department)."""
    return bool(_department_of(user))


def may_keep(user, criterion: ViolationCriterion) -> bool:
    """Whether `user` may revise or retire `criterion`: a regulator of its department."""
    department = _department_of(user)
    return bool(department) and department == criterion.department


def may_remap_facts(user) -> bool:
    """Whether `user` may move the system's own facts between criteria: a regulator of the
    department that keeps the platform-wide list."""
    return _department_of(user) == platform_department()


def require_fact_keeper(user) -> None:
    """Refuse anyone but the keepers of the system's facts (None: a command on the server)."""
    if user is not None and not may_remap_facts(user):
        raise NotAllowed(
            _("系统自动报告的事实由%(department)s维护", department=platform_department())
        )


def require_keeper(user, criterion: ViolationCriterion | None = None) -> None:
    """Refuse anyone but the keepers (None: a command run by the operator of the server)."""
    if user is None:
        return
    if criterion is None and not may_add(user):
        raise NotAllowed(_("只有监管部门可以制定认定标准"))
    if criterion is not None and not may_keep(user, criterion):
        raise NotAllowed(
            _(
                "认定标准 %(code)s 由%(department)s制定和维护，只有该部门的监管人员可以修订或废止",
                code=criterion.code,
                department=criterion.department or _("平台"),
            )
        )


def save_criterion(user, data: CriterionData) -> ViolationCriterion:
    """Add a criterion, or revise one: the revision becomes a new version and the old one is
    retired (records keep the version they were judged under). Unchanged: nothing happens.
    A new criterion is kept by its author's department (the platform's for a command)."""
    data.code = data.code.strip().upper()
    data.behaviour = data.behaviour.strip()
    old = db.session.scalar(
        select(ViolationCriterion).where(
            ViolationCriterion.code == data.code, ViolationCriterion.retired_dt.is_(None)
        )
    )
    require_keeper(user, old)
    check_criterion(data)
    now = utcnow()
    department = old.department if old is not None else _department_of(user)
    if old is None:
        # A code used before keeps its department: another cannot take it over.
        earlier = db.session.scalar(
            select(ViolationCriterion)
            .where(ViolationCriterion.code == data.code)
            .order_by(ViolationCriterion.version.desc())
        )
        if earlier is not None:
            require_keeper(user, earlier)
            department = earlier.department
    if old is not None:
        if all(getattr(old, f) == getattr(data, f) for f in FIELDS):
            return old
        if old.party != data.party:
            raise ServiceError(_("修订不能改变标准的适用对象，请另设新编号"), "party")
        if not data.change_note.strip():
            raise ServiceError(_("请说明修订原因"), "change_note")
        old.retired_dt = now
    latest = db.session.scalar(
        select(db.func.max(ViolationCriterion.version)).where(ViolationCriterion.code == data.code)
    )
    if latest and old is None and not data.change_note.strip():
        raise ServiceError(_("该编号曾经废止，重新启用请说明原因"), "change_note")
    criterion = ViolationCriterion(
        code=data.code,
        version=(latest or 0) + 1,
        **{f: getattr(data, f) for f in FIELDS},
        effective_dt=now,
        change_note=data.change_note.strip() or "首次发布",  # i18n: data (stored note)
        created_by_id=user.id if user is not None else None,
        department=department or platform_department(),
    )
    db.session.add(criterion)
    db.session.flush()
    record_event(
        "criterion",
        criterion.id,
        "criterion_revised" if old is not None else "created",
        actor=user,
        data={"code": criterion.code, "version": criterion.version, "note": criterion.change_note},
    )
    return criterion


def retire_criterion(user, code: str, note: str) -> ViolationCriterion:
    """Withdraw a criterion (废止): no new record may cite it; old records keep it."""
    criterion = current(code)
    require_keeper(user, criterion)
    if not note.strip():
        raise ServiceError(_("请说明废止原因"), "change_note")
    used = facts.facts_using(criterion.code)
    if used:
        names = _("、").join(_("「%(label)s」", label=f.label) for f in used)
        raise ServiceError(
            _(
                "系统自动报告%(names)s时使用标准 %(code)s，"
                "请先在「系统自动报告」中改用其他标准，再废止本标准",
                names=names,
                code=criterion.code,
            ),
            "change_note",
        )
    criterion.retired_dt = utcnow()
    record_event(
        "criterion", criterion.id, "retired", actor=user, data={"code": code, "note": note}
    )
    return criterion


def load_criteria(path: Path = DEFAULT_CSV, user=None) -> tuple[int, int]:
    """Load a criteria CSV: new codes are added, changed ones become new versions.
    Returns (added, revised)."""
    added = revised = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                data = CriterionData(
                    code=row["code"],
                    party=row["party"],
                    behaviour=row["behaviour"],
                    severity=row["severity"],
                    deduction=int(row["deduction"]),
                    measure=row["measure"],
                    suspend_months=int(row["suspend_months"] or 0),
                    publish_months=int(row["publish_months"]),
                    change_note=row.get("change_note")
                    or f"按 {Path(path).name} 修订",  # i18n: data (stored note)
                )
            except (KeyError, ValueError) as error:
                raise ServiceError(
                    _("第 %(line)s 行格式有误：%(error)s", line=line, error=error)
                ) from error
            before = db.session.scalar(
                select(ViolationCriterion.id).where(
                    ViolationCriterion.code == data.code.strip().upper(),
                    ViolationCriterion.retired_dt.is_(None),
                )
            )
            try:
                criterion = save_criterion(user, data)
            except ServiceError as error:
                raise ServiceError(
                    _("第 %(line)s 行：%(error)s", line=line, error=error.message)
                ) from error
            if before is None:
                added += 1
            elif criterion.id != before:
                revised += 1
    return added, revised


def remap_fact(user, fact_key: str, code: str, note: str) -> FactCriterion:
    """Report a fact under another criterion in force, for the same party, with a reason."""
    require_fact_keeper(user)
    fact = facts.FACTS.get(fact_key)
    if fact is None:
        raise ServiceError(_("没有这项系统自动报告的事实"), "fact")
    criterion = current(code or "")
    if criterion.party != fact.party:
        raise ServiceError(
            _(
                "「%(fact)s」是%(party)s的行为，标准 %(code)s 适用于%(criterion_party)s",
                fact=fact.label,
                party=PARTIES[fact.party],
                code=criterion.code,
                criterion_party=criterion.party_label,
            ),
            "code",
        )
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请说明调整原因"), "note")
    row = db.session.get(FactCriterion, fact.key) or FactCriterion(fact=fact.key)
    before = row.code or fact.default_code
    row.code = criterion.code
    row.changed_dt = utcnow()
    row.changed_by_id = user.id if user is not None else None
    row.change_note = note
    db.session.add(row)
    db.session.flush()
    record_event(
        "criterion",
        criterion.id,
        "fact_remapped",
        actor=user,
        data={"fact": fact.key, "from": before, "to": criterion.code, "note": note},
    )
    return row
