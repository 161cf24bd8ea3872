"""/api/v1/credit/disclosures: the conduct records disclosed now (双公示), as
/credit/disclosures and its exports show them. A record decided but not yet disclosed, or
whose publication period is over, is not here."""

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...core.clock import utcnow
from ...credit.disclosure.services import disclosed_condition, disclosure_row
from ...credit.models import PARTIES, SEVERITIES, ConductRecord, ViolationCriterion
from ...credit.states import RECORD
from . import errors
from .fields import LocalDateTime, PageArgs, choice_arg, id_arg, page_schema, text_arg
from .notices import paged
from .paging import Order

bp = Blueprint(
    "api_credit",
    __name__,
    url_prefix="/api/v1/credit",
    description="信用公示：已认定并公示的不良行为记录",  # i18n: data
)
errors.register(bp)


class DisclosureArgs(PageArgs):
    party = choice_arg("当事人类型", PARTIES)  # i18n: data
    org = id_arg("当事人编号（机构或采购人）")  # i18n: data
    criterion = text_arg("标准编号，如 A01", 10)  # i18n: data
    severity = choice_arg("严重程度", SEVERITIES)  # i18n: data
    department = text_arg("认定部门")  # i18n: data
    sort = choice_arg(
        "排序：published_at 公示时间；前加 - 为倒序",  # i18n: data
        ("-published_at", "published_at"),
        default="-published_at",
    )


class DisclosureSchema(ma.Schema):
    record_number = ma.fields.String(required=True)
    decision_number = ma.fields.String(required=True)
    decided_at = LocalDateTime(required=True, allow_none=True)
    published_at = LocalDateTime(required=True)
    publication_end = LocalDateTime(required=True)
    party = ma.fields.String(required=True)
    party_label = ma.fields.String(required=True)
    org_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    criterion_code = ma.fields.String(required=True)
    criterion_version = ma.fields.Integer(required=True)
    behaviour = ma.fields.String(required=True)
    severity = ma.fields.String(required=True)
    severity_label = ma.fields.String(required=True)
    deduction = ma.fields.Integer(required=True)
    measure = ma.fields.String(required=True)
    measure_label = ma.fields.String(required=True)
    measure_end = LocalDateTime(required=True, allow_none=True)
    department = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    status_label = ma.fields.String(required=True)


DISCLOSURE_ORDERS = {
    "published_at": Order((ConductRecord.published_dt, ConductRecord.id)),
    "-published_at": Order((ConductRecord.published_dt, ConductRecord.id), descending=True),
}


def _disclosure(record: ConductRecord) -> dict:
    row = disclosure_row(record)
    return {
        **row,
        "party_label": PARTIES.get(row["party"], row["party"]),
        "severity_label": SEVERITIES.get(row["severity"], row["severity"]),
        "measure_label": record.criterion.measure_label,
        "status_label": RECORD.label(row["status"]),
    }


@bp.route("/disclosures")
@bp.etag
@bp.arguments(DisclosureArgs, location="query")
@bp.response(200, page_schema("DisclosurePage", DisclosureSchema))
def disclosures(args):
    """信用公示（公示期内的不良行为记录，默认最新公示在前）"""
    stmt = (
        select(ConductRecord)
        .where(disclosed_condition(utcnow()))
        .options(selectinload(ConductRecord.subject), selectinload(ConductRecord.criterion))
    )
    if args.get("party"):
        stmt = stmt.where(ConductRecord.party == args["party"])
    if args.get("org"):
        stmt = stmt.where(ConductRecord.subject_org_id == args["org"])
    if args.get("department"):
        stmt = stmt.where(ConductRecord.department == args["department"])
    if args.get("criterion") or args.get("severity"):
        criteria = select(ViolationCriterion.id)
        if args.get("criterion"):
            criteria = criteria.where(ViolationCriterion.code == args["criterion"])
        if args.get("severity"):
            criteria = criteria.where(ViolationCriterion.severity == args["severity"])
        stmt = stmt.where(ConductRecord.criterion_id.in_(criteria))
    key = lambda row: (row.ConductRecord.published_dt, row.ConductRecord.id)  # noqa: E731
    found = paged(stmt, DISCLOSURE_ORDERS, args, key)
    return found.document([_disclosure(row.ConductRecord) for row in found.rows])
