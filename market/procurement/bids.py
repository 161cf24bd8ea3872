"""Sealed bids: submitting them with their attachments, and who may see them when."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agencies import services as agencies
from ..agencies.models import Document, Qualification
from ..core.audit import record_event
from ..core.clock import local_today, utcnow
from ..core.errors import ServiceError
from ..core.money import format_fen
from ..extensions import db
from .models import Bid, Notice, bid_documents
from .runner import apply_due
from .states import SEALED_STATES, party_of


def _attachments(agency_id: int, notice: Notice, qualification_ids, document_ids):
    """The bidder's own qualifications (for the item, usable today) and library documents."""
    qualifications, documents, field = [], [], "qualification_ids"
    for q in (db.session.get(Qualification, i) for i in dict.fromkeys(qualification_ids)):
        if q is None or q.agency_id != agency_id:
            raise ServiceError("所选资质不存在或不属于本机构", field)
        label, state = f"资质「{q.type} {q.number}」", q.state_on(local_today())
        if state == "rejected":
            raise ServiceError(f"{label}核验不通过，不能用于报价", field)
        if state == "expired":
            raise ServiceError(f"{label}已于 {q.valid_until} 过期，不能用于报价", field)
        if q.item_id != notice.item_id:
            raise ServiceError(f"{label}不是「{notice.item.name}」的资质，不能用于本项目", field)
        qualifications.append(q)
    for d in (db.session.get(Document, i) for i in dict.fromkeys(document_ids)):
        if d is None or d.org_id != agency_id:
            raise ServiceError("所选材料不存在或不属于本机构资料库", "document_ids")
        if d.archived:
            raise ServiceError(f"材料「{d.title}」已归档，不能用于报价", "document_ids")
        documents.append(d)
    return qualifications, documents


def submit_bid(
    user, notice: Notice, amount_fen: int, plan: str, qualification_ids=(), document_ids=()
) -> Bid:
    """Submit a sealed quote before the deadline, at most the ceiling, one per agency, citing
    the agency's own usable qualifications for the item and documents from its library."""
    agency = agencies.agency_of(user)
    apply_due(notice)
    if notice.state != "published" or utcnow() >= notice.deadline_dt:
        raise ServiceError("该公告已截止报价，不能再提交报价")
    if notice.invited_org_id is not None and notice.invited_org_id != agency.org_id:
        raise ServiceError("本项目为直接邀请，仅受邀机构可报价")
    allowed, reason = agencies.can_bid(agency)
    if not allowed:
        raise ServiceError(reason)
    if not agencies.offers_item(agency.org_id, notice.item_id):
        raise ServiceError(f"本机构未声明提供「{notice.item.name}」服务，请先在“我的服务”中添加")
    if any(b.agency_org_id == agency.org_id for b in notice.bids):
        raise ServiceError("本机构已对该公告提交过报价，不能重复提交")
    if amount_fen <= 0:
        raise ServiceError("报价必须大于 0", "amount")
    if amount_fen > notice.ceiling_fen:
        raise ServiceError(f"报价不得高于最高限价 {format_fen(notice.ceiling_fen)}", "amount")
    qualifications, documents = _attachments(agency.org_id, notice, qualification_ids, document_ids)
    bid = Bid(
        notice=notice,
        agency_org_id=agency.org_id,
        amount_fen=amount_fen,
        plan=plan.strip(),
        submitted_by_id=user.id,
        qualifications=qualifications,
        documents=documents,
    )
    db.session.add(bid)
    db.session.flush()
    # The audit event stays private: even the fact of a bid is sealed until the deadline.
    record_event(
        "bid", bid.id, "submitted", actor=user, public=False, data={"notice_id": notice.id}
    )
    return bid


def visible_bids(notice: Notice, user) -> list[Bid]:
    """The bids `user` may see: own bid only while sealed; all to the purchaser and
    supervisors once bidding has closed; the winning bid to everyone once selected."""
    org = getattr(user, "organisation", None) if user is not None else None
    own = [b for b in notice.bids if org is not None and b.agency_org_id == org.id]
    if notice.state in SEALED_STATES or notice.state == "failed":
        return own
    if party_of(notice, user) in ("purchaser", "regulator", "operator"):
        return list(notice.bids)
    winner = notice.selected_bid
    return own + ([winner] if winner is not None and winner not in own else [])


def visible_bid_count(notice: Notice) -> int | None:
    """How many bids there are, or None while that is still sealed."""
    if notice.state in SEALED_STATES:
        return None
    return len(notice.bids)


def bid_document_readers(document: Document) -> set[int]:
    """Purchasers of notices whose bids cite `document`, once those bids are open: a sealed
    bid's files stay as sealed as its quote."""
    return set(
        db.session.scalars(
            select(Notice.purchaser_org_id)
            .join(Bid, Bid.notice_id == Notice.id)
            .join(bid_documents, bid_documents.c.bid_id == Bid.id)
            .where(bid_documents.c.document_id == document.id, Notice.state.not_in(SEALED_STATES))
        )
    )


def agency_bids_query(org_id):
    return (
        select(Bid)
        .where(Bid.agency_org_id == org_id)
        .options(selectinload(Bid.notice).selectinload(Notice.bids))
        .order_by(Bid.id.desc())
    )
