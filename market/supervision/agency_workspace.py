"""The agency's workspace: standing, new matching notices, bids, contracts, the objections it
filed, and what it has to do (reconfirm, sign, deliver, evaluate, rectify, keep papers valid)."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload

from ..agencies import services as agencies
from ..agencies.models import Agency, Document, Qualification
from ..core.clock import local_today, utcnow
from ..core.i18n import _l
from ..extensions import db
from ..payments import services as payments
from ..payments.models import PayoutAccount
from ..procurement.contract_models import Contract, Evaluation
from ..procurement.models import Bid, Notice, Objection
from ..procurement.services import (
    NoticeRow,
    apply_due_of,
    as_rows,
    listed,
    opportunities_query,
)
from .lists import (
    LONG_LIST,
    NOW,
    ORG_ID,
    SHORT_LIST,
    Due,
    due,
    fill_once_due_applied,
    limited,
    open_rectifications,
    rows_of,
    working_days_left,
)

#: the contractor's side of a contract, from award (signing) to the purchaser's evaluation
CONTRACT_STATES = ("awarded", "contracted", "delivered", "accepted", "evaluated")


@dataclass
class AgencyWorkspace:
    agency: Agency
    can_bid: bool
    standing_reason: str
    offers_anything: bool
    has_documents: bool
    new_count: int
    new_notices: list[NoticeRow]
    bids_count: int
    #: (bid, working days left before its notice's deadline), nearest deadline first
    bids: list[tuple[Bid, int]]
    contract_counts: dict[str, int]
    contracts: list[Notice]
    #: reconfirm, sign, deliver, evaluate, rectification: in the order the work comes
    dues: list[Due]
    expiring: list[Qualification]
    expired: list[Qualification]
    objections_count: int
    objections: list[Objection]
    #: online payment (资金托管): the agency's payout account, None until it opens one
    payments_online: bool = False
    payout_account: PayoutAccount | None = None

    @property
    def contracts_count(self) -> int:
        return sum(self.contract_counts.values())

    @property
    def actions_count(self) -> int:
        return (
            sum(d.count for d in self.dues)
            + len(self.expiring)
            + len(self.expired)
            + (not self.offers_anything)
            + (not self.has_documents)
        )


@cache
def _qualifications() -> Select:
    """The agency's (ORG_ID) qualifications that can still count, soonest to expire first,
    each with whether the agency offers its item."""
    offered = Qualification.item_id.in_(agencies.offered_items(ORG_ID))
    return (
        select(Qualification, offered)
        .where(
            Qualification.agency_id == ORG_ID,
            Qualification.status.in_(("declared", "verified", "expired")),
        )
        .options(joinedload(Qualification.item))
        .order_by(Qualification.valid_until)
    )


def _qualification_warnings(org_id, today):
    """Qualifications expiring soon, and expired ones of offered items with no usable successor."""
    found = db.session.execute(_qualifications(), {"org_id": org_id}).all()
    rows = [q for q, _ in found]
    offered = {q.item_id for q, is_offered in found if is_offered}
    usable = {(q.item_id, q.type) for q in rows if q.is_usable_on(today)}
    expiring = [q for q in rows if q.expires_soon(today)]
    expired = [
        q
        for q in rows
        if q.state_on(today) == "expired"
        and q.item_id in offered
        and (q.item_id, q.type) not in usable
    ]
    # An item may have several expired certificates of one type: warn once, for the latest.
    latest = {(q.item_id, q.type): q for q in expired}
    return expiring, list(latest.values())


def _won(org_id, state):
    """The agency's contracts in `state`, with the contract and what a list shows loaded."""
    return (
        listed(select(Notice))
        .join(Notice.contract)
        .where(Contract.agency_org_id == org_id, Notice.state == state)
        .options(contains_eager(Notice.contract).selectinload(Contract.deliveries))
    )


def _dues(org_id) -> list[Due]:
    reconfirm = (
        select(Bid)
        .join(Bid.notice)
        .where(
            Bid.agency_org_id == org_id,
            Bid.status == "invalidated",
            Notice.state == "published",
        )
        .options(contains_eager(Bid.notice))
        .order_by(Notice.deadline_dt, Bid.id)
    )
    unrated = ~Contract.evaluations.any(Evaluation.direction == "of_purchaser")
    cases = open_rectifications(org_id)
    return [
        due(
            "reconfirm",
            _l("待重新确认的报价"),
            _l("采购人修改了公告，原报价已失效，请在截止前核对公告后重新确认"),
            reconfirm,
        ),
        due(
            "sign",
            _l("待签订合同"),
            _l("逾期未签订的，中选结果作废"),
            _won(org_id, "awarded")
            .where(Contract.agency_signed_dt.is_(None))
            .order_by(Notice.sign_deadline_dt, Notice.id),
        ),
        due(
            "deliver",
            _l("待交付"),
            _l("完成服务后在公告页提交交付成果；被退回的请按退回理由修改后重新提交"),
            _won(org_id, "contracted").order_by(Contract.created_dt, Notice.id),
        ),
        due(
            "evaluate",
            _l("待评价采购人"),
            _l("双盲评价：双方都提交后（或评价期结束时）一并公开"),
            _won(org_id, "accepted").where(unrated).order_by(Notice.evaluation_end_dt, Notice.id),
        ),
        due(
            "rectification",
            _l("待整改"),
            _l("采购人的评价中有 2 分及以下的项目，请在公告页说明整改情况"),
            cases,
        ),
    ]


@dataclass(frozen=True)
class _Lists:
    dues: tuple[Due, ...]
    #: counted with the dues (`fill`)
    counted: dict
    new: Select
    in_progress: Select
    objections: Select
    contracts: Select


@cache
def _lists() -> _Lists:
    """The workspace's statements, built once: the agency is ORG_ID, the moment NOW."""
    org = ORG_ID
    # A withdrawn quote leaves the notice open to the agency again.
    quoted = Notice.bids.any((Bid.agency_org_id == org) & (Bid.status != "withdrawn"))
    new = opportunities_query(org, NOW).where(~quoted)
    in_progress = (
        select(Bid)
        .join(Bid.notice)
        .where(Bid.agency_org_id == org, Notice.state == "published", Bid.status != "withdrawn")
        .options(contains_eager(Bid.notice))
        .order_by(Notice.deadline_dt, Bid.id)
    )
    objections = (
        select(Objection)
        .where(Objection.objector_org_id == org)
        .options(joinedload(Objection.notice))
        .order_by(Objection.created_dt.desc(), Objection.id.desc())
    )
    counted = {
        "new": new,
        "bids": in_progress,
        "objections": objections,
        "offerings": agencies.offered_items(org),
        "documents": select(Document.id)
        .where(Document.org_id == org, Document.archived.is_(False))
        .limit(1),
    }
    for state in CONTRACT_STATES:
        counted[f"contracts_{state}"] = (
            select(Contract.id)
            .join(Contract.notice)
            .where(Contract.agency_org_id == org, Notice.state == state)
        )
    contracts = (
        listed(select(Notice))
        .join(Notice.contract)
        .where(Contract.agency_org_id == org, Notice.state.in_(CONTRACT_STATES))
        .options(contains_eager(Notice.contract))
        .order_by(Contract.created_dt.desc(), Notice.id.desc())
    )
    return _Lists(tuple(_dues(org)), counted, new, in_progress, objections, contracts)


def agency_workspace(org, due_limit: int = 20) -> AgencyWorkspace:
    """New matching notices, bids in progress, contracts, actions due and credit standing;
    the agency's notices that came due (at most `due_limit`) applied first."""
    agency = agencies.ensure_profile(org)
    allowed, reason = agencies.can_bid(agency)
    today = local_today()
    now = utcnow()
    lists, params = _lists(), {"org_id": org.id, "now": now, "due_limit": due_limit}
    # Every count on the page in one query; a list is read only if it has rows.
    dues, counts = fill_once_due_applied(
        lists.dues, params, lambda: apply_due_of(org.id, now, due_limit), **lists.counted
    )
    contract_counts = {s: counts[f"contracts_{s}"] for s in CONTRACT_STATES}
    contract_counts = {s: n for s, n in contract_counts.items() if n}
    bids = rows_of(lists.in_progress, LONG_LIST, params) if counts["bids"] else []
    days_left = working_days_left([b.notice.deadline_dt for b in bids], today)
    new = []
    if counts["new"]:
        new = as_rows(db.session.execute(limited(lists.new, SHORT_LIST), params))
    expiring, expired = _qualification_warnings(org.id, today)
    online = payments.online()  # offline (the default), nothing to read
    return AgencyWorkspace(
        agency=agency,
        can_bid=allowed,
        standing_reason=reason,
        offers_anything=bool(counts["offerings"]),
        has_documents=bool(counts["documents"]),
        new_count=counts["new"],
        new_notices=new,
        bids_count=counts["bids"],
        bids=list(zip(bids, days_left, strict=True)),
        contract_counts=contract_counts,
        contracts=rows_of(lists.contracts, LONG_LIST, params) if contract_counts else [],
        dues=dues,
        expiring=expiring,
        expired=expired,
        objections_count=counts["objections"],
        objections=rows_of(lists.objections, SHORT_LIST, params) if counts["objections"] else [],
        payments_online=online,
        payout_account=payments.payout_account(org.id) if online else None,
    )
