"""The bulk downloads' data sets (bulk.py writes them): each table of public data, its
columns, the labels of its coded values and its rows, read in bounded batches. Only what the
public pages show: no quote of a notice still taking quotes, no record not yet disclosed, no
bank detail."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased, selectinload

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.models import AuditEvent
from ..credit.disclosure.services import DISCLOSURE_COLUMNS, disclosed_condition, disclosure_row
from ..credit.models import MEASURES, PARTIES, SEVERITIES, ConductRecord
from ..credit.states import CONFIRMED_STATES, RECORD
from ..extensions import db
from ..payments.models import MILESTONE, Milestone
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice, Selection
from ..procurement.services import registered, state_labels
from . import ocds_ids

#: rows read per query
BATCH = 500
#: the formats each data set is written in
FORMATS = (".csv", ".jsonl", ".xlsx")


@dataclass(frozen=True)
class Dataset:
    """One table of public data: its columns (JSON key, Chinese header), the labels CSV and
    Excel show for coded columns (JSON Lines keep the codes), and its rows as dicts."""

    name: str
    title: str
    columns: tuple
    rows: Callable[[datetime], Iterator[dict]]
    labels: dict = field(default_factory=dict)

    def files(self) -> list[str]:
        return [self.name + ext for ext in FORMATS]


def yuan(fen: int | None) -> Decimal | None:
    """Exact yuan from integer fen."""
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _keyset(stmt, key) -> Iterator:
    """The rows of `stmt` in batches of BATCH, ordered by the unique column `key` (each batch
    one query: no whole table in memory)."""
    last = None
    while True:
        page = stmt if last is None else stmt.where(key > last)
        rows = db.session.execute(page.order_by(key).limit(BATCH)).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1]._mapping[key.key]


NOTICE_COLUMNS = (
    ("notice_id", "公告编号"),  # i18n: data
    ("ocid", "OCDS 编号"),  # i18n: data
    ("title", "公告标题"),  # i18n: data
    ("purchaser", "采购人"),  # i18n: data
    ("purchaser_uscc", "采购人统一社会信用代码"),  # i18n: data
    ("item_code", "事项编码"),  # i18n: data
    ("item_name", "中介服务事项"),  # i18n: data
    ("method", "选取方式"),  # i18n: data
    ("ceiling_yuan", "最高限价（元）"),  # i18n: data
    ("floor_yuan", "最低限价（元）"),  # i18n: data
    ("service_days", "服务期限（天）"),  # i18n: data
    ("published_at", "发布时间"),  # i18n: data
    ("deadline", "报价截止时间"),  # i18n: data
    ("state", "公告状态"),  # i18n: data
)


def published_notices(now):
    """SELECT of the notices published by `now` (never a draft), with what their public page
    shows of them, their purchaser and item (the data set's rows and the JSON API's)."""
    return (
        select(
            Notice.id,
            Notice.title,
            Organisation.id.label("purchaser_id"),
            Organisation.name.label("purchaser"),
            Organisation.uscc,
            ServiceItem.code,
            ServiceItem.name.label("item_name"),
            ServiceItem.approving_department,
            Notice.method,
            Notice.ceiling_fen,
            Notice.floor_fen,
            Notice.service_days,
            Notice.published_dt,
            Notice.deadline_dt,
            Notice.state,
        )
        .join(Organisation, Organisation.id == Notice.purchaser_org_id)
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
        .where(Notice.published_dt.is_not(None), Notice.published_dt <= now)
    )


def notice_rows(now) -> Iterator[dict]:
    """Every published notice (never a draft), what its public page shows of it."""
    stmt = published_notices(now)
    for r in _keyset(stmt, Notice.id):
        yield {
            "notice_id": r.id,
            "ocid": ocds_ids.ocid(r.id),
            "title": r.title,
            "purchaser": r.purchaser,
            "purchaser_uscc": r.uscc or "",
            "item_code": r.code,
            "item_name": r.item_name,
            "method": r.method,
            "ceiling_yuan": yuan(r.ceiling_fen),
            "floor_yuan": yuan(r.floor_fen),
            "service_days": r.service_days,
            "published_at": r.published_dt,
            "deadline": r.deadline_dt,
            "state": r.state,
        }


AWARD_COLUMNS = (
    ("notice_id", "公告编号"),  # i18n: data
    ("ocid", "OCDS 编号"),  # i18n: data
    ("title", "公告标题"),  # i18n: data
    ("purchaser", "采购人"),  # i18n: data
    ("round", "选取轮次"),  # i18n: data
    ("winner", "中选机构"),  # i18n: data
    ("winner_uscc", "中选机构统一社会信用代码"),  # i18n: data
    ("amount_yuan", "中选金额（元）"),  # i18n: data
    ("publicity_from", "公示开始"),  # i18n: data
    ("publicity_until", "公示截止"),  # i18n: data
    ("status", "结果状态"),  # i18n: data
)
AWARD_STATUS = {"publicity": "公示", "replaced": "异议成立，已重新选取"}  # i18n: data


def award_rows(now) -> Iterator[dict]:
    """Each selection result put to publicity (中选结果公示): the winner and its amount, as the
    notice page and the results feed show them; none before its publicity."""
    stmt = select(
        AuditEvent.id, AuditEvent.subject_id, AuditEvent.occurred_dt, AuditEvent.data
    ).where(
        AuditEvent.subject_type == "notice",
        AuditEvent.public.is_(True),
        AuditEvent.action == "transition",
        AuditEvent.to_state == "publicity",
        AuditEvent.occurred_dt <= now,
    )
    batch = []
    for row in _keyset(stmt, AuditEvent.id):
        batch.append(row)
        if len(batch) == BATCH:
            yield from awards_from(batch)
            batch = []
    yield from awards_from(batch)


def awards_from(events) -> Iterator[dict]:
    """The awards that publicity events (id, subject_id, occurred_dt, data) put to publicity;
    an event whose selection is not found gives none."""
    if not events:
        return
    ids = {e.subject_id for e in events}
    winner = aliased(Organisation)
    selections = db.session.execute(
        select(
            Selection.notice_id,
            Selection.round,
            Selection.created_dt,
            Bid.amount_fen,
            winner.id,
            winner.name,
            winner.uscc,
        )
        .join(Bid, Bid.id == Selection.winner_bid_id)
        .join(winner, winner.id == Bid.agency_org_id)
        .where(Selection.notice_id.in_(ids))
        .order_by(Selection.notice_id, Selection.round)
    ).all()
    notices = {
        r.id: r
        for r in db.session.execute(
            select(Notice.id, Notice.title, Organisation.id.label("org_id"), Organisation.name)
            .join(Organisation, Organisation.id == Notice.purchaser_org_id)
            .where(Notice.id.in_(ids))
        )
    }
    for event in events:
        of_notice = [s for s in selections if s.notice_id == event.subject_id]
        made = [s for s in of_notice if s.created_dt <= event.occurred_dt]
        if not made:
            continue
        chosen = made[-1]
        replaced = any(s.round > chosen.round for s in of_notice)
        until = (event.data or {}).get("until")
        notice = notices[event.subject_id]
        yield {
            "notice_id": notice.id,
            "ocid": ocds_ids.ocid(notice.id),
            "title": notice.title,
            "purchaser": notice.name,
            "round": chosen.round,
            "winner": chosen.name,
            "winner_uscc": chosen.uscc or "",
            "amount_yuan": yuan(chosen.amount_fen),
            # what the JSON API gives besides the columns
            "purchaser_id": notice.org_id,
            "winner_id": chosen.id,
            "amount_fen": chosen.amount_fen,
            "publicity_from": event.occurred_dt,
            "publicity_until": datetime.fromisoformat(until) if until else None,
            "status": "replaced" if replaced else "publicity",
        }


CONTRACT_COLUMNS = (
    ("contract_id", "合同编号"),  # i18n: data
    ("notice_id", "公告编号"),  # i18n: data
    ("ocid", "OCDS 编号"),  # i18n: data
    ("title", "公告标题"),  # i18n: data
    ("purchaser", "采购人"),  # i18n: data
    ("purchaser_uscc", "采购人统一社会信用代码"),  # i18n: data
    ("agency", "中选机构"),  # i18n: data
    ("agency_uscc", "中选机构统一社会信用代码"),  # i18n: data
    ("amount_yuan", "合同金额（元）"),  # i18n: data
    ("signed_at", "签订时间"),  # i18n: data
    ("service_days", "服务期限（天）"),  # i18n: data
    ("accepted_at", "验收时间"),  # i18n: data
    ("state", "公告状态"),  # i18n: data
)


def _signed():
    return and_(Contract.purchaser_signed_dt.is_not(None), Contract.agency_signed_dt.is_not(None))


def signed_contracts():
    """SELECT of the contracts signed by both parties, with their notice, item and parties
    (the data set's rows and the JSON API's)."""
    buyer, agency = aliased(Organisation), aliased(Organisation)
    return (
        select(
            Contract.id,
            Contract.notice_id,
            Notice.title,
            ServiceItem.code.label("item_code"),
            ServiceItem.name.label("item_name"),
            buyer.id.label("purchaser_id"),
            buyer.name.label("purchaser"),
            buyer.uscc.label("purchaser_uscc"),
            agency.id.label("agency_id"),
            agency.name.label("agency"),
            agency.uscc.label("agency_uscc"),
            Contract.amount_fen,
            Contract.purchaser_signed_dt,
            Contract.agency_signed_dt,
            Notice.service_days,
            Contract.accepted_dt,
            Notice.state,
        )
        .join(Notice, Notice.id == Contract.notice_id)
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
        .join(buyer, buyer.id == Contract.purchaser_org_id)
        .join(agency, agency.id == Contract.agency_org_id)
        .where(_signed())
    )


def contract_rows(now) -> Iterator[dict]:
    """Contracts signed by both parties (an award never signed has no contract here)."""
    stmt = signed_contracts()
    for r in _keyset(stmt, Contract.id):
        yield {
            "contract_id": r.id,
            "notice_id": r.notice_id,
            "ocid": ocds_ids.ocid(r.notice_id),
            "title": r.title,
            "purchaser": r.purchaser,
            "purchaser_uscc": r.purchaser_uscc or "",
            "agency": r.agency,
            "agency_uscc": r.agency_uscc or "",
            "amount_yuan": yuan(r.amount_fen),
            "signed_at": max(r.purchaser_signed_dt, r.agency_signed_dt),
            "service_days": r.service_days,
            "accepted_at": r.accepted_dt,
            "state": r.state,
        }


PAYMENT_COLUMNS = (
    ("milestone_id", "付款节点编号"),  # i18n: data
    ("contract_id", "合同编号"),  # i18n: data
    ("notice_id", "公告编号"),  # i18n: data
    ("ocid", "OCDS 编号"),  # i18n: data
    ("position", "序号"),  # i18n: data
    ("label", "付款节点"),  # i18n: data
    ("percent", "比例（%）"),  # i18n: data
    ("amount_yuan", "金额（元）"),  # i18n: data
    ("state", "付款状态"),  # i18n: data
    ("due_at", "应付日期"),  # i18n: data
    ("paid_at", "付款时间"),  # i18n: data
)


def payment_rows(now) -> Iterator[dict]:
    """The payment milestones of signed contracts and their public facts (what the notice's
    timeline and the purchaser's payment record show): never a bank reference, voucher,
    reason or payment attempt."""
    stmt = (
        select(
            Milestone.id,
            Milestone.contract_id,
            Contract.notice_id,
            Milestone.position,
            Milestone.label,
            Milestone.percent,
            Milestone.amount_fen,
            Milestone.state,
            Milestone.due_dt,
            Milestone.paid_dt,
        )
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(_signed())
    )
    for r in _keyset(stmt, Milestone.id):
        yield {
            "milestone_id": r.id,
            "contract_id": r.contract_id,
            "notice_id": r.notice_id,
            "ocid": ocds_ids.ocid(r.notice_id),
            "position": r.position,
            "label": r.label,
            "percent": r.percent,
            "amount_yuan": yuan(r.amount_fen),
            "state": r.state,
            "due_at": r.due_dt,
            "paid_at": r.paid_dt,
        }


def disclosure_rows(now) -> Iterator[dict]:
    """The conduct records disclosed now (双公示), as /credit/disclosures and its exports show
    them: decided, published and within their publication period."""
    last = 0
    while True:
        records = db.session.scalars(
            select(ConductRecord)
            .where(disclosed_condition(now), ConductRecord.id > last)
            .options(selectinload(ConductRecord.subject), selectinload(ConductRecord.criterion))
            .order_by(ConductRecord.id)
            .limit(BATCH)
        ).all()
        for record in records:
            yield disclosure_row(record)
        if len(records) < BATCH:
            return
        last = records[-1].id


DATASETS = (
    Dataset(
        "notices",
        "采购公告",  # i18n: data
        NOTICE_COLUMNS,
        notice_rows,
        {"method": "methods", "state": "notice_states"},
    ),
    Dataset(
        "awards",
        "中选结果",  # i18n: data
        AWARD_COLUMNS,
        award_rows,
        {"status": AWARD_STATUS},
    ),
    Dataset(
        "contracts",
        "合同",  # i18n: data
        CONTRACT_COLUMNS,
        contract_rows,
        {"state": "notice_states"},
    ),
    Dataset(
        "payments",
        "合同付款",  # i18n: data
        PAYMENT_COLUMNS,
        payment_rows,
        {"state": "milestones"},
    ),
    Dataset(
        "credit-disclosures",
        "信用公示（不良行为记录）",  # i18n: data
        DISCLOSURE_COLUMNS,
        disclosure_rows,
        {
            "party": PARTIES,
            "severity": SEVERITIES,
            "measure": MEASURES,
            "status": "record_states",
        },
    ),
)


def label_maps() -> dict:
    """The labels of coded values read from the lifecycles and registries."""
    return {
        "methods": {k: m.label for k, m in registered().items()},
        "notice_states": state_labels(),
        "milestones": MILESTONE.labels(),
        "record_states": {s: RECORD.label(s) for s in CONFIRMED_STATES},
    }
