"""Graded supervision (分级分类监管): random inspection plans (双随机抽查) drawn by credit grade
from a published seed, so anyone can draw the same sample again, and their results; a failed
inspection becomes a conduct report and follows the records' due process."""

import hashlib
import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import exists, select

from ...accounts.models import Organisation
from ...accounts.services import organisation_names
from ...agencies.models import Agency, Offering
from ...catalogue.models import ServiceItem
from ...core.audit import record_event
from ...core.clock import local_today, utcnow
from ...core.errors import NotAllowed, ServiceError
from ...core.i18n import _, _l
from ...extensions import db
from .. import criteria
from ..records import services as records
from .models import INSPECTION_RESULTS, Inspection, InspectionPlan

ALGORITHM = "grade-stratified-sha256-v1"
GRADES = ("A", "B", "C", "D")
DEFAULT_CODE = "A09"  # 服务成果经主管部门认定不合格
ALL_DEPARTMENTS = _l("全平台")
FINDINGS_MAX = 5000
RATES_HELP = _l("格式如 A=5,B=10,C=20,D=100（各等级抽查比例，百分比，0–100）")


# --- the draw (pure) ------------------------------------------------------------------------


def draw_key(seed: str, org_id: int) -> str:
    """The agency's place in its grade's order: SHA-256 of "seed:org_id", hex."""
    return hashlib.sha256(f"{seed}:{org_id}".encode()).hexdigest()


def sample_size(rate_bp: int, n: int) -> int:
    """k = ceil(rate × n), in integers so no float rounding can change a published plan."""
    return -(-rate_bp * n // 10000) if rate_bp > 0 else 0


def draw_sample(seed: str, population, rates_bp: dict) -> list[int]:
    """The sampled org ids (ascending): per grade, the agencies ordered by draw_key ascending,
    the first ceil(rate × n) of them. `population` is [[org_id, grade], ...]."""
    by_grade: dict[str, list[int]] = {}
    for org_id, grade in population:
        by_grade.setdefault(grade, []).append(int(org_id))
    sampled = []
    for grade, ids in by_grade.items():
        k = sample_size(int(rates_bp.get(grade, 0)), len(ids))
        sampled += sorted(ids, key=lambda org_id: draw_key(seed, org_id))[:k]
    return sorted(sampled)


# --- rates ----------------------------------------------------------------------------------


def default_rates_bp() -> dict[str, int]:
    """The configured rates (INSPECTION_RATES, fractions) in basis points."""
    rates = current_app.config["INSPECTION_RATES"]
    return {g: round(Decimal(str(rates.get(g, 0))) * 10000) for g in GRADES}


def percent_to_bp(grade: str, value) -> int:
    """A percentage (0–100, at most two decimals) as basis points."""
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(
            _("等级 %(grade)s 的抽查比例「%(value)s」不是数字", grade=grade, value=value), "rates"
        ) from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ServiceError(
            _(
                "等级 %(grade)s 的抽查比例应在 0–100（%%）之间，「%(value)s」无效",
                grade=grade,
                value=value,
            ),
            "rates",
        )
    bp = percent * 100
    if bp != bp.to_integral_value():
        raise ServiceError(_("等级 %(grade)s 的抽查比例最多保留两位小数", grade=grade), "rates")
    return int(bp)


def parse_rates(text: str | None) -> dict[str, int]:
    """ "A=5,B=10,C=20,D=100" (percent) as basis points; a grade left out keeps its default."""
    rates = default_rates_bp()
    if text is None or not text.strip():
        return rates
    seen = set()
    for part in text.replace("，", ",").split(","):  # i18n: data (full-width comma typed)
        grade, sep, value = part.partition("=")
        grade = grade.strip().upper()
        if not sep or not grade or not value.strip():
            raise ServiceError(
                _("无法识别「%(part)s」。%(help)s", part=part.strip(), help=RATES_HELP), "rates"
            )
        if grade not in GRADES:
            raise ServiceError(
                _("未知的信用等级「%(grade)s」，只能是 A、B、C、D", grade=grade), "rates"
            )
        if grade in seen:
            raise ServiceError(_("等级 %(grade)s 重复填写", grade=grade), "rates")
        seen.add(grade)
        rates[grade] = percent_to_bp(grade, value)
    return rates


def check_rates(rates_bp: dict) -> None:
    """Every grade has a rate of 0–10000 bp and at least one is above 0."""
    if set(rates_bp) != set(GRADES):
        raise ServiceError(_("请为 A、B、C、D 四个等级分别填写抽查比例"), "rates")
    for grade, bp in rates_bp.items():
        if not isinstance(bp, int) or not 0 <= bp <= 10000:
            raise ServiceError(
                _("等级 %(grade)s 的抽查比例应在 0–100（%%）之间", grade=grade), "rates"
            )
    if not any(rates_bp.values()):
        raise ServiceError(_("各等级的抽查比例不能全部为 0"), "rates")


def format_rate(bp: int) -> str:
    """Basis points as a percentage: 500 → "5%", 1250 → "12.5%"."""
    text = f"{Decimal(bp) / 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


# --- population -----------------------------------------------------------------------------


def departments() -> list[str]:
    """The approving departments of the catalogue."""
    return sorted(
        d for d in db.session.scalars(select(ServiceItem.approving_department).distinct()) if d
    )


def population_for(department: str | None) -> list[list]:
    """[[org_id, grade], ...] by org id: agencies offering an item of `department` (all agencies
    if None). A blacklisted agency stays in, as D whatever its score (it is the riskiest)."""
    query = select(Agency.org_id, Agency.credit_grade, Agency.blacklisted).join(
        Organisation, Organisation.id == Agency.org_id
    )
    query = query.where(Organisation.kind == "agency")
    if department:
        query = query.where(
            exists()
            .where(Offering.agency_id == Agency.org_id)
            .where(ServiceItem.id == Offering.item_id)
            .where(ServiceItem.approving_department == department)
        )
    rows = db.session.execute(query.order_by(Agency.org_id))
    return [[org_id, "D" if blacklisted else grade] for org_id, grade, blacklisted in rows]


def counts_by_grade(plan: InspectionPlan) -> list[dict]:
    """Per grade: rate, population and sample counts (for the page and the CLI)."""
    population = {g: 0 for g in GRADES}
    for __, grade in plan.population:
        population[grade] = population.get(grade, 0) + 1
    sampled = {g: 0 for g in GRADES}
    for inspection in plan.inspections:
        sampled[inspection.grade] = sampled.get(inspection.grade, 0) + 1
    return [
        {
            "grade": g,
            "rate_bp": int(plan.rates_bp.get(g, 0)),
            "rate": format_rate(int(plan.rates_bp.get(g, 0))),
            "population": population[g],
            "expected": sample_size(int(plan.rates_bp.get(g, 0)), population[g]),
            "sampled": sampled[g],
        }
        for g in sorted(population)
    ]


# --- plans ----------------------------------------------------------------------------------


def _check_seed(seed: str | None) -> str:
    if seed is None:
        return secrets.token_hex(32)
    seed = seed.strip().lower()
    if not seed or len(seed) > 64 or any(c not in string.hexdigits for c in seed):
        raise ServiceError(_("随机种子应为 1–64 位十六进制字符（0–9、a–f）"), "seed")
    return seed


def create_plan(
    user, rates_bp: dict, title: str = "", department: str | None = None, seed: str | None = None
) -> InspectionPlan:
    """Draw a plan: a regulator over the agencies of its department, the system (user None,
    the CLI) over one department or all agencies. Stores the population snapshot, the rates,
    the seed and the algorithm, and one pending inspection per sampled agency."""
    if user is not None:
        department = records.regulator_department(user, _("组织双随机抽查"))
    else:
        department = (department or "").strip() or None
        if department is not None and department not in departments():
            raise ServiceError(
                _("目录中没有审批部门「%(department)s」", department=department), "department"
            )
    rates_bp = {g: int(rates_bp[g]) for g in rates_bp}
    check_rates(rates_bp)
    seed = _check_seed(seed)
    # The default title is stored with the plan: written in Chinese, as typed titles are data.
    title = (title or "").strip() or (
        f"{department or '全平台'}中介机构双随机抽查（{local_today():%Y-%m-%d}）"  # i18n: data
    )
    if len(title) > 200:
        raise ServiceError(_("计划名称不超过 200 个字符"), "title")
    population = population_for(department)
    if not population:
        raise ServiceError(
            _(
                "%(scope)s没有入驻的中介机构，无从抽取",
                scope=department or ALL_DEPARTMENTS,
            ),
            "rates",
        )
    grades = dict(population)
    sample = draw_sample(seed, population, rates_bp)
    plan = InspectionPlan(
        title=title,
        department=department or "",
        seed=seed,
        rates_bp=rates_bp,
        population=population,
        algorithm=ALGORITHM,
        created_dt=utcnow(),
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(plan)
    db.session.flush()
    db.session.add_all(
        Inspection(plan_id=plan.id, agency_org_id=org_id, grade=grades[org_id], result="pending")
        for org_id in sample
    )
    db.session.flush()
    record_event(
        "inspection_plan",
        plan.id,
        "drawn",
        actor=user,
        data={
            "title": title,
            "department": plan.department,
            "algorithm": ALGORITHM,
            "seed": seed,
            "rates_bp": rates_bp,
            "population": len(population),
            "sample": sample,
        },
    )
    return plan


def get_plan(plan_id: int) -> InspectionPlan | None:
    return db.session.get(InspectionPlan, plan_id)


def plans_query(department: str | None):
    """A department's plans and the platform-wide ones, newest first (all if None)."""
    query = select(InspectionPlan)
    if department is not None:
        query = query.where(InspectionPlan.department.in_((department, "")))
    return query.order_by(InspectionPlan.created_dt.desc(), InspectionPlan.id.desc())


# --- verification ---------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    sample: list[int]
    problems: list[str] = field(default_factory=list)


def verify_plan(plan: InspectionPlan) -> Verification:
    """Draw the sample again from the stored seed, population and rates and compare it with
    the stored inspections (who, and the grade each was drawn in)."""
    problems = []
    if plan.algorithm != ALGORITHM:
        return Verification(
            False, [], [_("未知的抽取算法「%(algorithm)s」，无法复核", algorithm=plan.algorithm)]
        )
    population = [[int(org_id), grade] for org_id, grade in plan.population]
    if population != sorted(population, key=lambda row: row[0]):
        problems.append(_("抽取名单未按机构编号排序，与公布的算法不符"))
    sample = draw_sample(plan.seed, population, plan.rates_bp)
    grades = dict(population)
    stored = {i.agency_org_id: i for i in plan.inspections}
    names = organisation_names(set(sample) | set(stored))

    def label(org_id):
        return _("%(name)s（机构编号 %(id)s）", name=names.get(org_id, ""), id=org_id)

    for org_id in sample:
        if org_id not in stored:
            problems.append(_("按种子应抽中%(agency)s，但未列入计划", agency=label(org_id)))
    for org_id, inspection in sorted(stored.items()):
        if org_id not in grades:
            problems.append(_("%(agency)s不在抽取名单中，却列入了计划", agency=label(org_id)))
        elif org_id not in sample:
            problems.append(_("%(agency)s按种子不应抽中，却列入了计划", agency=label(org_id)))
        elif inspection.grade != grades[org_id]:
            problems.append(
                _(
                    "%(agency)s列入计划时的等级为 %(grade)s，抽取名单中为 %(drawn)s",
                    agency=label(org_id),
                    grade=inspection.grade,
                    drawn=grades[org_id],
                )
            )
    return Verification(not problems, sample, problems)


# --- results --------------------------------------------------------------------------------


def may_record(plan: InspectionPlan, user) -> bool:
    try:
        check_recorder(plan, user)
    except NotAllowed:
        return False
    return True


def check_recorder(plan: InspectionPlan, user) -> None:
    """The plan's department records its results; a platform-wide plan, any department."""
    department = records.regulator_department(user, _("组织双随机抽查"))
    if plan.department and plan.department != department:
        raise NotAllowed(
            _(
                "该抽查计划由「%(department)s」组织，您所在部门无权登记检查结果",
                department=plan.department,
            )
        )


def get_inspection(plan: InspectionPlan, inspection_id: int) -> Inspection | None:
    inspection = db.session.get(Inspection, inspection_id)
    return inspection if inspection is not None and inspection.plan_id == plan.id else None


def record_result(
    user, inspection: Inspection, result: str, findings: str, code: str = DEFAULT_CODE
) -> Inspection:
    """Record what the inspection found: passed, or failed with findings, which are reported
    as a conduct record (source 双随机抽查) against the chosen agency criterion."""
    plan = inspection.plan
    check_recorder(plan, user)
    if inspection.result != "pending":
        raise ServiceError(
            _(
                "已登记该机构的检查结果（%(result)s），不能重复登记",
                result=inspection.result_label,
            ),
            "result",
        )
    if result not in INSPECTION_RESULTS or result == "pending":
        raise ServiceError(_("请选择检查结果：合格或不合格"), "result")
    findings = (findings or "").strip()
    if len(findings) > FINDINGS_MAX:
        raise ServiceError(_("检查情况不超过 %(max)s 个字符", max=FINDINGS_MAX), "findings")
    record = None
    if result == "failed":
        if not findings:
            raise ServiceError(_("不合格的，请写明检查发现的问题"), "findings")
        if criteria.current(code).party != "agency":
            raise ServiceError(_("请选择适用于中介机构的认定标准"), "criterion")
        # stored with the record (its facts): Chinese, like everything a record says
        facts = f"双随机抽查「{plan.title}」（计划编号 {plan.id}）发现：{findings}"  # i18n: data
        # report() checks the criterion (in force, for agencies) before it writes anything.
        record = records.report(
            user,
            records.ReportData(subject_org_id=inspection.agency_org_id, code=code, facts=facts),
            source="inspection",
            evidence={"inspection_plan_id": plan.id, "inspection_id": inspection.id},
            dedupe_key=f"inspection:{inspection.id}",
        )
    inspection.result = result
    inspection.findings = findings
    inspection.inspected_dt = utcnow()
    inspection.inspected_by_id = user.id
    inspection.record_id = record.id if record is not None else None
    db.session.flush()
    record_event(
        "inspection_plan",
        plan.id,
        "result_recorded",
        actor=user,
        # Findings stay off the public log: they are an allegation until the record is decided.
        public=False,
        data={
            "inspection_id": inspection.id,
            "agency_org_id": inspection.agency_org_id,
            "result": result,
            "findings": findings,
            "record_id": inspection.record_id,
        },
    )
    return inspection


def can_read_findings(inspection: Inspection, user) -> bool:
    """Regulators, operators and the inspected agency read the findings; the public sees the
    result only."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None:
        return False
    return org.kind in ("regulator", "operator") or org.id == inspection.agency_org_id
