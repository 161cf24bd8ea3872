"""Notices: drafting, publishing, cancelling, and the lists that show them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.services import PHONE_RE
from ..agencies import services as agencies
from ..agencies.models import Agency
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.money import format_fen
from ..core.workdays import add_working_days
from ..extensions import db
from .models import Bid, Notice
from .runner import apply_due
from .states import party_of, transition


@dataclass
class NoticeData:
    item_id: int
    title: str
    scope: str
    ceiling_fen: int
    service_days: int
    deadline_dt: datetime
    contact_name: str
    contact_phone: str
    invited_org_id: int | None = None


def _purchaser_org(user):
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "purchaser":
        raise NotAllowed("只有采购人账号可以发布采购公告")
    return org


def own_notice(user, notice):
    if party_of(notice, user) != "purchaser":
        raise NotAllowed("只能操作本单位发布的采购公告")


def _minimum_deadline(now) -> datetime:
    return add_working_days(now, current_app.config["BID_MIN_WORKING_DAYS"])


def earliest_deadline(now=None) -> datetime:
    """The earliest deadline to offer for a notice published now, rounded up to the minute
    because people type deadlines to the minute."""
    moment = _minimum_deadline(now or utcnow())
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def _check_notice_data(data: NoticeData, now) -> ServiceItem:
    item = db.session.get(ServiceItem, data.item_id)
    if item is None:
        raise ServiceError("所选中介服务事项不存在", "item_id")
    if not item.is_online:
        raise ServiceError(
            f"「{item.name}」目前为「{item.status_label}」状态，尚未上线，不能发起采购", "item_id"
        )
    if not data.title.strip():
        raise ServiceError("请填写项目名称", "title")
    if data.ceiling_fen <= 0:
        raise ServiceError("最高限价必须大于 0", "ceiling")
    if not 0 < data.service_days <= 730:
        raise ServiceError("服务期限应为 1–730 天", "service_days")
    if not PHONE_RE.match(data.contact_phone.strip()):
        raise ServiceError("联系电话格式不正确", "contact_phone")
    _check_deadline(data.deadline_dt, now)
    if data.invited_org_id is not None:
        _check_invitation(data.invited_org_id, item, data.ceiling_fen)
    return item


def _check_invitation(org_id: int, item: ServiceItem, ceiling_fen: int) -> None:
    """A direct invitation names an agency that offers the item and may bid now, and (every
    notice being fiscal-funded for now) only below the direct-selection ceiling."""
    agency = db.session.get(Agency, org_id)
    if agency is None:
        raise ServiceError("受邀机构不存在，请从中介超市重新选择", "invited_org_id")
    name = agency.organisation.name
    if not agencies.offers_item(org_id, item.id):
        raise ServiceError(f"「{name}」未提供「{item.name}」服务，不能直接邀请", "invited_org_id")
    allowed, reason = agencies.can_bid(agency)
    if not allowed:
        raise ServiceError(f"不能直接邀请「{name}」：{reason}", "invited_org_id")
    limit = current_app.config["DIRECT_SELECTION_MAX_FEN"]
    if ceiling_fen >= limit:
        raise ServiceError(f"直接邀请仅适用于最高限价低于 {format_fen(limit)} 的项目", "ceiling")


def _check_deadline(deadline_dt, now):
    if deadline_dt < _minimum_deadline(now):
        earliest = earliest_deadline(now)
        days = current_app.config["BID_MIN_WORKING_DAYS"]
        raise ServiceError(
            f"报价截止时间距发布不得少于 {days} 个工作日，最早可设为 "
            f"{to_local(earliest):%Y-%m-%d %H:%M}",
            "deadline",
        )


def create_notice(user, data: NoticeData) -> Notice:
    """Create a draft notice for an online catalogue item."""
    org = _purchaser_org(user)
    item = _check_notice_data(data, utcnow())
    notice = Notice(
        purchaser=org,
        item=item,
        title=data.title.strip(),
        scope=data.scope.strip(),
        ceiling_fen=data.ceiling_fen,
        service_days=data.service_days,
        deadline_dt=data.deadline_dt,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        invited_org_id=data.invited_org_id,
        created_by=user,
    )
    db.session.add(notice)
    db.session.flush()
    record_event("notice", notice.id, "created", actor=user, public=False)
    return notice


def update_notice(user, notice: Notice, data: NoticeData) -> None:
    """Change a draft notice."""
    own_notice(user, notice)
    if notice.state != "draft":
        raise ServiceError("只有草稿状态的公告可以修改")
    item = _check_notice_data(data, utcnow())
    notice.item = item
    for field in ("title", "scope", "contact_name", "contact_phone"):
        setattr(notice, field, getattr(data, field).strip())
    notice.ceiling_fen = data.ceiling_fen
    notice.service_days = data.service_days
    notice.deadline_dt = data.deadline_dt
    notice.invited_org_id = data.invited_org_id
    db.session.flush()
    record_event("notice", notice.id, "edited", actor=user, public=False)


def publish_notice(user, notice: Notice) -> None:
    """Publish a draft: its item must still be online and its deadline far enough ahead."""
    own_notice(user, notice)
    if not notice.item.is_online:
        raise ServiceError(f"「{notice.item.name}」尚未上线，不能发布")
    now = utcnow()
    _check_deadline(notice.deadline_dt, now)
    if notice.invited_org_id is not None:
        # The invited agency may have been suspended or withdrawn its offering since the draft.
        _check_invitation(notice.invited_org_id, notice.item, notice.ceiling_fen)
    notice.published_dt = now
    transition(notice, "published", user)


def cancel_notice(user, notice: Notice, reason: str) -> None:
    """Withdraw a draft or a notice still taking quotes, with a public reason."""
    own_notice(user, notice)
    if not reason.strip():
        raise ServiceError("请填写撤销原因", "reason")
    notice.outcome_note = reason.strip()
    transition(notice, "cancelled", user, reason=reason.strip())


def load_notice(notice_id: int) -> Notice | None:
    """The notice with any due deadline applied first (reads never show a stale state)."""
    bids = selectinload(Notice.bids)
    options = [bids.selectinload(Bid.qualifications), bids.selectinload(Bid.documents)]
    notice = db.session.get(Notice, notice_id, options=options)
    if notice is not None:
        apply_due(notice)
    return notice


def listed(stmt):
    """Load what a notice list shows in the same round trips (no per-row queries)."""
    return stmt.options(
        selectinload(Notice.item), selectinload(Notice.purchaser), selectinload(Notice.invited)
    )


def public_notices_query(state=None, item_id=None):
    stmt = listed(
        select(Notice)
        .where(Notice.state != "draft")
        .order_by(Notice.published_dt.desc(), Notice.id.desc())
    )
    if state:
        stmt = stmt.where(Notice.state == state)
    if item_id:
        stmt = stmt.where(Notice.item_id == item_id)
    return stmt


def purchaser_notices_query(org_id, state=None):
    stmt = listed(select(Notice).where(Notice.purchaser_org_id == org_id)).order_by(
        Notice.id.desc()
    )
    if state:
        stmt = stmt.where(Notice.state == state)
    return stmt


def opportunities_query(org_id):
    """Notices open for quotes on items this agency offers, and notices inviting it alone;
    never another agency's invitation. Closest deadline first."""
    offered = Notice.item_id.in_(agencies.offered_item_ids(org_id))
    open_to_all = and_(Notice.invited_org_id.is_(None), offered)
    return (
        listed(select(Notice))
        .where(Notice.state == "published", Notice.deadline_dt > utcnow())
        .where(or_(open_to_all, Notice.invited_org_id == org_id))
        .order_by(Notice.deadline_dt)
    )
