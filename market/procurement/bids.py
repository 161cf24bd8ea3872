"""Sealed bids: submitting and reconfirming them with a commitment receipt, and who may see
them when."""

import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..agencies import services as agencies
from ..agencies.models import QUALIFICATION_GRADES, Agency, Document, Qualification
from ..core.audit import begin_writing, record_event
from ..core.clock import local_today, to_local, utcnow
from ..core.errors import ServiceError
from ..core.hashing import canonical_json, sha256_hex
from ..core.i18n import _
from ..core.money import format_fen
from ..extensions import db
from .models import Avoidance, Bid, Notice, bid_documents
from .runner import LOCKED_KEY, apply_due
from .states import NOTICE, party_of, sealed_states

#: 甲级 > 乙级 > 丙级 > 不分级: a qualification meets a minimum grade of at most its own rank
GRADE_RANK = {grade: len(QUALIFICATION_GRADES) - i for i, grade in enumerate(QUALIFICATION_GRADES)}
#: who sees every opened bid once bidding has closed
SUPERVISING = frozenset({"purchaser", "regulator", "operator"})
#: bids that were opened and stay on the record (counted, selected, or excluded later)
OPENED_STATUSES = ("submitted", "selected", "excluded")


def commitment_payload(bid: Bid) -> dict:
    """What a bid's commitment covers, nonce included."""
    return {
        "notice_id": bid.notice.id,
        "notice_revision": bid.notice_revision,
        "agency_org_id": bid.agency_org_id,
        "amount_fen": bid.amount_fen,
        "plan": bid.plan,
        "qualification_ids": sorted(q.id for q in bid.qualifications),
        "documents": sorted([d.id, d.sha256] for d in bid.documents),
        "nonce": bid.nonce,
    }


def compute_commitment(bid: Bid) -> str:
    """SHA-256 (hex) over the canonical JSON of the bid's content and nonce."""
    return sha256_hex(canonical_json(commitment_payload(bid)))


def commitment_matches(bid: Bid) -> bool:
    """Whether the stored bid still hashes to the commitment its bidder received."""
    return bool(bid.commitment) and compute_commitment(bid) == bid.commitment


def lock_notice(notice: Notice) -> Notice:
    """Re-read the notice and its bids under a row lock (SELECT … FOR UPDATE on PostgreSQL):
    quoting, closing and selecting on one notice then happen one after the other."""
    if notice.id in db.session.info.get(LOCKED_KEY, ()):
        return notice  # the runner loaded this batch under the lock, bids included
    begin_writing()
    # Consumed (scalar_one): only fetching the row refreshes the loaded notice and its bids.
    return db.session.execute(
        select(Notice)
        .where(Notice.id == notice.id)
        .with_for_update()
        .options(selectinload(Notice.bids))
        .execution_options(populate_existing=True)
    ).scalar_one()


def eligible_bids(notice: Notice) -> list[Bid]:
    """The responses that count: submitted for the notice's current revision, by bid id."""
    return sorted(
        (
            b
            for b in notice.bids
            if b.status == "submitted" and b.notice_revision == notice.revision
        ),
        key=lambda b: b.id,
    )


def quote_attachments(agency_id: int, notice: Notice, qualification_ids, document_ids):
    """The bidder's own qualifications (for the item, usable today) and library documents."""
    qualifications, documents, field = [], [], "qualification_ids"
    for q in (db.session.get(Qualification, i) for i in dict.fromkeys(qualification_ids)):
        if q is None or q.agency_id != agency_id:
            raise ServiceError(_("所选资质不存在或不属于本机构"), field)
        label = _("资质「%(type)s %(number)s」", type=q.type, number=q.number)
        state = q.state_on(local_today())
        if state == "rejected":
            raise ServiceError(_("%(label)s核验不通过，不能用于报价", label=label), field)
        if state == "expired":
            raise ServiceError(
                _("%(label)s已于 %(date)s 过期，不能用于报价", label=label, date=q.valid_until),
                field,
            )
        if q.item_id != notice.item_id:
            raise ServiceError(
                _(
                    "%(label)s不是「%(item)s」的资质，不能用于本项目",
                    label=label,
                    item=notice.item.name,
                ),
                field,
            )
        qualifications.append(q)
    for d in (db.session.get(Document, i) for i in dict.fromkeys(document_ids)):
        if d is None or d.org_id != agency_id:
            raise ServiceError(_("所选材料不存在或不属于本机构资料库"), "document_ids")
        if d.archived:
            raise ServiceError(
                _("材料「%(title)s」已归档，不能用于报价", title=d.title), "document_ids"
            )
        documents.append(d)
    if notice.requires_qualification:
        check_required_qualification(notice, qualifications)
    return qualifications, documents


def check_required_qualification(notice: Notice, qualifications) -> None:
    """The notice asks for the item's qualification (optionally a minimum grade)."""
    minimum = GRADE_RANK.get(notice.min_grade or "", 0)
    if any(GRADE_RANK.get(q.grade, 0) >= minimum for q in qualifications):
        return
    requirement = notice.item.implementing_requirement or _("本事项资质")
    grade = _("（%(grade)s及以上）", grade=notice.min_grade) if notice.min_grade else ""
    raise ServiceError(
        _(
            "本项目要求具备「%(requirement)s」%(grade)s，请引用本机构符合要求的有效资质",
            requirement=requirement,
            grade=grade,
        ),
        "qualification_ids",
    )


def quote_amount(notice: Notice, amount_fen: int | None) -> int:
    """The quote within [floor, ceiling]; fixed-price methods take the notice's price."""
    if notice.is_fixed_price:
        if amount_fen not in (None, notice.ceiling_fen):
            raise ServiceError(
                _(
                    "本项目价格固定为 %(price)s，报名即可，无需报价",
                    price=format_fen(notice.ceiling_fen),
                ),
                "amount",
            )
        return notice.ceiling_fen
    if amount_fen is None:
        raise ServiceError(_("请填写报价"), "amount")
    if amount_fen <= 0:
        raise ServiceError(_("报价必须大于 0"), "amount")
    if amount_fen > notice.ceiling_fen:
        raise ServiceError(
            _("报价不得高于最高限价 %(ceiling)s", ceiling=format_fen(notice.ceiling_fen)), "amount"
        )
    if notice.floor_fen is not None and amount_fen < notice.floor_fen:
        raise ServiceError(
            _("报价不得低于最低限价 %(floor)s", floor=format_fen(notice.floor_fen)), "amount"
        )
    return amount_fen


def check_bidder(agency, notice: Notice) -> None:
    """The agency may respond to this notice at all (nothing here changes at the deadline)."""
    if notice.invited_org_id is not None and notice.invited_org_id != agency.org_id:
        raise ServiceError(_("本项目为直接邀请，仅受邀机构可报价"))
    facts = db.session.info.get(QUOTE_FACTS_KEY)
    if facts is not None and facts[:2] == (notice.id, agency.org_id):
        offers, avoided = facts[2:4]  # read with the notice's lock (lock_for_quote)
    else:
        mine = (a.reason for a in notice.avoidances if a.agency_org_id == agency.org_id)
        avoided = next(mine, None)
        offers = agencies.offers_item(agency.org_id, notice.item_id)
    if avoided is not None:
        raise ServiceError(_("本机构在本项目的回避名单中（%(reason)s），不能参与", reason=avoided))
    allowed, reason = agencies.can_bid(agency)
    if not allowed:
        raise ServiceError(reason)
    if not offers:
        raise ServiceError(
            _(
                "本机构未声明提供「%(item)s」服务，请先在“我的服务”中添加",
                item=notice.item.name,
            )
        )


def check_taking_quotes(notice: Notice, received: datetime) -> None:
    """The notice took quotes when this one was `received` (the caller holds its lock)."""
    # The notice as it stood when the quote arrived: a deadline that passed while the quote
    # waited its turn does not close the bidding for it (the runner closes it only
    # QUOTE_GRACE_SECONDS after the deadline, once such quotes are in).
    # One comparison decides the deadline instant for every caller: at it, bidding is over.
    if received < notice.deadline_dt:
        apply_due(notice, now=received)
    if not NOTICE[notice.state].takes_bids or received >= notice.deadline_dt:
        raise ServiceError(
            _(
                "该公告已截止报价（截止时间 %(deadline)s，平台收到本次提交的时间 "
                "%(received)s，以平台服务器接收时间为准），本次报价未被接受",
                deadline=_local(notice.deadline_dt),
                received=_local(received),
            )
        )


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S")


#: session.info: the notice a quote locked, and the agency's bid on it, for this transaction
QUOTE_LOCK_KEY = "market_quote_lock"
#: session.info: (notice id, agency id, whether it offers the item, why it must avoid it or
#: None, its profile), read with the lock: the quote's checks need no query of their own (the
#: profile is held here because the session keeps only a weak reference to an unchanged row)
QUOTE_FACTS_KEY = "market_quote_facts"


@cache
def _quote_lock(shared: bool) -> Select:
    """lock_for_quote's statement (shared or for itself), built once: every quote runs it."""
    agency_id = bindparam("agency_id")
    avoided = (
        select(Avoidance.reason)
        .where(Avoidance.notice_id == Notice.id, Avoidance.agency_org_id == agency_id)
        .limit(1)
        .scalar_subquery()
    )
    offers = Notice.item_id.in_(agencies.offered_items(agency_id))
    return (
        select(Notice, Bid, Agency, offers, avoided)
        .outerjoin(Bid, (Bid.notice_id == Notice.id) & (Bid.agency_org_id == agency_id))
        .outerjoin(Agency, Agency.org_id == agency_id)  # kept by the session for the checks
        .where(Notice.id == bindparam("notice_id"))
        .with_for_update(of=Notice, read=shared)
        .execution_options(populate_existing=True)
    )


def lock_for_quote(notice_id: int, agency_id: int, received: datetime):
    """Lock the notice for a quote `received` then, reading it and the agency's bid on it in
    one statement: (notice, bid), or (None, None) if there is no such notice. On PostgreSQL
    quotes share the lock (FOR SHARE): they run side by side, while an edit or the closing
    of the bidding (FOR UPDATE) waits for them and they for it; one bid per agency is the
    table's unique key. A quote with a transition of the notice to apply as of its arrival
    (it then writes the notice) takes the lock for itself. The same statement reads what the
    quote's checks need: the agency's profile, whether it offers the item, and whether it
    must avoid this notice."""
    begin_writing()
    shared = True
    ids = {"notice_id": notice_id, "agency_id": agency_id}
    while True:
        row = db.session.execute(_quote_lock(shared), ids).first()
        if row is None:
            return None, None
        notice, own, profile, offered, avoided_reason = row
        due = notice.due_dt is not None and notice.due_dt <= received
        if not (shared and due and received < notice.deadline_dt):
            db.session.info[QUOTE_LOCK_KEY] = (notice.id, agency_id, own)
            facts = (notice.id, agency_id, bool(offered), avoided_reason, profile)
            db.session.info[QUOTE_FACTS_KEY] = facts
            return notice, own
        shared = False


@event.listens_for(Session, "after_transaction_end")
def _forget_quote_lock(session, transaction):
    if transaction.parent is None:
        session.info.pop(QUOTE_LOCK_KEY, None)
        session.info.pop(QUOTE_FACTS_KEY, None)


def lock_own_quote(notice: Notice, agency_id: int, received: datetime) -> Bid | None:
    """The notice locked for the quote (see lock_for_quote) and the agency's bid on it."""
    held = db.session.info.pop(QUOTE_LOCK_KEY, None)  # read once: the quote changes it
    if held is not None and held[:2] == (notice.id, agency_id):
        return held[2]  # locked and read by this transaction just before
    if notice.id in db.session.info.get(LOCKED_KEY, ()):  # the runner's batch holds it
        return db.session.scalar(
            select(Bid).where(Bid.notice_id == notice.id, Bid.agency_org_id == agency_id)
        )
    own = lock_for_quote(notice.id, agency_id, received)[1]
    db.session.info.pop(QUOTE_LOCK_KEY, None)
    return own


def _standing(own: Bid | None) -> None:
    """A bid already standing is answered at once, whenever the retry comes: it counts."""
    if own is not None and own.status not in ("invalidated", "withdrawn"):
        raise ServiceError(
            _(
                "本机构已对该公告提交过报价（平台于 %(at)s 收到，报价有效），不能重复提交",
                at=_local(own.submitted_dt),
            )
        )


def _address(ip: str | None) -> str:
    """The quoting address as stored (an IPv6 address is at most 45 characters)."""
    return (ip or "").strip()[:45]


def _of_notice(bid: Bid, notice: Notice) -> None:
    """The new bid names its notice. A notice whose bids were not read (a quote's) is left
    out of the flush: appending to its unread collection would make it a row to check for
    changes, which costs a quote more than its own insert."""
    if "bids" in notice.__dict__:
        bid.notice = notice  # the loaded collection stays true for the rest of the transaction
    else:
        set_committed_value(bid, "notice", notice)


def _seal(bid: Bid) -> None:
    """A fresh nonce and the commitment over the bid as stored."""
    bid.nonce = secrets.token_hex(16)
    bid.commitment = compute_commitment(bid)
    db.session.flush()


def submit_bid(
    user,
    notice: Notice,
    amount_fen: int | None,
    plan: str,
    qualification_ids=(),
    document_ids=(),
    *,
    ip: str = "",
    received: datetime | None = None,
) -> Bid:
    """Submit a sealed quote (or a registration, for fixed-price methods) received before the
    deadline, within [floor, ceiling], one per agency, citing the agency's own usable
    qualifications for the item and documents from its library; returns it with its receipt.
    `ip` is the address the quote came from (risk alerts compare it across bidders);
    `received` when the platform received it (its official time; now by default)."""
    received = received or utcnow()
    agency = agencies.agency_of(user)
    check_bidder(agency, notice)
    qualifications, documents = quote_attachments(
        agency.org_id, notice, qualification_ids, document_ids
    )
    own = lock_own_quote(notice, agency.org_id, received)
    _standing(own)
    check_taking_quotes(notice, received)
    if own is not None and own.status == "invalidated":
        raise ServiceError(_("公告已修改，本机构原报价已失效，请重新确认报价"))
    amount = quote_amount(notice, amount_fen)
    if own is not None:  # withdrawn before: the same row stands again, with a new commitment
        restate(own, user, notice, amount, plan, qualifications, documents, received, ip)
        record_event(
            "bid", own.id, "bid_requoted", actor=user, public=False, data={"notice_id": notice.id}
        )
        return own
    bid = Bid(
        notice_id=notice.id,
        agency_org_id=agency.org_id,
        amount_fen=amount,
        plan=plan.strip(),
        submitted_by_id=user.id,
        submitted_dt=received,
        notice_revision=notice.revision,
        qualifications=qualifications,
        documents=documents,
        submitted_ip=_address(ip),
    )
    _of_notice(bid, notice)
    db.session.add(bid)
    _seal(bid)
    # The audit event stays private: even the fact of a bid is sealed until the deadline.
    record_event(
        "bid", bid.id, "submitted", actor=user, public=False, data={"notice_id": notice.id}
    )
    return bid


def reconfirm_bid(
    user,
    notice: Notice,
    amount_fen: int | None,
    plan: str,
    qualification_ids=(),
    document_ids=(),
    *,
    ip: str = "",
    received: datetime | None = None,
) -> Bid:
    """Confirm a bid invalidated by an edit of the notice, for the current revision: same
    checks as a new bid, a new nonce and commitment, and the address and time it came
    from now."""
    received = received or utcnow()
    agency = agencies.agency_of(user)
    check_bidder(agency, notice)
    qualifications, documents = quote_attachments(
        agency.org_id, notice, qualification_ids, document_ids
    )
    bid = lock_own_quote(notice, agency.org_id, received)
    if bid is not None and bid.status not in ("invalidated", "withdrawn"):
        raise ServiceError(_("本机构的报价仍然有效，无需重新确认"))
    check_taking_quotes(notice, received)
    if bid is None or bid.status == "withdrawn":
        raise ServiceError(_("本机构尚未对该公告报价，请直接提交报价"))
    amount = quote_amount(notice, amount_fen)
    restate(bid, user, notice, amount, plan, qualifications, documents, received, ip)
    record_event(
        "bid",
        bid.id,
        "reconfirmed",
        actor=user,
        public=False,
        data={"notice_id": notice.id, "revision": notice.revision},
    )
    return bid


def restate(bid: Bid, user, notice, amount, plan, qualifications, documents, received, ip):
    """The bid's content as quoted now, for the current revision, submitted and sealed anew."""
    bid.amount_fen = amount
    bid.plan = plan.strip()
    bid.qualifications = qualifications
    bid.documents = documents
    bid.notice_revision = notice.revision
    bid.status = "submitted"
    bid.submitted_by_id = user.id
    bid.submitted_dt = received
    bid.submitted_ip = _address(ip)
    _seal(bid)


def took_part(bid: Bid) -> bool:
    """Whether the bid is one of the notice's responses: a withdrawn quote takes part in
    nothing (no count, no candidacy, no objection, no report)."""
    return bid.status != "withdrawn"


def own_bid(notice: Notice, user) -> Bid | None:
    """The bid of the user's organisation on this notice, if any."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None:
        return None
    return next((b for b in notice.bids if b.agency_org_id == org.id), None)


def sealed_bid_ids():
    """SELECT of the ids of the bids still sealed (their notice has not opened its quotes):
    nothing of them, not even that they exist, may show to anyone but their bidder."""
    return (
        select(Bid.id)
        .join(Notice, Notice.id == Bid.notice_id)
        .where(Notice.state.in_(sealed_states()))
    )


def opened_bids(notice: Notice) -> list[Bid]:
    """The bids opened at the deadline (current revision), by bid id."""
    return [
        b
        for b in sorted(notice.bids, key=lambda b: b.id)
        if b.status in OPENED_STATUSES and b.notice_revision == notice.revision
    ]


def visible_bids(notice: Notice, user) -> list[Bid]:
    """The bids `user` may see: own bid only while sealed; the opened bids to the purchaser
    and supervisors once bidding has closed; the winning bid to everyone once selected."""
    own = own_bid(notice, user)
    own_list = [own] if own is not None else []
    if NOTICE[notice.state].sealed or notice.state == "failed":
        return own_list
    if party_of(notice, user) in SUPERVISING:
        return opened_bids(notice)
    winner = notice.selected_bid
    return own_list + ([winner] if winner is not None and winner is not own else [])


def bids_sealed(notice: Notice) -> bool:
    """Whether the notice's quotes are sealed now: nothing of them, not even that one exists
    or who quoted, may show to anyone but each bidder."""
    return NOTICE[notice.state].sealed


def visible_bid_count(notice: Notice) -> int | None:
    """How many responses counted at the deadline, or None while that is still sealed."""
    if bids_sealed(notice):
        return None
    return len(opened_bids(notice))


def bid_document_readers(document: Document) -> set[int]:
    """Purchasers of notices whose bids cite `document`, once those bids are open: a sealed
    bid's files stay as sealed as its quote."""
    return set(
        db.session.scalars(
            select(Notice.purchaser_org_id)
            .join(Bid, Bid.notice_id == Notice.id)
            .join(bid_documents, bid_documents.c.bid_id == Bid.id)
            .where(bid_documents.c.document_id == document.id, Notice.state.not_in(sealed_states()))
        )
    )


@cache
def _agency_bids():
    return (
        select(Bid)
        .where(Bid.agency_org_id == bindparam("org_id"))
        .options(selectinload(Bid.notice).selectinload(Notice.bids))
        .order_by(Bid.id.desc())
    )


def agency_bids_query(org_id) -> tuple[Select, dict]:
    """The agency's quotes, newest first: a statement built once and its parameters."""
    return _agency_bids(), {"org_id": org_id}
