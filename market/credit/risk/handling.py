"""What regulators do with risk alerts: read their department's (operators read all), turn
an alert into a conduct record against an involved agency, or dismiss it with a reason."""

from sqlalchemy import func, select

from ...accounts.models import Organisation
from ...core.audit import record_event
from ...core.clock import utcnow
from ...core.errors import NotAllowed, ServiceError
from ...core.i18n import _, in_language
from ...extensions import db
from .. import criteria
from ..models import ConductRecord
from ..records.services import ReportData, department_of, report
from .models import ALERT_STATES, RiskAlert
from .rules import RULES

#: the criterion a regulator most often finds behind these patterns
DEFAULT_CODE = "A02"


def can_view(alert: RiskAlert, user) -> bool:
    """Operators see every alert (read-only); a regulator sees its department's."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is not None and org.kind == "operator":
        return True
    return department_of(user) == alert.department


def check_handler(user, alert: RiskAlert) -> None:
    """Only a regulator of the alert's department may act on it."""
    department = department_of(user)
    if department is None:
        raise NotAllowed(_("只有监管部门可以处理风险预警"))
    if department != alert.department:
        raise NotAllowed(
            _("该预警由「%(department)s」处理，您所在部门无权处理", department=alert.department)
        )


def get_alert(alert_id: int) -> RiskAlert:
    alert = db.session.get(RiskAlert, alert_id)
    if alert is None:
        raise ServiceError(_("风险预警不存在"))
    return alert


def alerts_query(department: str | None, rule: str | None = None, status: str | None = None):
    """Alerts newest first, of one department (None: all, for operators)."""
    stmt = select(RiskAlert).order_by(RiskAlert.created_dt.desc(), RiskAlert.id.desc())
    if department is not None:
        stmt = stmt.where(RiskAlert.department == department)
    if rule in RULES:
        stmt = stmt.where(RiskAlert.rule == rule)
    if status in ALERT_STATES:
        stmt = stmt.where(RiskAlert.status == status)
    return stmt


def rule_counts(department: str | None, status: str | None = None) -> dict[str, int]:
    """How many alerts each rule has (in a department, with a status), every rule listed."""
    stmt = select(RiskAlert.rule, func.count()).group_by(RiskAlert.rule)
    if department is not None:
        stmt = stmt.where(RiskAlert.department == department)
    if status in ALERT_STATES:
        stmt = stmt.where(RiskAlert.status == status)
    return {**dict.fromkeys(RULES, 0), **dict(db.session.execute(stmt).all())}


def involved(alert: RiskAlert) -> list[Organisation]:
    """The agencies the alert points at, by name."""
    orgs = db.session.scalars(select(Organisation).where(Organisation.id.in_(alert.org_ids)))
    return sorted(orgs, key=lambda o: (o.name, o.id))


def _dedupe_key(alert: RiskAlert, org_id: int) -> str:
    return f"risk_alert:{alert.id}:{org_id}"


def records_of(alert: RiskAlert) -> list[ConductRecord]:
    """The conduct records made from this alert, oldest first."""
    return db.session.scalars(
        select(ConductRecord)
        .where(ConductRecord.dedupe_key.startswith(f"risk_alert:{alert.id}:", autoescape=True))
        .order_by(ConductRecord.id)
    ).all()


def default_facts(alert: RiskAlert) -> str:
    """The facts a report starts from: the alert's finding, named as such."""
    # the draft of a record's facts, which are stored: Chinese, as the record's data
    with in_language("zh"):
        name = str(RULES[alert.rule].name)
    return f"{alert.summary}（系统风险预警第 {alert.id} 号「{name}」）"  # i18n: data


def report_alert(user, alert_id: int, org_id, code: str, facts: str) -> ConductRecord:
    """Turn an alert into a conduct record (source: risk alert) against one of its agencies,
    under an agency criterion in force; the alert becomes reported. Each involved agency may
    be reported once per alert."""
    alert = get_alert(alert_id)
    check_handler(user, alert)
    if alert.status == "dismissed":
        raise ServiceError(_("该预警已排除，不能再转为不良行为记录"))
    if org_id not in alert.org_ids:
        raise ServiceError(_("所选机构不是该预警涉及的机构，请从列表中选择"), "org_id")
    code = (code or "").strip().upper()
    if code not in {c.code for c in criteria.in_force("agency")}:
        raise ServiceError(
            _("认定标准「%(code)s」不存在、已废止或不适用于中介机构", code=code), "code"
        )
    done = db.session.scalar(
        select(ConductRecord).where(ConductRecord.dedupe_key == _dedupe_key(alert, org_id))
    )
    if done is not None:
        raise ServiceError(
            _(
                "已就本预警对「%(name)s」生成不良行为记录 %(number)s",
                name=done.subject.name,
                number=done.number,
            ),
            "org_id",
        )
    record = report(
        user,
        ReportData(subject_org_id=org_id, code=code, facts=facts, notice_id=alert.notice_id),
        source="risk_alert",
        evidence={**alert.evidence, "risk_alert_id": alert.id, "rule": alert.rule},
        dedupe_key=_dedupe_key(alert, org_id),
    )
    alert.status = "reported"
    alert.record_id = alert.record_id or record.id
    alert.handled_by_id, alert.handled_dt = user.id, utcnow()
    record_event(
        "risk_alert",
        alert.id,
        "reported",
        actor=user,
        public=False,
        data={"record_id": record.id, "org_id": org_id, "code": code},
    )
    return record


def dismiss_alert(user, alert_id: int, reason: str) -> RiskAlert:
    """Dismiss an open alert with the reason it is not a violation."""
    alert = get_alert(alert_id)
    check_handler(user, alert)
    if alert.status != "open":
        raise ServiceError(_("该预警当前为「%(status)s」，不能排除", status=alert.status_label))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明排除理由"), "reason")
    if len(reason) > 1000:
        raise ServiceError(_("排除理由不超过 1000 字"), "reason")
    alert.status = "dismissed"
    alert.dismiss_reason = reason
    alert.handled_by_id, alert.handled_dt = user.id, utcnow()
    record_event(
        "risk_alert", alert.id, "dismissed", actor=user, public=False, data={"reason": reason}
    )
    return alert
