"""/api/v1/agencies: the registered agencies with what their public pages show (name, USCC,
region, credit grade and score, whether they may quote now and why not, offerings with
fees, qualifications with their state). Never a contact person, phone, address or member."""

import marshmallow as ma
from flask import url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import exists, select

from ...accounts.models import Organisation
from ...agencies.models import RATING_DIMENSIONS, Agency, Offering
from ...agencies.services import can_bid
from ...agencies.shelves import shown_qualifications, storefront
from ...catalogue.models import ServiceItem
from ...core.clock import utcnow
from ...extensions import db
from . import errors
from .fields import ItemRef, LocalDateTime, PageArgs, choice_arg, page_schema, text_arg
from .notices import paged
from .paging import Order

bp = Blueprint(
    "api_agencies",
    __name__,
    url_prefix="/api/v1",
    description="中介机构（公开信息：信用等级、可否报价、服务事项与收费、资质）",  # i18n: data
)
errors.register(bp)

GRADES = ("A", "B", "C", "D")


class AgencyArgs(PageArgs):
    item = text_arg("提供的服务事项编码，如 ZJ001", 20)  # i18n: data
    region = text_arg("所在地区（开头相符），如 重庆市")  # i18n: data
    grade = choice_arg("信用等级", GRADES)  # i18n: data
    sort = choice_arg(
        "排序：credit 信用分、id 入驻顺序；前加 - 为倒序",  # i18n: data
        ("-credit", "credit", "-id", "id"),
        default="-credit",
    )


class AgencySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    region = ma.fields.String(required=True)
    joined_at = LocalDateTime(required=True)
    service_area = ma.fields.String(required=True)
    credit_score = ma.fields.Integer(required=True)
    credit_grade = ma.fields.String(required=True)
    may_quote = ma.fields.Boolean(
        required=True,
        metadata={"description": "现在能否参与报价"},  # i18n: data
    )
    standing = ma.fields.String(
        required=True,
        metadata={"description": "不能报价的原因（能报价时为空）"},  # i18n: data
    )
    rating_count = ma.fields.Integer(required=True)
    rating_overall = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "评价均分（1–5），无评价为 null"},  # i18n: data
    )
    items = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "服务事项编码"},  # i18n: data
    )
    url = ma.fields.String(required=True)


class OfferingSchema(ma.Schema):
    item = ma.fields.Nested(ItemRef, required=True)
    fee_kind = ma.fields.String(required=True)
    fee_min_fen = ma.fields.Integer(required=True, allow_none=True)
    fee_max_fen = ma.fields.Integer(required=True, allow_none=True)
    fee_rate_bp = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "费率（万分之一）"},  # i18n: data
    )
    fee_note = ma.fields.String(required=True)
    promised_days = ma.fields.Integer(
        required=True,
        metadata={"description": "承诺时限（工作日）"},  # i18n: data
    )
    service_area = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class QualificationSchema(ma.Schema):
    item = ma.fields.Nested(ItemRef, required=True)
    type = ma.fields.String(required=True)
    grade = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    valid_until = ma.fields.Date(required=True)
    state = ma.fields.String(required=True)
    state_label = ma.fields.String(required=True)
    usable = ma.fields.Boolean(required=True)


class AgencyDetailSchema(AgencySchema):
    description = ma.fields.String(required=True)
    offerings = ma.fields.List(ma.fields.Nested(OfferingSchema), required=True)
    qualifications = ma.fields.List(ma.fields.Nested(QualificationSchema), required=True)


AGENCY_ORDERS = {
    "credit": Order((Agency.credit_score, Agency.org_id)),
    "-credit": Order((Agency.credit_score, Agency.org_id), descending=True),
    "id": Order((Agency.org_id,)),
    "-id": Order((Agency.org_id,), descending=True),
}
KEYS = {
    "credit": lambda row: (row.Agency.credit_score, row.Agency.org_id),
    "id": lambda row: (row.Agency.org_id,),
}


def _rating(agency: Agency) -> float | None:
    if not agency.rating_count:
        return None
    total = sum(getattr(agency, f"rating_{d}") for d in RATING_DIMENSIONS)
    return round(total / (agency.rating_count * len(RATING_DIMENSIONS)), 2)


def _agency(agency: Agency, org: Organisation, codes: list[str], now) -> dict:
    allowed, reason = can_bid(agency, now)
    return {
        "id": org.id,
        "name": org.name,
        "uscc": org.uscc or "",
        "region": org.region,
        "joined_at": org.created_dt,
        "service_area": agency.service_area,
        "credit_score": agency.credit_score,
        "credit_grade": agency.credit_grade,
        "may_quote": allowed,
        "standing": reason,
        "rating_count": agency.rating_count,
        "rating_overall": _rating(agency),
        "items": codes,
        "url": url_for("agencies.profile", org_id=org.id),
    }


def _codes(agency_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in agency_ids}
    if agency_ids:
        rows = db.session.execute(
            select(Offering.agency_id, ServiceItem.code)
            .join(ServiceItem, ServiceItem.id == Offering.item_id)
            .where(Offering.agency_id.in_(agency_ids))
            .order_by(Offering.agency_id, ServiceItem.code)
        )
        for agency_id, code in rows:
            found[agency_id].append(code)
    return found


@bp.route("/agencies")
@bp.etag
@bp.arguments(AgencyArgs, location="query")
@bp.response(200, page_schema("AgencyPage", AgencySchema))
def agencies(args):
    """中介机构列表（默认按信用分从高到低）"""
    stmt = select(Agency, Organisation).join(Organisation, Organisation.id == Agency.org_id)
    if args.get("item"):
        offers = (
            select(Offering.id)
            .join(ServiceItem, ServiceItem.id == Offering.item_id)
            .where(Offering.agency_id == Agency.org_id, ServiceItem.code == args["item"])
        )
        stmt = stmt.where(exists(offers))
    if args.get("region"):
        stmt = stmt.where(Organisation.region.startswith(args["region"], autoescape=True))
    if args.get("grade"):
        stmt = stmt.where(Agency.credit_grade == args["grade"])
    found = paged(stmt, AGENCY_ORDERS, args, KEYS[args["sort"].lstrip("-")])
    codes = _codes([row.Agency.org_id for row in found.rows])
    now = utcnow()
    items = [
        _agency(row.Agency, row.Organisation, codes[row.Agency.org_id], now) for row in found.rows
    ]
    return found.document(items)


@bp.route("/agencies/<int:agency_id>")
@bp.etag
@bp.response(200, AgencyDetailSchema)
def agency(agency_id):
    """一家中介机构"""
    found = storefront(agency_id)
    if found is None:
        abort(404, message="未找到该中介机构")  # i18n: data
    now = utcnow()
    offerings = sorted(found.offerings, key=lambda o: o.item.code)
    return {
        **_agency(found, found.organisation, [o.item.code for o in offerings], now),
        "description": found.description,
        "offerings": [
            {
                "item": {"code": o.item.code, "name": o.item.name},
                "fee_kind": o.fee_kind,
                "fee_min_fen": o.fee_min_fen,
                "fee_max_fen": o.fee_max_fen,
                "fee_rate_bp": o.fee_rate_bp,
                "fee_note": o.fee_note,
                "promised_days": o.promised_days,
                "service_area": o.service_area,
                "description": o.description,
            }
            for o in offerings
        ],
        "qualifications": [
            {
                "item": {"code": q.item.code, "name": q.item.name},
                "type": q.type,
                "grade": q.grade,
                "number": q.number,
                "issuer": q.issuer,
                "valid_until": q.valid_until,
                "state": state.key,
                "state_label": state.label,
                "usable": state.usable,
            }
            for q, state in shown_qualifications(found, now)
        ],
    }
