"""What a notice may say (docs/design.md §3.1): every field's rule, checked before anything is
written."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from ..accounts.services import PHONE_RE
from ..agencies import services as agencies
from ..agencies.documents import (
    ALLOWED_LABEL,
    Upload,
    held_document,
    own_document,
    sniff_content_type,
)
from ..agencies.models import Agency, Document
from ..catalogue.models import ServiceItem
from ..core.clock import to_local
from ..core.errors import ManyErrors, NotAllowed, ServiceError, format_size, raise_all
from ..core.i18n import _, _l
from ..core.money import format_fen
from ..core.workdays import add_working_days
from ..extensions import db
from .payment_plan import check_plan
from .selection import method_for, registered

#: 投资项目统一代码: 赋码年月 YYMM, 行政区划 6 digits, 行业 2, 项目类型 2, 流水号 6
PROJECT_CODE_RE = re.compile(r"^\d{2}(0[1-9]|1[0-2])-\d{6}-\d{2}-\d{2}-\d{6}$")
PROJECT_CODE_HELP = _l(
    "格式为 YYMM-NNNNNN-NN-NN-NNNNNN（赋码年月-行政区划代码-行业代码-项目类型-流水号），"
    "例如 2101-500112-04-01-123456"
)
#: the grades a notice may ask for at least (不分级 qualifications meet no minimum grade)
MIN_GRADES = ("甲级", "乙级", "丙级")  # i18n: data (the grades as stored)
#: a reason shorter than this says nothing about why the agency is avoided
AVOIDANCE_REASON_MIN = 4


@dataclass
class NoticeData:
    """A notice as the purchaser fills it in; the defaults keep simple call sites short."""

    item_id: int
    title: str
    scope: str
    ceiling_fen: int
    service_days: int
    deadline_dt: datetime
    contact_name: str
    contact_phone: str
    invited_org_id: int | None = None
    project_name: str = ""
    project_code: str = ""
    fiscal_share_pct: int = 0
    floor_fen: int | None = None
    method: str = "direct"
    method_reason: str = ""
    weight_price: int = 0
    weight_credit: int = 0
    weight_technical: int = 0
    requires_qualification: bool = False
    min_grade: str | None = None
    #: (agency organisation id, reason) pairs
    avoidances: list[tuple[int | None, str]] = field(default_factory=list)
    #: documents already in the purchaser's library
    attachment_ids: list[int] = field(default_factory=list)
    #: files uploaded with the form (stored in the purchaser's library as kind "notice")
    uploads: list[Upload] = field(default_factory=list)
    #: files held (pending) for this form when it was shown again after an error
    held_ids: list[int] = field(default_factory=list)
    #: the payment plan as typed: (label, percent, event, working days) per milestone;
    #: empty: the whole fee after acceptance (payment_plan.default_plan)
    payment_plan: list[tuple] = field(default_factory=list)


@dataclass
class Checked:
    """What the checks resolved: the item, the avoided agencies and the library documents."""

    item: ServiceItem
    avoidances: list[tuple[int, str]]
    documents: list[Document]


def plan_of(data: NoticeData) -> list[dict]:
    """The payment plan the notice stores for `data` (checked)."""
    return check_plan(data.payment_plan)


def minimum_deadline(now) -> datetime:
    return add_working_days(now, current_app.config["BID_MIN_WORKING_DAYS"])


def earliest_deadline_after(now) -> datetime:
    """The earliest allowed deadline rounded up to the minute (people type minutes)."""
    moment = minimum_deadline(now)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def check_deadline(deadline_dt, now) -> None:
    if deadline_dt < minimum_deadline(now):
        days = current_app.config["BID_MIN_WORKING_DAYS"]
        raise ServiceError(
            _(
                "报价截止时间距发布不得少于 %(days)s 个工作日，最早可设为 %(earliest)s",
                days=days,
                earliest=to_local(earliest_deadline_after(now)).strftime("%Y-%m-%d %H:%M"),
            ),
            "deadline",
        )


def check_invitation(org_id: int, item: ServiceItem, ceiling_fen: int) -> None:
    """A direct invitation names an agency that offers the item and may bid now, and only
    below the direct-selection ceiling whatever the funding: it shuts out competition."""
    agency = db.session.get(Agency, org_id)
    if agency is None:
        raise ServiceError(_("受邀机构不存在，请从中介超市重新选择"), "invited_org_id")
    name = agency.organisation.name
    if not agencies.offers_item(org_id, item.id):
        raise ServiceError(
            _("「%(name)s」未提供「%(item)s」服务，不能直接邀请", name=name, item=item.name),
            "invited_org_id",
        )
    allowed, reason = agencies.can_bid(agency)
    if not allowed:
        raise ServiceError(
            _("不能直接邀请「%(name)s」：%(reason)s", name=name, reason=reason), "invited_org_id"
        )
    limit = current_app.config["DIRECT_SELECTION_MAX_FEN"]
    if ceiling_fen >= limit:
        raise ServiceError(
            _("直接邀请仅适用于最高限价低于 %(limit)s 的项目", limit=format_fen(limit)), "ceiling"
        )


def _check_item(data: NoticeData) -> ServiceItem:
    item = db.session.get(ServiceItem, data.item_id) if data.item_id else None
    if item is None:
        raise ServiceError(_("所选中介服务事项不存在"), "item_id")
    if not item.is_online:
        raise ServiceError(
            _(
                "「%(item)s」目前为「%(status)s」状态，尚未上线，不能发起采购",
                item=item.name,
                status=item.status_label,
            ),
            "item_id",
        )
    return item


def _check_text(data: NoticeData) -> None:
    if not data.title.strip():
        raise ServiceError(_("请填写公告标题"), "title")
    if len(data.project_name.strip()) > 200:
        raise ServiceError(_("项目名称不能超过 200 字"), "project_name")
    if not data.scope.strip():
        raise ServiceError(_("请填写服务内容及范围"), "scope")
    if not 0 < data.service_days <= 730:
        raise ServiceError(_("服务期限应为 1–730 天"), "service_days")
    if not data.contact_name.strip():
        raise ServiceError(_("请填写联系人"), "contact_name")
    if not PHONE_RE.match(data.contact_phone.strip()):
        raise ServiceError(_("联系电话格式不正确"), "contact_phone")


def _check_project(data: NoticeData) -> None:
    code = data.project_code.strip()
    if code and not PROJECT_CODE_RE.match(code):
        raise ServiceError(
            _(
                "投资项目统一代码「%(code)s」格式不正确：%(help)s",
                code=code,
                help=PROJECT_CODE_HELP,
            ),
            "project_code",
        )
    if not 0 <= data.fiscal_share_pct <= 100:
        raise ServiceError(
            _("财政资金占比应为 0–100 的整数（0 表示社会资金项目）"), "fiscal_share_pct"
        )


def _check_price(data: NoticeData, method) -> None:
    fixed = method.fixed_price
    if data.ceiling_fen <= 0:
        raise ServiceError(_("固定价格必须大于 0") if fixed else _("最高限价必须大于 0"), "ceiling")
    if data.floor_fen is None:
        return
    if fixed:
        raise ServiceError(
            _(
                "「%(method)s」按采购人确定的固定价格报名，不设最低限价，请清空最低限价",
                method=method.label,
            ),
            "floor",
        )
    if data.floor_fen <= 0:
        raise ServiceError(_("最低限价必须大于 0"), "floor")
    if data.floor_fen >= data.ceiling_fen:
        raise ServiceError(
            _(
                "最低限价 %(floor)s 必须低于最高限价 %(ceiling)s",
                floor=format_fen(data.floor_fen),
                ceiling=format_fen(data.ceiling_fen),
            ),
            "floor",
        )


def _check_method(data: NoticeData) -> None:
    """The price rules every method shares, then the method's own (selection/<method>.py)."""
    if data.method not in registered():
        raise ServiceError(_("请选择选取方式"), "method")
    method = method_for(data.method)
    _check_price(data, method)
    method.check(data, current_app.config)
    if data.invited_org_id is not None and not method.invitation:
        allowed = _("、").join(
            _("「%(method)s」", method=m.label) for m in registered().values() if m.invitation
        )
        raise ServiceError(_("直接邀请只能采用%(allowed)s方式", allowed=allowed), "method")


def _check_qualification(data: NoticeData, item: ServiceItem) -> None:
    """Only the item's own implementing requirement may be asked for (no unreasonable
    conditions: 不得设置不合理的资格条件)."""
    requirement = item.implementing_requirement
    if data.requires_qualification and not requirement:
        raise ServiceError(
            _(
                "「%(item)s」的设立依据未规定执业资质要求，不得设置资质条件"
                "（不得以不合理条件限制中介机构参与）",
                item=item.name,
            ),
            "requires_qualification",
        )
    if data.min_grade:
        if not data.requires_qualification:
            raise ServiceError(
                _("只有要求具备该事项规定的执业资质时，才能设置最低资质等级"), "min_grade"
            )
        if data.min_grade not in MIN_GRADES:
            raise ServiceError(_("最低资质等级只能为甲级、乙级或丙级"), "min_grade")


def _check_avoidances(data: NoticeData, item: ServiceItem, kept) -> list[tuple[int, str]]:
    """Avoided agencies offer the item (or were already listed) and each has a reason."""
    result, seen = [], set()
    for org_id, reason in data.avoidances:
        agency = db.session.get(Agency, org_id) if org_id else None
        if org_id is None:
            raise ServiceError(_("请选择要回避的中介机构"), "avoidances")
        if agency is None:
            raise ServiceError(_("所选回避机构不存在，请从提供该服务的机构中选择"), "avoidances")
        name = agency.organisation.name
        if org_id in seen:
            raise ServiceError(
                _("「%(name)s」已在回避名单中，请勿重复填写", name=name), "avoidances"
            )
        if org_id not in kept and not agencies.offers_item(org_id, item.id):
            raise ServiceError(
                _(
                    "「%(name)s」未提供「%(item)s」服务，无需列入回避名单",
                    name=name,
                    item=item.name,
                ),
                "avoidances",
            )
        reason = (reason or "").strip()
        if len(reason) < AVOIDANCE_REASON_MIN:
            raise ServiceError(
                _(
                    "请填写回避「%(name)s」的理由（至少 %(min)s 个字）",
                    name=name,
                    min=AVOIDANCE_REASON_MIN,
                ),
                "avoidances",
            )
        if len(reason) > 200:
            raise ServiceError(_("回避「%(name)s」的理由不能超过 200 字", name=name), "avoidances")
        if org_id == data.invited_org_id:
            raise ServiceError(
                _("「%(name)s」已列入回避名单，不能同时直接邀请", name=name), "avoidances"
            )
        seen.add(org_id)
        result.append((org_id, reason))
    return result


def _check_attachments(org_id: int, data: NoticeData, kept) -> list[Document]:
    """Library documents of the purchaser's own organisation; files already attached stay
    even if archived since."""
    documents = []
    for document_id in dict.fromkeys(data.attachment_ids):
        if document_id in kept:
            documents.append(db.session.get(Document, document_id))
        else:
            documents.append(own_document(org_id, document_id, "attachment_ids"))
    for document_id in dict.fromkeys(data.held_ids):
        documents.append(held_document(org_id, document_id, "files"))
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    # Checked here, not by store_document, so that a bad second file leaves nothing written.
    for upload in data.uploads:
        label = _("附件「%(filename)s」", filename=upload.filename)
        if not upload.content:
            raise ServiceError(_("%(label)s是空文件", label=label), "files")
        if len(upload.content) > limit:
            size = format_size(len(upload.content))
            raise ServiceError(
                _(
                    "%(label)s大小 %(size)s，超过上限 %(limit)s",
                    label=label,
                    size=size,
                    limit=format_size(limit),
                ),
                "files",
            )
        if sniff_content_type(upload.content) is None:
            raise ServiceError(
                _(
                    "%(label)s类型不支持：只接受 %(allowed)s 文件",
                    label=label,
                    allowed=ALLOWED_LABEL,
                ),
                "files",
            )
    return documents


def check_notice_data(org_id: int, data: NoticeData, now, notice=None) -> Checked:
    """Every rule of a notice's content, all problems reported at once (ManyErrors);
    `notice` is the one being edited, whose avoided agencies and attachments may stay even if
    they would not be chosen afresh."""
    errors: list[ServiceError] = []

    def attempt(check, *args):
        try:
            return check(*args)
        except NotAllowed:
            raise
        except ManyErrors as many:
            errors.extend(many.errors)
        except ServiceError as err:
            errors.append(err)
        return None

    item = attempt(_check_item, data)
    attempt(_check_text, data)
    attempt(_check_project, data)
    attempt(_check_method, data)
    attempt(check_plan, data.payment_plan)
    attempt(check_deadline, data.deadline_dt, now)
    kept_avoided = {a.agency_org_id for a in notice.avoidances} if notice else set()
    kept_documents = {d.id for d in notice.attachments} if notice else set()
    documents = attempt(_check_attachments, org_id, data, kept_documents)
    avoidances = None
    if item is not None:  # the rules of the item's own need it
        attempt(_check_qualification, data, item)
        if data.invited_org_id is not None:
            attempt(check_invitation, data.invited_org_id, item, data.ceiling_fen)
        avoidances = attempt(_check_avoidances, data, item, kept_avoided)
    raise_all(errors)
    return Checked(item, avoidances, documents)
