"""Notices: drafting, publishing, editing, cancelling, re-publishing, and the lists."""

import secrets
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Organisation
from ..agencies.documents import PUBLIC, Upload, keep_held, store_document
from ..agencies.models import Document, Offering
from ..core.audit import begin_writing, record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..core.listeners import call_listener
from ..extensions import db
from . import messages
from .contract_models import Contract
from .models import Avoidance, Notice, notice_attachments
from .notice_rules import (  # noqa: F401 (NoticeData: part of this module's API)
    Checked,
    NoticeData,
    check_deadline,
    check_invitation,
    check_notice_data,
    earliest_deadline_after,
    plan_of,
)
from .payment_plan import milestones_of
from .runner import apply_due
from .selection import method_for, notice_defaults
from .states import NOTICE, party_of, transition

#: the notice's own fields a purchaser fills in (copied on re-publication, compared on edit)
FIELDS = (
    "title",
    "project_name",
    "project_code",
    "fiscal_share_pct",
    "scope",
    "ceiling_fen",
    "floor_fen",
    "method",
    "method_reason",
    "weight_price",
    "weight_credit",
    "weight_technical",
    "requires_qualification",
    "min_grade",
    "service_days",
    "payment_plan",
    "deadline_dt",
    "contact_name",
    "contact_phone",
    "invited_org_id",
)
STALE_FORM = _l("公告已被他人修改，请刷新后重新编辑")


def _purchaser_org(user):
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "purchaser":
        raise NotAllowed(_("只有采购人账号可以发布采购公告"))
    return org


def own_notice(user, notice):
    if party_of(notice, user) != "purchaser":
        raise NotAllowed(_("只能操作本单位发布的采购公告"))


def earliest_deadline(now=None):
    """The earliest deadline to offer for a notice published now, rounded up to the minute
    because people type deadlines to the minute."""
    return earliest_deadline_after(now or utcnow())


def _lock(notice: Notice) -> None:
    """Hold the notice's row (FOR UPDATE on PostgreSQL) and re-read it, so that the revision
    checked and the bids invalidated are the committed ones, and bids wait for the edit."""
    begin_writing()
    db.session.execute(
        select(Notice)
        .where(Notice.id == notice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _values(data: NoticeData) -> dict:
    """The notice's field values from the form data, normalised: a fixed-price method has no
    floor, and only the method's own fields keep their values (selection/<method>.py)."""
    method = method_for(data.method)
    values = {
        "title": data.title.strip(),
        "project_name": data.project_name.strip() or data.title.strip(),
        "project_code": data.project_code.strip(),
        "fiscal_share_pct": data.fiscal_share_pct,
        "scope": data.scope.strip(),
        "ceiling_fen": data.ceiling_fen,
        "floor_fen": None if method.fixed_price else data.floor_fen,
        "method": data.method,
        "method_reason": data.method_reason.strip(),
        "requires_qualification": data.requires_qualification,
        "min_grade": (data.min_grade or None) if data.requires_qualification else None,
        "service_days": data.service_days,
        "payment_plan": plan_of(data),
        "deadline_dt": data.deadline_dt,
        "contact_name": data.contact_name.strip(),
        "contact_phone": data.contact_phone.strip(),
        "invited_org_id": data.invited_org_id,
    }
    for name, default in notice_defaults().items():
        values[name] = getattr(data, name) if name in method.notice_defaults else default
    return values


def _snapshot(notice: Notice) -> dict:
    values = {name: getattr(notice, name) for name in FIELDS}
    values["item_id"] = notice.item_id
    values["avoidances"] = sorted((a.agency_org_id, a.reason) for a in notice.avoidances)
    values["attachments"] = sorted(d.id for d in notice.attachments)
    return values


def _apply(user, notice: Notice, data: NoticeData, checked: Checked) -> None:
    """Write checked data onto the notice: fields, avoidance rows, attachments (uploads are
    stored in the purchaser's library first)."""
    notice.item = checked.item
    for name, value in _values(data).items():
        setattr(notice, name, value)
    # Rows are kept per agency so an unchanged avoidance is not deleted and re-inserted.
    current = {a.agency_org_id: a for a in notice.avoidances}
    rows = []
    for org_id, reason in checked.avoidances:
        row = current.get(org_id) or Avoidance(agency_org_id=org_id)
        row.reason = reason
        rows.append(row)
    notice.avoidances = rows
    stored = [
        store_document(user, Upload("notice", u.title or u.filename, u.filename, u.content))
        for u in data.uploads
    ]
    keep_held(user, checked.documents)
    notice.attachments = [*checked.documents, *stored]


def create_notice(user, data: NoticeData) -> Notice:
    """Create a draft notice for an online catalogue item."""
    org = _purchaser_org(user)
    checked = check_notice_data(org.id, data, utcnow())
    notice = Notice(purchaser=org, created_by=user)
    db.session.add(notice)
    _apply(user, notice, data, checked)
    db.session.flush()
    record_event("notice", notice.id, "created", actor=user, public=False)
    return notice


def update_notice(user, notice: Notice, data: NoticeData, revision: int | None = None) -> bool:
    """Change a draft, or a published notice before its deadline: then the revision goes up
    and every submitted bid must be reconfirmed. `revision` is the one the edit form showed
    (a stale form is refused). Returns whether anything changed."""
    own_notice(user, notice)
    _lock(notice)
    apply_due(notice)
    if revision is not None and revision != notice.revision:
        raise ServiceError(str(STALE_FORM))
    if not NOTICE[notice.state].before_closing:
        raise ServiceError(
            _(
                "公告当前为「%(state)s」，只有草稿或报价截止前的公告可以修改",
                state=notice.state_label,
            )
        )
    published = notice.published_dt is not None
    if published and data.item_id != notice.item_id:
        raise ServiceError(_("已发布的公告不能更换服务事项；如需更换，请撤销后重新发布"), "item_id")
    checked = check_notice_data(notice.purchaser_org_id, data, utcnow(), notice)
    before = _snapshot(notice)
    _apply(user, notice, data, checked)
    after = _snapshot(notice)
    changed = [name for name in after if after[name] != before[name]]
    if not changed:
        return False
    if not published:
        db.session.flush()
        record_event("notice", notice.id, "edited", actor=user, public=False)
        return True
    _revise(user, notice, changed)
    return True


def _revise(user, notice: Notice, changed: list[str], clarification: int | None = None) -> None:
    """A published notice changed: a new revision, and the bids made for the old one lapse.
    `clarification`: the question whose answer changed the terms (questions.py)."""
    notice.revision += 1
    notice.due_dt = notice.deadline_dt  # the state's deadline may have moved
    for bid in notice.bids:
        if bid.status == "submitted":
            bid.status = "invalidated"
    to_reconfirm = sorted({b.agency_org_id for b in notice.bids if b.status == "invalidated"})
    db.session.flush()
    data = {
        "revision": notice.revision,
        "changed": changed,
        "summary": f"公告已修改（第 {notice.revision} 版），已提交的报价需重新确认",  # i18n: data
    }
    if clarification is not None:
        data["clarification"] = clarification
        data["summary"] = (
            f"发布澄清（公告第 {notice.revision} 版），报价截止时间 "  # i18n: data
            f"{to_local(notice.deadline_dt):%Y-%m-%d %H:%M}，已提交的报价需重新确认"  # i18n: data
        )
    # Public, and the same whether or not there are bids: their number stays sealed.
    record_event("notice", notice.id, "revised", actor=user, data=data)
    if to_reconfirm:
        call_listener(
            messages.bids_invalidated, notice, event="notice:revised", agency_org_ids=to_reconfirm
        )


def lock_notice(notice: Notice) -> None:
    """Hold the notice's row for a change that may invalidate its bids (see _lock)."""
    _lock(notice)


def clarify_terms(user, notice: Notice, question_id: int) -> None:
    """An answer that changes the terms (澄清) acts as an edit: a new revision, every bid to
    reconfirm, and the deadline moved so that the minimum bidding period remains from now.
    The caller holds the notice (lock_notice) and checked that it still takes quotes."""
    earliest = earliest_deadline_after(utcnow())
    changed = []
    if notice.deadline_dt < earliest:
        notice.deadline_dt = earliest
        changed.append("deadline_dt")
    _revise(user, notice, changed, clarification=question_id)


def _publish(user, notice: Notice, **data) -> None:
    notice.published_dt = utcnow()
    # Fixed and shown before any bid, so the draw's seed cannot be chosen afterwards.
    notice.draw_salt = secrets.token_hex(16)
    transition(notice, "published", user, draw_salt=notice.draw_salt, **data)


def publish_notice(user, notice: Notice) -> None:
    """Publish a draft: its item must still be online and its deadline far enough ahead."""
    own_notice(user, notice)
    if not NOTICE.allows(notice.state, "published", "purchaser"):
        raise ServiceError(_("公告当前为「%(state)s」，不能发布", state=notice.state_label))
    if not notice.item.is_online:
        raise ServiceError(_("「%(item)s」尚未上线，不能发布", item=notice.item.name))
    check_deadline(notice.deadline_dt, utcnow())
    if notice.invited_org_id is not None:
        # The invited agency may have been suspended or withdrawn its offering since the draft.
        check_invitation(notice.invited_org_id, notice.item, notice.ceiling_fen)
    _publish(user, notice)


def cancel_notice(user, notice: Notice, reason: str) -> None:
    """Withdraw a draft, a notice taking quotes, or one whose bidding closed (abandoning the
    selection), with a public reason."""
    own_notice(user, notice)
    apply_due(notice)
    if not NOTICE.allows(notice.state, "cancelled", "purchaser"):
        raise ServiceError(_("公告当前为「%(state)s」，不能撤销", state=notice.state_label))
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("请填写撤销原因"), "reason")
    data = {"reason": reason}
    if not NOTICE[notice.state].sealed:
        # The bids were opened: the purchaser abandons a selection agencies competed for
        # (credit reads `abandoned`).
        data["abandoned"] = True
    notice.outcome_note = reason
    transition(notice, "cancelled", user, **data)


def republished_as(notice: Notice) -> Notice | None:
    """The notice that re-published this failed one, if any."""
    return db.session.scalar(select(Notice).where(Notice.republished_from_id == notice.id))


def _data_of(notice: Notice, deadline_dt) -> NoticeData:
    values = {name: getattr(notice, name) for name in FIELDS}
    values["deadline_dt"] = deadline_dt
    values["payment_plan"] = [
        (m.label, m.percent, m.event, m.days) for m in milestones_of(notice.payment_plan)
    ]
    return NoticeData(
        item_id=notice.item_id,
        avoidances=[(a.agency_org_id, a.reason) for a in notice.avoidances],
        attachment_ids=[d.id for d in notice.attachments],
        **values,
    )


def republish_notice(user, notice: Notice) -> Notice:
    """Re-publish a failed notice (流标) in one step: a copy of every field, its avoidances
    and attachments, with the earliest allowed deadline, published at once."""
    own_notice(user, notice)
    _lock(notice)  # two clicks at once must not make two copies
    if not NOTICE[notice.state].republishable:
        raise ServiceError(
            _("公告当前为「%(state)s」，只有流标的公告可以重新发布", state=notice.state_label)
        )
    existing = republished_as(notice)
    if existing is not None:
        raise ServiceError(_("该公告已重新发布为公告 %(id)s", id=existing.id))
    now = utcnow()
    data = _data_of(notice, earliest_deadline(now))
    checked = check_notice_data(notice.purchaser_org_id, data, now, notice)
    copy = Notice(purchaser_org_id=notice.purchaser_org_id, created_by=user)
    copy.republished_from_id = notice.id
    db.session.add(copy)
    _apply(user, copy, data, checked)
    db.session.flush()
    record_event("notice", copy.id, "created", actor=user, public=False, data={"from": notice.id})
    _publish(user, copy, republished_from=notice.id)
    record_event("notice", notice.id, "republished", actor=user, data={"notice_id": copy.id})
    return copy


def notice_attachment_readers(document: Document) -> set[int]:
    """A notice's attachments are public once it is published, and stay so (drafts, even a
    draft cancelled before publication, keep them private)."""
    published = db.session.scalar(
        select(notice_attachments.c.notice_id)
        .join(Notice, Notice.id == notice_attachments.c.notice_id)
        .where(notice_attachments.c.document_id == document.id, Notice.published_dt.is_not(None))
        .limit(1)
    )
    return {PUBLIC} if published is not None else set()


#: the notice's own many-to-one rows, joined to it (its lists: notice_page.load_page)
PAGE_OPTIONS = (
    joinedload(Notice.item),
    joinedload(Notice.purchaser),
    joinedload(Notice.invited),
    joinedload(Notice.contract).joinedload(Contract.agency),
    joinedload(Notice.contract).joinedload(Contract.document),
)


class NoticeRead(NamedTuple):
    notice: Notice | None
    #: a due deadline was applied while reading (the caller commits it)
    applied: bool


def read_notice(notice_id: int, apply: bool = True) -> NoticeRead:
    """The notice with its own many-to-one rows, any due deadline applied first (reads never
    show a stale state); `apply` False for a refused quote's page, drawn under the quote's
    shared lock, where writing the notice would wait for every other quote."""
    notice = db.session.scalar(_page_query(), {"notice_id": notice_id})
    if notice is None:
        return NoticeRead(None, False)
    return NoticeRead(notice, apply_due(notice) if apply else False)


@cache
def _page_query():
    return select(Notice).where(Notice.id == bindparam("notice_id")).options(*PAGE_OPTIONS)


class PublicHead(NamedTuple):
    """What decides whether a visitor not signed in may get a notice's kept page."""

    #: as the database holds it now (not an ORM copy, which a session that lives on may
    #: hold from before later changes)
    page_version: int
    published: bool
    #: a deadline of it has come and is not applied yet (reading it applies it)
    due: bool


def public_head(notice_id: int, now=None) -> PublicHead | None:
    """The notice's page version, whether it was published and whether a deadline of it is
    due, in one small query (None: no such notice)."""
    row = db.session.execute(_head_query(), {"notice_id": notice_id}).first()
    if row is None:
        return None
    version, published_dt, due_dt = row
    now = now or utcnow()
    return PublicHead(version, published_dt is not None, due_dt is not None and due_dt <= now)


@cache
def _head_query():
    return select(Notice.page_version, Notice.published_dt, Notice.due_dt).where(
        Notice.id == bindparam("notice_id")
    )


def load_notice(notice_id: int) -> Notice | None:
    """The notice with any due deadline applied first."""
    return read_notice(notice_id).notice


def avoidance_candidates(item_id: int, keep=()) -> list[Organisation]:
    """The agencies a notice for the item may avoid: those offering it (and any already
    avoided), by name."""
    offering = select(Offering.agency_id).where(Offering.item_id == item_id)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(or_(Organisation.id.in_(offering), Organisation.id.in_(list(keep))))
            .order_by(Organisation.name)
        )
    )
