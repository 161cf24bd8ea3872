"""/api/v1/notices, /results and /contracts: the published notices, the results put to
publicity and the signed contracts with their payment milestones. What the public pages
show and nothing more: no quote and no count of quotes (the awards' amounts are the winning
quotes, public from their publicity), no bank detail, no draft."""

import marshmallow as ma
from flask import url_for
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError, validates_schema

from ...catalogue.models import ServiceItem
from ...core.clock import utcnow
from ...extensions import db
from ...procurement.models import Notice
from ...procurement.services import registered, state_labels
from .. import ocds_ids
from ..datasets import published_notices
from . import errors
from .fields import (
    ItemRef,
    LocalDateTime,
    Named,
    PageArgs,
    choice_arg,
    day_arg,
    id_arg,
    page_schema,
    text_arg,
)
from .paging import CursorError, Order, day_bounds, page

bp = Blueprint(
    "api_notices",
    __name__,
    url_prefix="/api/v1",
    description="采购公告、中选结果公示与合同（含付款节点）",  # i18n: data
)
errors.register(bp)


def _methods() -> dict[str, str]:
    return {key: method.label for key, method in registered().items()}


def _states() -> dict[str, str]:
    return state_labels(include_drafts=False)


class DateRange(PageArgs):
    """A page of a list filtered by a range of days (Beijing dates, both included)."""

    range_names = ("published_from", "published_to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        first, last = (data.get(name) for name in self.range_names)
        if first and last and first > last:
            raise ValidationError(
                f"不能早于 {self.range_names[0]}",  # i18n: data
                self.range_names[1],
            )


class NoticeArgs(DateRange):
    item = text_arg("服务事项编码，如 ZJ001", 20)  # i18n: data
    department = text_arg("审批部门（事项清单所列），如 重庆市生态环境局")  # i18n: data
    purchaser = id_arg("采购人编号")  # i18n: data
    method = choice_arg("选取方式", _methods())  # i18n: data
    state = choice_arg("公告状态", _states())  # i18n: data
    published_from = day_arg("发布日期起（北京时间，含当日）")  # i18n: data
    published_to = day_arg("发布日期止（北京时间，含当日）")  # i18n: data
    sort = choice_arg(
        "排序：published_at 发布时间、deadline 报价截止时间、"  # i18n: data
        "ceiling 最高限价；前加 - 为倒序",
        ("-published_at", "published_at", "-deadline", "deadline", "-ceiling", "ceiling"),
        default="-published_at",
    )


class NoticeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    ocid = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    purchaser = ma.fields.Nested(Named, required=True)
    item = ma.fields.Nested(ItemRef, required=True)
    department = ma.fields.String(
        required=True,
        metadata={"description": "事项的审批部门"},  # i18n: data
    )
    method = ma.fields.String(required=True)
    method_label = ma.fields.String(required=True)
    ceiling_fen = ma.fields.Integer(
        required=True,
        metadata={"description": "最高限价（分）"},  # i18n: data
    )
    floor_fen = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "最低限价（分）"},  # i18n: data
    )
    service_days = ma.fields.Integer(required=True)
    published_at = LocalDateTime(required=True)
    deadline = LocalDateTime(required=True)
    state = ma.fields.String(required=True)
    state_label = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "公告页面"})  # i18n: data


class PlanMilestone(ma.Schema):
    label = ma.fields.String(required=True)
    percent = ma.fields.Integer(required=True)
    event = ma.fields.String(
        required=True,
        metadata={"description": "signing 或 acceptance"},  # i18n: data
    )
    due_working_days = ma.fields.Integer(required=True)


class NoticeDetailSchema(NoticeSchema):
    project_name = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
    fiscal_share_pct = ma.fields.Integer(
        required=True,
        metadata={"description": "财政资金占比"},  # i18n: data
    )
    requires_qualification = ma.fields.Boolean(required=True)
    min_grade = ma.fields.String(required=True, allow_none=True)
    payment_plan = ma.fields.List(ma.fields.Nested(PlanMilestone), required=True)
    ocds_record = ma.fields.String(
        required=True,
        metadata={"description": "OCDS 记录"},  # i18n: data
    )
    audit_pack = ma.fields.String(
        required=True,
        metadata={"description": "审计包（zip）"},  # i18n: data
    )
    results = ma.fields.String(
        required=True,
        metadata={"description": "该公告的中选结果"},  # i18n: data
    )


class NoticeId(ma.Schema):
    notice_id = ma.fields.Integer(required=True)


NOTICE_ORDERS = {
    "published_at": Order((Notice.published_dt, Notice.id)),
    "-published_at": Order((Notice.published_dt, Notice.id), descending=True),
    "deadline": Order((Notice.deadline_dt, Notice.id)),
    "-deadline": Order((Notice.deadline_dt, Notice.id), descending=True),
    "ceiling": Order((Notice.ceiling_fen, Notice.id)),
    "-ceiling": Order((Notice.ceiling_fen, Notice.id), descending=True),
}


def notice_filters(stmt, args: dict):
    """`stmt` (over notices, joined to their items) narrowed to the filters asked for."""
    if args.get("item"):
        stmt = stmt.where(ServiceItem.code == args["item"])
    if args.get("department"):
        stmt = stmt.where(ServiceItem.approving_department == args["department"])
    if args.get("purchaser"):
        stmt = stmt.where(Notice.purchaser_org_id == args["purchaser"])
    if args.get("method"):
        stmt = stmt.where(Notice.method == args["method"])
    if args.get("state"):
        stmt = stmt.where(Notice.state == args["state"])
    return stmt


def _notice(row) -> dict:
    return {
        "id": row.id,
        "ocid": ocds_ids.ocid(row.id),
        "title": row.title,
        "purchaser": {"id": row.purchaser_id, "name": row.purchaser, "uscc": row.uscc or ""},
        "item": {"code": row.code, "name": row.item_name},
        "department": row.approving_department,
        "method": row.method,
        "method_label": _methods().get(row.method, row.method),
        "ceiling_fen": row.ceiling_fen,
        "floor_fen": row.floor_fen,
        "service_days": row.service_days,
        "published_at": row.published_dt,
        "deadline": row.deadline_dt,
        "state": row.state,
        "state_label": _states().get(row.state, row.state),
        "url": url_for("procurement.detail", notice_id=row.id),
    }


def paged(stmt, orders, args, key=None):
    """A page of `stmt` as the query asks (a bad cursor is refused with its message)."""
    try:
        return page(stmt, orders, args["sort"], args, key)
    except CursorError as err:
        errors.refuse("cursor", str(err))


@bp.route("/notices")
@bp.etag
@bp.arguments(NoticeArgs, location="query")
@bp.response(200, page_schema("NoticePage", NoticeSchema))
def notices(args):
    """采购公告列表（已发布的公告，不含草稿）"""
    stmt = notice_filters(published_notices(utcnow()), args)
    lower, upper = day_bounds(args.get("published_from"), args.get("published_to"))
    if lower:
        stmt = stmt.where(Notice.published_dt >= lower)
    if upper:
        stmt = stmt.where(Notice.published_dt < upper)
    found = paged(stmt, NOTICE_ORDERS, args)
    return found.document([_notice(row) for row in found.rows])


@bp.route("/notices/<int:notice_id>")
@bp.etag
@bp.response(200, NoticeDetailSchema)
def notice(notice_id):
    """一条采购公告"""
    row = db.session.execute(published_notices(utcnow()).where(Notice.id == notice_id)).first()
    if row is None:
        abort(404, message="未找到该公告（不存在或尚未发布）")  # i18n: data
    full = db.session.get(Notice, notice_id)
    return {
        **_notice(row),
        "project_name": full.project_name,
        "scope": full.scope,
        "fiscal_share_pct": full.fiscal_share_pct,
        "requires_qualification": full.requires_qualification,
        "min_grade": full.min_grade,
        "payment_plan": [
            {
                "label": m["label"],
                "percent": m["percent"],
                "event": m["event"],
                "due_working_days": m["days"],
            }
            for m in full.payment_plan or ()
        ],
        "ocds_record": url_for("ocds.one_record", ocid=ocds_ids.ocid(notice_id)),
        "audit_pack": url_for("auditpack.pack", notice_id=notice_id),
        "results": url_for("api_notices.results", notice=notice_id),
    }
