"""The public home page's latest notices and figures (the statistics' overview), and the
supervisors' audit view."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from ..accounts.models import Organisation, User
from ..agencies.models import QUALIFICATION
from ..core.i18n import _, _l
from ..core.models import AuditEvent
from ..core.query_args import day_arg, start_of_day, text_arg
from ..credit.states import ACTION_LABELS as CREDIT_ACTION_LABELS
from ..credit.states import RECORD
from ..extensions import db
from ..payments.states import MILESTONE
from ..procurement.services import NoticeRow, as_rows, public_notices_query, sealed_bid_ids
from ..procurement.services import state_labels as procurement_state_labels
from ..statistics.services import live_figures  # noqa: F401 (the home page's figures)
from .lists import limited


def latest_notices(limit=8) -> list[NoticeRow]:
    """The latest published notices, as the home page lists them."""
    return as_rows(db.session.execute(limited(public_notices_query(), limit)))


def audit_query(subject_type=None):
    """The audit log, newest first, without the events of bids still sealed: before the
    deadline no supervisor learns of a quote, its time or its agency, nor that one exists
    (the rows and their count alike)."""
    stmt, params = audit_list(AuditFilters(subject_type=subject_type))
    return stmt.params(params)


# --- the audit log's filters -----------------------------------------------------------------

#: the longest actor or organisation text searched for (a user's e-mail column: 120)
MAX_SEARCH = 120


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to: the subject's type, the actor (a user's name or
    e-mail, any part), the actor's organisation (any part of its name), the action and the
    days it happened on (Shanghai calendar, both included)."""

    subject_type: str | None = None
    actor: str = ""
    org: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any((self.subject_type, self.actor, self.org, self.action, self.since, self.until))

    def args(self, **changes) -> dict:
        """Query arguments of the log with these filters (some changed; None drops one)."""
        values = {
            "type": self.subject_type,
            "actor": self.actor,
            "org": self.org,
            "action": self.action,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def parse_audit_filters(args) -> tuple[AuditFilters, list[str]]:
    """The log's filters from a query string; a bad value is dropped with a note."""
    notes: list[str] = []
    subject_type = args.get("type") or None
    if subject_type is not None and subject_type not in SUBJECT_LABELS:
        notes.append(_("未知的对象类型，已显示全部对象。"))
        subject_type = None
    action = args.get("action", "")
    if action and action not in ACTION_LABELS:
        notes.append(_("未知的操作，已显示全部操作。"))
        action = ""
    since = day_arg(args, "from", _("起始日期"), notes)
    until = day_arg(args, "to", _("截止日期"), notes)
    if since and until and since > until:
        notes.append(_("起止日期颠倒了，已对调。"))
        since, until = until, since
    filters = AuditFilters(
        subject_type=subject_type,
        actor=text_arg(args, "actor", MAX_SEARCH, _("操作人"), notes),
        org=text_arg(args, "org", MAX_SEARCH, _("操作单位"), notes),
        action=action,
        since=since,
        until=until,
    )
    return filters, notes


def _containing(text: str) -> str:
    """A LIKE pattern finding `text` anywhere (its wildcards taken literally), lower case."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@lru_cache(maxsize=64)
def _audit_statement(used: frozenset):
    """The log without sealed bids' events, narrowed by the filters `used` (their values
    bound as parameters): built once per set of filters."""
    sealed = (AuditEvent.subject_type == "bid") & AuditEvent.subject_id.in_(sealed_bid_ids())
    stmt = select(AuditEvent).where(~sealed)
    if "type" in used:
        stmt = stmt.where(AuditEvent.subject_type == bindparam("type"))
    if "actor" in used:
        pattern = bindparam("actor")
        actors = select(User.id).where(
            func.lower(User.name).like(pattern, escape="\\")
            | func.lower(User.email).like(pattern, escape="\\")
        )
        stmt = stmt.where(AuditEvent.actor_user_id.in_(actors))
    if "org" in used:
        orgs = select(Organisation.id).where(
            func.lower(Organisation.name).like(bindparam("org"), escape="\\")
        )
        stmt = stmt.where(AuditEvent.actor_org_id.in_(orgs))
    if "action" in used:
        stmt = stmt.where(AuditEvent.action == bindparam("action"))
    if "since" in used:
        stmt = stmt.where(AuditEvent.occurred_dt >= bindparam("since"))
    if "until" in used:
        stmt = stmt.where(AuditEvent.occurred_dt < bindparam("until"))
    return stmt.order_by(AuditEvent.id.desc())


def audit_list(filters: AuditFilters):
    """The log's statement for `filters` and the parameters it runs with."""
    params = {
        "type": filters.subject_type,
        "actor": _containing(filters.actor) if filters.actor else None,
        "org": _containing(filters.org) if filters.org else None,
        "action": filters.action or None,
        "since": start_of_day(filters.since) if filters.since else None,
        "until": start_of_day(filters.until + timedelta(days=1)) if filters.until else None,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return _audit_statement(frozenset(params)), params


def state_labels_by_subject() -> dict[str, dict[str, str]]:
    """Each audited subject whose events record states: its lifecycle's labels (a payment
    event's subject is the contract, its states a milestone's)."""
    return {
        "notice": procurement_state_labels(),
        "qualification": QUALIFICATION.labels(),
        "conduct_record": RECORD.labels(),
        "contract": MILESTONE.labels(),
    }


def state_label(labels: dict, subject_type: str, code: str | None) -> str:
    """How the log names a state of `subject_type`: its lifecycle's label, else the code."""
    if not code:
        return ""
    return labels.get(subject_type, {}).get(code, code)


SUBJECT_LABELS = {
    "notice": _l("公告"),
    "bid": _l("报价"),
    "organisation": _l("单位"),
    "agency": _l("机构服务"),
    "user": _l("账号"),
    "catalogue": _l("服务事项清单"),
    "service_item": _l("服务事项"),
    "catalogue_batch": _l("事项公布批次"),
    "qualification": _l("资质"),
    "practitioner": _l("从业人员"),
    "document": _l("材料"),
    "invitation": _l("成员邀请"),
    "rectification": _l("差评整改"),
    "notice_question": _l("答疑澄清"),
    "conduct_record": _l("不良行为记录"),
    "criterion": _l("认定标准"),
    "red_list": _l("守信激励名单"),
    "risk_alert": _l("风险预警"),
    "inspection_plan": _l("双随机抽查"),
    "contract": _l("合同付款"),
    "payment_gateway": _l("支付平台通知"),
    "payment_reconciliation": _l("支付对账"),
}
ACTION_LABELS = {
    "registered": _l("入驻"),
    "created": _l("创建"),
    "edited": _l("修改"),
    "transition": _l("状态变更"),
    "submitted": _l("提交报价"),
    "offering_declared": _l("声明服务"),
    "offering_withdrawn": _l("撤下服务"),
    "loaded": _l("清单导入"),
    # the catalogue's revisions and batches
    "imported": _l("按清单文件调整"),
    "published": _l("公布"),
    "online": _l("上线"),
    "going_online": _l("安排上线"),
    "withdrawn": _l("取消"),
    "offering_updated": _l("修改服务"),
    "description_updated": _l("修改机构简介"),
    "declared": _l("声明"),
    "uploaded": _l("上传"),
    "archived": _l("归档"),
    "invited": _l("发出邀请"),
    "revoked": _l("撤回邀请"),
    "accepted": _l("接受邀请"),
    "role_changed": _l("变更角色"),
    "authorised_person_set": _l("指定业务授权人"),
    "activated": _l("启用"),
    "deactivated": _l("停用"),
    "reactivated": _l("重新启用"),
    "locked": _l("密码多次错误锁定"),
    "unlocked": _l("解锁账号"),
    "email_confirmed": _l("确认注册邮箱"),
    "password_changed": _l("修改密码"),
    "password_reset": _l("重置密码"),
    "email_changed": _l("修改登录邮箱"),
    "data_changed": _l("修改单位信息"),
    "subscribed": _l("订阅公告提醒"),
    "contract_model_saved": _l("发布合同示范文本"),
    # procurement in full
    "reconfirmed": _l("重新确认报价"),
    "bid_replaced": _l("修改报价"),
    "bid_withdrawn": _l("撤回报价"),
    "bid_requoted": _l("撤回后重新报价"),
    "revised": _l("修改已发布公告"),
    "republished": _l("流标后重新发布"),
    "commitments_published": _l("公开报价承诺值"),
    "selection": _l("执行选取"),
    "bid_excluded": _l("排除原中选报价"),
    "objection_filed": _l("提出异议"),
    "objection_answered": _l("答复异议"),
    "objection_decided": _l("处理异议"),
    "award_suspended": _l("暂缓确定中选"),
    "contract_signed": _l("签署合同"),
    "delivery_returned": _l("退回交付成果"),
    "evaluation_submitted": _l("提交评价"),
    "evaluation_replied": _l("回复评价"),
    "question_asked": _l("就公告提问"),
    "question_answered": _l("答复提问"),
    "opened": _l("发起整改"),
    "answered": _l("提交整改说明"),
    "followed_up": _l("记录回访"),
    **CREDIT_ACTION_LABELS,
    # payments
    "payment": _l("付款节点状态变更"),
    "payment_attempt": _l("发起在线支付"),
    "payment_unexpected": _l("重复支付，待退回"),
    "payment_reported": _l("报告逾期付款"),
    "payment_disputed": _l("对付款提出异议"),
    "payment_dispute_decided": _l("认定付款争议"),
    "webhook": _l("收到支付平台通知"),
    "reconciled": _l("与支付平台对账"),
    "payout_account_created": _l("开通收款账户"),
}
