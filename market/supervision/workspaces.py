"""What each role's workspace (工作台) shows: counts by SQL, short lists with their related rows
loaded up front, so a workspace costs the same few queries however much data there is.

Callers apply due deadlines (run_due) first, so no count includes a notice whose deadline has
already passed."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agencies import services as agencies
from ..agencies.models import Agency, Document, Qualification
from ..agencies.qualifications import pending_for_department
from ..core.clock import local_today, to_local
from ..core.workdays import working_days_after
from ..extensions import db
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice
from ..procurement.services import listed, opportunities_query, purchaser_notices_query
from ..procurement.states import NOTICE_STATES
from . import services

#: how many rows each short list shows; the counts beside them are always complete
SHORT_LIST = 5
LONG_LIST = 10

#: the contractor's side of a contract, from award to the purchaser's evaluation
CONTRACT_STATES = ("contracted", "delivered", "accepted", "evaluated")

#: what a purchaser has to do about a notice in each state: (state, title, what to do)
PURCHASER_ACTIONS = (
    ("draft", "待发布的草稿", "核对内容后点击“发布”，机构即可报价"),
    ("bidding_closed", "报价已截止，待选定中选机构", "查看报价并选定一家机构，结果随即公示"),
    ("delivered", "已交付，待验收和评价", "核对交付成果，验收并为机构评分"),
)
#: states a purchaser only waits through; shown for information
PURCHASER_WAITING = (("publicity", "结果公示中", "公示期满后自动生成合同，无需操作"),)


def _count(stmt) -> int:
    """The number of rows `stmt` would return, counted by the database."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def working_days_left(deadlines: list[datetime], today: date | None = None) -> list[int]:
    """For each deadline, the working days after today up to and including its local date."""
    return working_days_after(today or local_today(), [to_local(d).date() for d in deadlines])


# --- agency ------------------------------------------------------------------------------


@dataclass
class AgencyWorkspace:
    agency: Agency
    can_bid: bool
    standing_reason: str
    offers_anything: bool
    has_documents: bool
    new_count: int
    new_notices: list[Notice]
    bids_count: int
    #: (bid, working days left before its notice's deadline), nearest deadline first
    bids: list[tuple[Bid, int]]
    contract_counts: dict[str, int]
    contracts: list[Notice]
    to_deliver: list[Notice]
    expiring: list[Qualification]
    expired: list[Qualification]

    @property
    def contracts_count(self) -> int:
        return sum(self.contract_counts.values())

    @property
    def to_deliver_count(self) -> int:
        return self.contract_counts.get("contracted", 0)

    @property
    def actions_count(self) -> int:
        return (
            self.to_deliver_count
            + len(self.expiring)
            + len(self.expired)
            + (not self.offers_anything)
            + (not self.has_documents)
        )


def _qualification_warnings(org_id, offered, today):
    """Qualifications expiring soon, and expired ones of offered items with no usable successor."""
    rows = db.session.scalars(
        select(Qualification)
        .where(
            Qualification.agency_id == org_id,
            Qualification.status.in_(("declared", "verified", "expired")),
        )
        .options(selectinload(Qualification.item))
        .order_by(Qualification.valid_until)
    ).all()
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


def agency_workspace(org) -> AgencyWorkspace:
    """New matching notices, bids in progress, contracts, actions due and credit standing."""
    agency = agencies.ensure_profile(org)
    allowed, reason = agencies.can_bid(agency)
    today = local_today()
    offered = agencies.offered_item_ids(org.id)

    new = opportunities_query(org.id).where(~Notice.bids.any(Bid.agency_org_id == org.id))
    in_progress = (
        select(Bid)
        .join(Bid.notice)
        .where(Bid.agency_org_id == org.id, Notice.state == "published")
        .order_by(Notice.deadline_dt, Bid.id)
    )
    bids = db.session.scalars(in_progress.options(selectinload(Bid.notice)).limit(LONG_LIST)).all()
    days_left = working_days_left([b.notice.deadline_dt for b in bids], today)

    contracted = (
        listed(select(Notice))
        .join(Notice.contract)
        .where(Contract.agency_org_id == org.id, Notice.state.in_(CONTRACT_STATES))
        .options(selectinload(Notice.contract))
        .order_by(Contract.created_dt.desc(), Notice.id.desc())
    )
    contract_counts = dict(
        db.session.execute(
            select(Notice.state, func.count())
            .join(Notice.contract)
            .where(Contract.agency_org_id == org.id, Notice.state.in_(CONTRACT_STATES))
            .group_by(Notice.state)
        ).all()
    )
    to_deliver = []
    if contract_counts.get("contracted"):
        to_deliver = db.session.scalars(
            contracted.where(Notice.state == "contracted").limit(SHORT_LIST)
        ).all()
    expiring, expired = _qualification_warnings(org.id, offered, today)
    has_documents = bool(
        db.session.scalar(
            select(Document.id)
            .where(Document.org_id == org.id, Document.archived.is_(False))
            .limit(1)
        )
    )
    return AgencyWorkspace(
        agency=agency,
        can_bid=allowed,
        standing_reason=reason,
        offers_anything=bool(offered),
        has_documents=has_documents,
        new_count=_count(new),
        new_notices=list(db.session.scalars(new.limit(SHORT_LIST))),
        bids_count=_count(in_progress),
        bids=list(zip(bids, days_left, strict=True)),
        contract_counts=contract_counts,
        contracts=list(db.session.scalars(contracted.limit(LONG_LIST))),
        to_deliver=list(to_deliver),
        expiring=expiring,
        expired=expired,
    )


# --- purchaser ---------------------------------------------------------------------------


@dataclass
class PurchaserWorkspace:
    #: notices per state, in the lifecycle's order; states without notices are left out
    state_counts: dict[str, int]
    #: state → its first few notices, for each state in PURCHASER_ACTIONS / _WAITING that has any
    lists: dict[str, list[Notice]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.state_counts.values())

    @property
    def actions_count(self) -> int:
        return sum(self.state_counts.get(state, 0) for state, _, _ in PURCHASER_ACTIONS)


def purchaser_workspace(org) -> PurchaserWorkspace:
    """The purchaser's notices counted by state, and the ones waiting for it to act."""
    counts = dict(
        db.session.execute(
            select(Notice.state, func.count())
            .where(Notice.purchaser_org_id == org.id)
            .group_by(Notice.state)
        ).all()
    )
    workspace = PurchaserWorkspace({s: counts[s] for s in NOTICE_STATES if counts.get(s)})
    for state, _, _ in PURCHASER_ACTIONS + PURCHASER_WAITING:
        if counts.get(state):
            stmt = purchaser_notices_query(org.id, state).options(
                selectinload(Notice.bids), selectinload(Notice.contract)
            )
            workspace.lists[state] = list(db.session.scalars(stmt.limit(SHORT_LIST)))
    return workspace


# --- regulator and operator --------------------------------------------------------------


@dataclass
class RegulatorWorkspace:
    department: str
    pending_count: int = 0
    pending: list[Qualification] = field(default_factory=list)


def regulator_workspace(org) -> RegulatorWorkspace:
    """Declarations of the department's items waiting for verification, oldest first."""
    department = (org.department or "").strip()
    workspace = RegulatorWorkspace(department)
    if department:
        stmt = pending_for_department(department)
        workspace.pending_count = _count(stmt)
        if workspace.pending_count:
            workspace.pending = list(
                db.session.scalars(
                    stmt.options(
                        selectinload(Qualification.agency).selectinload(Agency.organisation)
                    ).limit(LONG_LIST)
                )
            )
    return workspace


def operator_workspace(org) -> dict[str, int]:
    """The platform's live figures."""
    return services.live_figures()


WORKSPACES = {
    "agency": agency_workspace,
    "purchaser": purchaser_workspace,
    "regulator": regulator_workspace,
    "operator": operator_workspace,
}
