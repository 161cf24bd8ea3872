"""/api/v1/results and /api/v1/contracts: each selection result put to publicity (the winner
and the winning amount, public from then on, as the notice page and the results feed show
them) and each contract both parties signed, with its payment milestones' public facts
(never a bank reference, voucher or reason)."""

import marshmallow as ma
from sqlalchemy import select

from ...catalogue.models import ServiceItem
from ...core.clock import utcnow
from ...core.models import AuditEvent
from ...extensions import db
from ...payments.models import MILESTONE, Milestone
from ...procurement.contract_models import Contract
from ...procurement.models import Notice
from .. import ocds_ids
from ..datasets import AWARD_STATUS, awards_from, signed_contracts
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
from .notices import DateRange, bp, notice_filters, paged
from .paging import Order, day_bounds


class ResultArgs(DateRange):
    range_names = ("publicity_from", "publicity_to")
    notice = id_arg("公告编号")  # i18n: data
    item = text_arg("服务事项编码", 20)  # i18n: data
    department = text_arg("审批部门")  # i18n: data
    purchaser = id_arg("采购人编号")  # i18n: data
    publicity_from = day_arg("公示开始日期起（北京时间，含当日）")  # i18n: data
    publicity_to = day_arg("公示开始日期止（北京时间，含当日）")  # i18n: data
    sort = choice_arg(
        "排序：publicity_from 公示开始时间；前加 - 为倒序",  # i18n: data
        ("-publicity_from", "publicity_from"),
        default="-publicity_from",
    )


class Party(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class ResultSchema(ma.Schema):
    notice_id = ma.fields.Integer(required=True)
    ocid = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    purchaser = ma.fields.Nested(Party, required=True)
    round = ma.fields.Integer(
        required=True,
        metadata={"description": "选取轮次（异议成立后重选加一）"},  # i18n: data
    )
    winner = ma.fields.Nested(Named, required=True)
    amount_fen = ma.fields.Integer(
        required=True,
        metadata={"description": "中选金额（分）"},  # i18n: data
    )
    publicity_from = LocalDateTime(required=True)
    publicity_until = LocalDateTime(required=True, allow_none=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "publicity 或 replaced"},  # i18n: data
    )
    status_label = ma.fields.String(required=True)


RESULT_ORDERS = {
    "publicity_from": Order((AuditEvent.occurred_dt, AuditEvent.id)),
    "-publicity_from": Order((AuditEvent.occurred_dt, AuditEvent.id), descending=True),
}


def _notices_asked(args: dict):
    """SELECT of the ids of the notices the filters name."""
    stmt = select(Notice.id).join(ServiceItem, ServiceItem.id == Notice.item_id)
    stmt = notice_filters(stmt, args)
    if args.get("notice"):
        stmt = stmt.where(Notice.id == args["notice"])
    return stmt


@bp.route("/results")
@bp.etag
@bp.arguments(ResultArgs, location="query")
@bp.response(200, page_schema("ResultPage", ResultSchema))
def results(args):
    """中选结果公示（按公示时间；异议成立后重新选取的结果，原结果标为 replaced）"""
    stmt = select(
        AuditEvent.id, AuditEvent.subject_id, AuditEvent.occurred_dt, AuditEvent.data
    ).where(
        AuditEvent.subject_type == "notice",
        AuditEvent.public.is_(True),
        AuditEvent.action == "transition",
        AuditEvent.to_state == "publicity",
        AuditEvent.occurred_dt <= utcnow(),
    )
    if any(args.get(name) for name in ("notice", "item", "department", "purchaser")):
        stmt = stmt.where(AuditEvent.subject_id.in_(_notices_asked(args)))
    lower, upper = day_bounds(args.get("publicity_from"), args.get("publicity_to"))
    if lower:
        stmt = stmt.where(AuditEvent.occurred_dt >= lower)
    if upper:
        stmt = stmt.where(AuditEvent.occurred_dt < upper)
    found = paged(stmt, RESULT_ORDERS, args)
    items = [
        {
            "notice_id": award["notice_id"],
            "ocid": award["ocid"],
            "title": award["title"],
            "purchaser": {"id": award["purchaser_id"], "name": award["purchaser"]},
            "round": award["round"],
            "winner": {
                "id": award["winner_id"],
                "name": award["winner"],
                "uscc": award["winner_uscc"],
            },
            "amount_fen": award["amount_fen"],
            "publicity_from": award["publicity_from"],
            "publicity_until": award["publicity_until"],
            "status": award["status"],
            "status_label": AWARD_STATUS[award["status"]],
        }
        for award in awards_from(found.rows)
    ]
    return found.document(items)


class ContractArgs(PageArgs):
    notice = id_arg("公告编号")  # i18n: data
    item = text_arg("服务事项编码", 20)  # i18n: data
    department = text_arg("审批部门")  # i18n: data
    purchaser = id_arg("采购人编号")  # i18n: data
    agency = id_arg("中介机构编号")  # i18n: data
    sort = choice_arg(
        "排序：id 合同编号、amount 合同金额；前加 - 为倒序",  # i18n: data
        ("-id", "id", "-amount", "amount"),
        default="-id",
    )


class PaymentMilestone(ma.Schema):
    position = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    percent = ma.fields.Integer(required=True)
    event = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True)
    state_label = ma.fields.String(required=True)
    due_at = LocalDateTime(required=True, allow_none=True)
    paid_at = LocalDateTime(required=True, allow_none=True)


class ContractSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    notice_id = ma.fields.Integer(required=True)
    ocid = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    item = ma.fields.Nested(ItemRef, required=True)
    purchaser = ma.fields.Nested(Named, required=True)
    agency = ma.fields.Nested(Named, required=True)
    amount_fen = ma.fields.Integer(
        required=True,
        metadata={"description": "合同金额（分）"},  # i18n: data
    )
    signed_at = LocalDateTime(
        required=True,
        metadata={"description": "双方签订完成的时间"},  # i18n: data
    )
    service_days = ma.fields.Integer(required=True)
    accepted_at = LocalDateTime(required=True, allow_none=True)
    milestones = ma.fields.List(ma.fields.Nested(PaymentMilestone), required=True)


CONTRACT_ORDERS = {
    "id": Order((Contract.id,)),
    "-id": Order((Contract.id,), descending=True),
    "amount": Order((Contract.amount_fen, Contract.id)),
    "-amount": Order((Contract.amount_fen, Contract.id), descending=True),
}


def _milestones(contract_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {i: [] for i in contract_ids}
    if not contract_ids:
        return found
    labels = MILESTONE.labels()
    for m in db.session.scalars(
        select(Milestone)
        .where(Milestone.contract_id.in_(contract_ids))
        .order_by(Milestone.contract_id, Milestone.position, Milestone.id)
    ):
        found[m.contract_id].append(
            {
                "position": m.position,
                "label": m.label,
                "percent": m.percent,
                "event": m.event,
                "amount_fen": m.amount_fen,
                "state": m.state,
                "state_label": labels.get(m.state, m.state),
                "due_at": m.due_dt,
                "paid_at": m.paid_dt,
            }
        )
    return found


@bp.route("/contracts")
@bp.etag
@bp.arguments(ContractArgs, location="query")
@bp.response(200, page_schema("ContractPage", ContractSchema))
def contracts(args):
    """合同（双方均已签订），含付款节点及其公开状态"""
    stmt = notice_filters(signed_contracts(), {**args, "purchaser": None})
    if args.get("notice"):
        stmt = stmt.where(Contract.notice_id == args["notice"])
    if args.get("purchaser"):
        stmt = stmt.where(Contract.purchaser_org_id == args["purchaser"])
    if args.get("agency"):
        stmt = stmt.where(Contract.agency_org_id == args["agency"])
    found = paged(stmt, CONTRACT_ORDERS, args)
    milestones = _milestones([row.id for row in found.rows])
    items = [
        {
            "id": row.id,
            "notice_id": row.notice_id,
            "ocid": ocds_ids.ocid(row.notice_id),
            "title": row.title,
            "item": {"code": row.item_code, "name": row.item_name},
            "purchaser": {
                "id": row.purchaser_id,
                "name": row.purchaser,
                "uscc": row.purchaser_uscc or "",
            },
            "agency": {"id": row.agency_id, "name": row.agency, "uscc": row.agency_uscc or ""},
            "amount_fen": row.amount_fen,
            "signed_at": max(row.purchaser_signed_dt, row.agency_signed_dt),
            "service_days": row.service_days,
            "accepted_at": row.accepted_dt,
            "milestones": milestones[row.id],
        }
        for row in found.rows
    ]
    return found.document(items)
