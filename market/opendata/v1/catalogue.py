"""/api/v1/catalogue/items: the published list of intermediary services (both lists, items
withdrawn after being public included, never a draft only its department sees), each item
with every version the public change log shows."""

import marshmallow as ma
from flask import url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import or_, select

from ...catalogue.fields import FEE_TYPE_LABELS, LISTS
from ...catalogue.models import ItemRevision, ServiceItem
from ...catalogue.services import get_item_by_code
from ...catalogue.states import ITEM, REVISION_KINDS
from . import errors
from .fields import LocalDateTime, PageArgs, choice_arg, page_schema, text_arg
from .notices import paged
from .paging import Order

bp = Blueprint(
    "api_catalogue",
    __name__,
    url_prefix="/api/v1/catalogue",
    description="中介服务事项清单（两张清单，含每个事项的历次版本）",  # i18n: data
)
errors.register(bp)


def _listed() -> dict[str, str]:
    return {k: v for k, v in ITEM.labels().items() if k != "draft"}


class ItemArgs(PageArgs):
    list = choice_arg(
        "所属清单：licensing 行政许可中介服务事项，other 其他行政管理中介服务事项",  # i18n: data
        LISTS,
    )
    category = text_arg("类别", 50)  # i18n: data
    department = text_arg("审批部门")  # i18n: data
    status = choice_arg("状态", _listed())  # i18n: data
    q = text_arg("名称或审批事项中的文字")  # i18n: data
    sort = choice_arg(
        "排序：code 事项编码；前加 - 为倒序",  # i18n: data
        ("code", "-code"),
        default="code",
    )


class ItemSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    list = ma.fields.String(
        required=True,
        metadata={"description": "licensing 或 other"},  # i18n: data
    )
    list_label = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    licensing_item = ma.fields.String(
        required=True,
        metadata={"description": "涉及的审批事项"},  # i18n: data
    )
    legal_basis = ma.fields.String(required=True)
    approving_department = ma.fields.String(required=True)
    implementing_requirement = ma.fields.String(required=True)
    fee_type = ma.fields.String(required=True)
    fee_type_label = ma.fields.String(required=True)
    fee_basis = ma.fields.String(required=True)
    fee_min_fen = ma.fields.Integer(required=True, allow_none=True)
    fee_max_fen = ma.fields.Integer(required=True, allow_none=True)
    fee_rate_min_bp = ma.fields.Integer(required=True, allow_none=True)
    fee_rate_max_bp = ma.fields.Integer(required=True, allow_none=True)
    commissioned_by = ma.fields.String(required=True)
    note = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    status_label = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "当前版本号"})  # i18n: data
    first_public_on = ma.fields.Date(required=True, allow_none=True)
    url = ma.fields.String(required=True)
    versions = ma.fields.String(required=True, metadata={"description": "历次版本"})  # i18n: data


class VersionArgs(PageArgs):
    sort = choice_arg(
        "排序：version 版本号；前加 - 为倒序",  # i18n: data
        ("-version", "version"),
        default="-version",
    )


class VersionSchema(ma.Schema):
    version = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    kind_label = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    effective_on = ma.fields.Date(required=True)
    applied_at = LocalDateTime(required=True)
    changes = ma.fields.Dict(required=True, metadata={"description": "字段 → 新值"})  # i18n: data
    before = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "字段 → 被替换的值"},  # i18n: data
    )
    snapshot = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "该版本的全部公开字段"},  # i18n: data
    )


class ItemCode(ma.Schema):
    code = ma.fields.String(required=True)


ITEM_ORDERS = {
    "code": Order((ServiceItem.code,)),
    "-code": Order((ServiceItem.code,), descending=True),
}
VERSION_ORDERS = {
    "version": Order((ItemRevision.version,)),
    "-version": Order((ItemRevision.version,), descending=True),
}


def _ever_public():
    return or_(
        ServiceItem.first_public_on.is_not(None),
        ServiceItem.status.in_(sorted(ITEM.where(public=True))),
    )


def _item(item: ServiceItem) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "list": item.list_kind,
        "list_label": LISTS.get(item.list_kind, item.list_kind),
        "category": item.category,
        "licensing_item": item.licensing_item,
        "legal_basis": item.legal_basis,
        "approving_department": item.approving_department,
        "implementing_requirement": item.implementing_requirement,
        "fee_type": item.fee_type,
        "fee_type_label": FEE_TYPE_LABELS.get(item.fee_type, item.fee_type),
        "fee_basis": item.fee_basis,
        "fee_min_fen": item.fee_min_fen,
        "fee_max_fen": item.fee_max_fen,
        "fee_rate_min_bp": item.fee_rate_min_bp,
        "fee_rate_max_bp": item.fee_rate_max_bp,
        "commissioned_by": item.commissioned_by,
        "note": item.note,
        "status": item.status,
        "status_label": ITEM.label(item.status),
        "version": item.version,
        "first_public_on": item.first_public_on,
        "url": url_for("catalogue.detail", code=item.code),
        "versions": url_for("api_catalogue.versions", code=item.code),
    }


@bp.route("/items")
@bp.etag
@bp.arguments(ItemArgs, location="query")
@bp.response(200, page_schema("ItemPage", ItemSchema))
def items(args):
    """事项清单（已公布、已上线的事项；按状态筛选时也可查已取消的事项）"""
    stmt = select(ServiceItem).where(_ever_public())
    if args.get("status"):
        stmt = stmt.where(ServiceItem.status == args["status"])
    else:
        stmt = stmt.where(ServiceItem.status.in_(sorted(ITEM.where(public=True))))
    if args.get("list"):
        stmt = stmt.where(ServiceItem.list_kind == args["list"])
    if args.get("category"):
        stmt = stmt.where(ServiceItem.category == args["category"])
    if args.get("department"):
        stmt = stmt.where(ServiceItem.approving_department == args["department"])
    if args.get("q"):
        stmt = stmt.where(
            ServiceItem.name.contains(args["q"], autoescape=True)
            | ServiceItem.licensing_item.contains(args["q"], autoescape=True)
        )
    found = paged(stmt, ITEM_ORDERS, args, lambda row: (row.ServiceItem.code,))
    return found.document([_item(row.ServiceItem) for row in found.rows])


def _public_item(code: str) -> ServiceItem:
    item = get_item_by_code(code) if len(code) <= 20 else None
    if item is None or not item.ever_public:
        abort(404, message="未找到该事项（不存在或尚未公布）")  # i18n: data
    return item


@bp.route("/items/<code>")
@bp.etag
@bp.response(200, ItemSchema)
def item(code):
    """一个事项的当前版本"""
    return _item(_public_item(code))


@bp.route("/items/<code>/versions")
@bp.etag
@bp.arguments(VersionArgs, location="query")
@bp.response(200, page_schema("VersionPage", VersionSchema))
def versions(args, code):
    """一个事项的历次版本（调整理由、生效日期、改了什么、调整后的全部字段）"""
    found_item = _public_item(code)
    stmt = select(ItemRevision).where(
        ItemRevision.item_id == found_item.id, ItemRevision.state == "applied"
    )
    found = paged(stmt, VERSION_ORDERS, args, lambda row: (row.ItemRevision.version,))
    items = [
        {
            "version": r.version,
            "kind": r.kind,
            "kind_label": REVISION_KINDS.get(r.kind, r.kind),
            "reason": r.reason,
            "effective_on": r.effective_on,
            "applied_at": r.applied_dt,
            "changes": r.changes,
            "before": r.before,
            "snapshot": r.snapshot,
        }
        for r in (row.ItemRevision for row in found.rows)
    ]
    return found.document(items)
