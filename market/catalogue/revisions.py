"""Revisions: the only way an item changes. A revision names its changes, reason, effective
date and author; it waits (待生效) until its date and is then applied — at once when the date
is today, otherwise by the worker (`apply_due`). Applying it numbers the item's version and
keeps the replaced values and the whole item as it then stood, so the public change log and
the list as of any past date are read from revisions alone."""

from datetime import date, timedelta

from sqlalchemy import and_, func, select

from ..core import signals
from ..core.audit import record_event
from ..core.clock import local_today, utcnow
from ..core.errors import ServiceError
from ..core.i18n import _
from ..extensions import db
from .fields import differences, snapshot
from .models import CatalogueBatch, ItemRevision, ServiceItem
from .states import BATCH, ITEM, REVISION

#: how far ahead a change may be scheduled
MAX_LEAD = timedelta(days=366)
#: the length of a revision's reason
REASON_MAX = 500


def check_reason(reason: str) -> str:
    """A revision's reason, required and bounded."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写调整理由"), "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(_("调整理由不能超过 %(max)s 个字", max=REASON_MAX), "reason")
    return reason


def check_effective_on(effective_on: date | None, field="effective_on") -> date:
    """An effective date from today to a year ahead (a change is never back-dated)."""
    today = local_today()
    if effective_on is None:
        raise ServiceError(_("请填写生效日期"), field)
    if effective_on < today:
        raise ServiceError(_("生效日期不能早于今天"), field)
    if effective_on > today + MAX_LEAD:
        raise ServiceError(_("生效日期不能晚于一年以后"), field)
    return effective_on


def propose(item, kind, changes, reason, effective_on, author=None, batch=None) -> ItemRevision:
    """Record a change of `item`; applied at once when it takes effect today."""
    revision = ItemRevision(
        item=item,
        kind=kind,
        changes=changes,
        reason=reason,
        effective_on=effective_on,
        author=author,
        batch=batch,
    )
    db.session.add(revision)
    db.session.flush()
    if effective_on <= local_today():
        apply(revision)
    return revision


def apply(revision: ItemRevision, at=None) -> None:
    """Apply a pending revision to its item: state moves checked against the lifecycle."""
    item = revision.item
    changes = dict(revision.changes)
    target = changes.get("status")
    changed = {k: v for k, v in changes.items() if k != "status"}
    if "code" in changed and changed["code"] != item.code:
        _check_code_free(changed["code"], item.id)
    first = not item.version
    revision.before = {} if first else {k: getattr(item, k) for k in changes}
    if target is not None:
        if not first:
            revision.before["status"] = item.status
        if target != item.status:
            ITEM.change(item, target)
        if ITEM[target].public and item.first_public_on is None:
            item.first_public_on = revision.effective_on
    for key, value in changed.items():
        setattr(item, key, value)
    item.version = (item.version or 0) + 1
    revision.version = item.version
    REVISION.change(revision, "applied")
    revision.applied_dt = at or utcnow()
    revision.snapshot = snapshot(item)
    db.session.flush()
    record_event(
        "service_item",
        item.id,
        revision.kind,
        actor=revision.author,
        data={
            "code": item.code,
            "version": revision.version,
            "reason": revision.reason,
            "effective_on": revision.effective_on.isoformat(),
            **({"batch": revision.batch.number} if revision.batch else {}),
        },
    )
    signals.catalogue_item_revised.send(
        item, kind=revision.kind, version=revision.version, reason=revision.reason
    )


def _check_code_free(code: str, item_id: int | None) -> None:
    taken = db.session.scalar(select(ServiceItem.id).where(ServiceItem.code == code))
    if taken is not None and taken != item_id:
        raise ServiceError(_("事项编码 %(code)s 已被其他事项使用", code=code), "code")


def apply_due(today: date | None = None) -> int:
    """Apply every revision whose date has come, oldest date first, and move the batches
    whose dates have come; returns how many revisions were applied."""
    today = today or local_today()
    due = db.session.scalars(
        select(ItemRevision)
        .where(ItemRevision.state == "pending", ItemRevision.effective_on <= today)
        .order_by(ItemRevision.effective_on, ItemRevision.id)
    ).all()
    applied = 0
    for revision in due:
        target = revision.changes.get("status")
        if target not in (None, revision.item.status) and not ITEM.allows(
            revision.item.status, target, None
        ):
            # The item moved since (withdrawn, or taken online by another batch): the
            # scheduled move no longer means anything.
            db.session.delete(revision)
            continue
        try:
            apply(revision)
        except ServiceError:
            # Refused before anything was written (a code another item has taken since):
            # the change cannot take effect; leaving it would stop every later round.
            db.session.delete(revision)
            continue
        applied += 1
    db.session.flush()
    settle_batches(today)
    return applied


def settle_batches(today: date | None = None) -> None:
    """Batches whose publication or going-online date has come, and whose items' revisions are
    all applied, take their next state."""
    today = today or local_today()
    waiting = and_(ItemRevision.batch_id == CatalogueBatch.id, ItemRevision.state == "pending")
    for batch in db.session.scalars(
        select(CatalogueBatch).where(
            ((CatalogueBatch.state == "scheduled") & (CatalogueBatch.publishes_on <= today))
            | ((CatalogueBatch.state == "going_online") & (CatalogueBatch.online_on <= today)),
            ~select(ItemRevision.id).where(waiting).exists(),
        )
    ):
        target = "published" if batch.state == "scheduled" else "online"
        BATCH.change(batch, target)
        setattr(batch, f"{target}_dt", utcnow())
        record_event("catalogue_batch", batch.id, target, data={"number": batch.number})
    db.session.flush()


def create_item(values: dict, reason: str, author=None, kind="created", status=None):
    """A new item, 梳理中 (draft) unless `status` says otherwise (the list loaded from a file),
    recorded as its first revision."""
    _check_code_free(values["code"], None)
    reason = check_reason(reason)
    item = ServiceItem(**values, status="draft", version=0)
    db.session.add(item)
    db.session.flush()
    changes = {**values, **({"status": status} if status and status != "draft" else {})}
    propose(item, kind, changes, reason, local_today(), author)
    return item


def edit_item(item, values: dict, reason: str, effective_on: date, author) -> ItemRevision:
    """Change an item's published fields from `effective_on`; the code only while a draft."""
    if item.status == "withdrawn":
        raise ServiceError(_("已取消的事项不能再调整"))
    changes = differences(item, values)
    if "code" in changes and item.status != "draft":
        raise ServiceError(_("事项公布后编码不能修改（编码是公开链接和采购记录的依据）"), "code")
    if not changes:
        raise ServiceError(_("内容没有变化，无需提交调整"))
    if "code" in changes:
        _check_code_free(changes["code"], item.id)
    reason = check_reason(reason)
    return propose(item, "edited", changes, reason, check_effective_on(effective_on), author)


def withdraw(item, reason: str, effective_on: date, author) -> ItemRevision:
    """Take an item off the list from `effective_on`: notices already published for it go on,
    no new one can be published. Its changes still waiting are dropped."""
    if not ITEM.allows(item.status, "withdrawn", None):
        raise ServiceError(_("该事项已取消"))
    if pending_status(item) == "withdrawn":
        raise ServiceError(_("该事项已安排取消"))
    reason = check_reason(reason)
    effective_on = check_effective_on(effective_on)
    for revision in pending_of(item):
        db.session.delete(revision)
    db.session.flush()
    return propose(item, "withdrawn", {"status": "withdrawn"}, reason, effective_on, author)


def pending_of(item) -> list[ItemRevision]:
    """The item's revisions still waiting for their date, soonest first."""
    return list(
        db.session.scalars(
            select(ItemRevision)
            .where(ItemRevision.item_id == item.id, ItemRevision.state == "pending")
            .order_by(ItemRevision.effective_on, ItemRevision.id)
        )
    )


def pending_status(item) -> str | None:
    """The state a waiting revision will give the item, if one will."""
    for revision in reversed(pending_of(item)):
        if "status" in revision.changes:
            return revision.changes["status"]
    return None


def history(item) -> list[ItemRevision]:
    """The item's applied revisions, newest first: its public change log."""
    return list(
        db.session.scalars(
            select(ItemRevision)
            .where(ItemRevision.item_id == item.id, ItemRevision.state == "applied")
            .order_by(ItemRevision.version.desc())
        )
    )


def version_of(item, number: int) -> ItemRevision | None:
    """The applied revision that made version `number` of the item."""
    return db.session.scalar(
        select(ItemRevision).where(
            ItemRevision.item_id == item.id,
            ItemRevision.version == number,
            ItemRevision.state == "applied",
        )
    )


def list_as_of(day: date, list_kind: str | None = None) -> list[tuple[dict, int]]:
    """The public list as it stood at the end of `day`: (snapshot, version) of each item's
    last revision in force by then, if it left the item published or online; by code."""
    latest = (
        select(ItemRevision.item_id, func.max(ItemRevision.version).label("version"))
        .where(ItemRevision.state == "applied", ItemRevision.effective_on <= day)
        .group_by(ItemRevision.item_id)
        .subquery()
    )
    found = db.session.execute(
        select(ItemRevision.snapshot, ItemRevision.version).join(
            latest,
            (ItemRevision.item_id == latest.c.item_id) & (ItemRevision.version == latest.c.version),
        )
    )
    public = ITEM.where(public=True)
    rows = [
        (snap, version)
        for snap, version in found
        if snap["status"] in public and (list_kind is None or snap["list_kind"] == list_kind)
    ]
    return sorted(rows, key=lambda row: row[0]["code"])


def changes_since(day: date, limit: int | None = None):
    """A select() of the revisions in force since `day` for items the public sees (their
    changes while still drafts stay with the department), newest first."""
    stmt = (
        select(ItemRevision)
        .join(ServiceItem, ServiceItem.id == ItemRevision.item_id)
        .where(
            ItemRevision.state == "applied",
            ItemRevision.effective_on >= day,
            # An item still a draft is its department's; once public its record is too,
            # but how it was first typed in is not a change of the public list.
            ServiceItem.first_public_on.is_not(None),
            ItemRevision.kind != "created",
        )
        .order_by(ItemRevision.effective_on.desc(), ItemRevision.id.desc())
    )
    return stmt.limit(limit) if limit else stmt
