"""The notice lists: what a row shows, read as plain columns in one query.

A list shows a notice's title, item, purchaser, invitation, ceiling, deadline and state; loading
whole notices (and their item and organisations as objects) for that costs several times the
query itself. `NoticeRow` holds exactly those values, and `apply_due_shown` brings the due ones
up to date by id (the view then reads the rows again: see views.shown).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..accounts.models import Organisation
from ..agencies import services as agencies
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..extensions import db
from .models import Bid, Notice
from .states import NOTICE


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """A notice as a list shows it."""

    id: int
    title: str
    state: str
    ceiling_fen: int
    deadline_dt: datetime
    due_dt: datetime | None
    invited_org_id: int | None
    item_name: str
    purchaser_name: str
    invited_name: str | None

    @property
    def state_label(self) -> str:
        return NOTICE.label(self.state)

    @property
    def state_badge(self) -> str:
        return NOTICE[self.state].badge

    @property
    def awaiting_update(self) -> bool:
        """Its next step came due and neither this page (it applies only the first
        DUE_ON_READ_LIMIT rows) nor the worker has applied it yet."""
        return self.due_dt is not None and self.due_dt <= utcnow()


@cache
def notice_rows():
    """SELECT of the NoticeRow columns; filter and order it as a select(Notice). (Built once:
    a statement is immutable, and building it costs a list page a tenth of its time.)"""
    invited = aliased(Organisation, name="invited")  # here, not at import: it maps the models
    return (
        select(
            Notice.id,
            Notice.title,
            Notice.state,
            Notice.ceiling_fen,
            Notice.deadline_dt,
            Notice.due_dt,
            Notice.invited_org_id,
            ServiceItem.name,
            Organisation.name,
            invited.name,
        )
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
        .join(Organisation, Organisation.id == Notice.purchaser_org_id)
        .outerjoin(invited, invited.id == Notice.invited_org_id)
    )


def as_rows(result) -> list[NoticeRow]:
    """The rows of a notice_rows() query as NoticeRows."""
    return [NoticeRow(*row) for row in result]


def listed(stmt):
    """A select(Notice) with what a list of notice objects shows loaded in the same query (the
    workspaces, which also read each notice's contract)."""
    return stmt.options(
        joinedload(Notice.item), joinedload(Notice.purchaser), joinedload(Notice.invited)
    )


@cache
def public_notices_query(state=None):
    """Every published notice (optionally in one state: a key of the notice lifecycle),
    latest first."""
    stmt = (
        notice_rows()
        # Never-published notices (drafts, and drafts cancelled) were never public.
        .where(Notice.published_dt.is_not(None))
        .order_by(Notice.published_dt.desc(), Notice.id.desc())
    )
    if state:
        stmt = stmt.where(Notice.state == state)
    return stmt


@cache
def _purchaser_notices(state):
    stmt = notice_rows().where(Notice.purchaser_org_id == bindparam("org_id"))
    if state:
        stmt = stmt.where(Notice.state == state)
    return stmt.order_by(Notice.id.desc())


def purchaser_notices_query(org_id, state=None) -> tuple[Select, dict]:
    """A purchaser's own notices, drafts included, newest first: a statement built once
    (per state) and its parameters."""
    return _purchaser_notices(state), {"org_id": org_id}


def taking_bids(now):
    """SQL for "takes quotes at `now`": published and before its deadline (a notice past its
    deadline takes none, even before the worker has closed it)."""
    return Notice.state.in_(NOTICE.where(takes_bids=True)) & (Notice.deadline_dt > now)


def quoted_notice_ids(org_id: int, notice_ids) -> set[int]:
    """Which of `notice_ids` the agency has a standing quote on (its own: the list marks
    them 已报价); a withdrawn quote is none."""
    ids = list(notice_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Bid.notice_id).where(
                Bid.agency_org_id == org_id, Bid.notice_id.in_(ids), Bid.status != "withdrawn"
            )
        )
    )


def opportunities_query(org_id, now=None):
    """Notices open for quotes on items this agency offers, and notices inviting it alone;
    never another agency's invitation. Closest deadline first. `org_id` and `now` may be
    bound parameters (a statement built once, for every agency)."""
    offered = Notice.item_id.in_(agencies.offered_items(org_id))
    open_to_all = and_(Notice.invited_org_id.is_(None), offered)
    return (
        notice_rows()
        .where(taking_bids(utcnow() if now is None else now))
        .where(or_(open_to_all, Notice.invited_org_id == org_id))
        .order_by(Notice.deadline_dt, Notice.id)
    )
