"""Batches (第 N 批): a department publishes chosen items together on an effective date, and
takes them online together later (梳理一批公布一批，成熟一批上线一批). Each step is a revision of
each item's state, so the items' change logs tell it too."""

from datetime import date

from sqlalchemy import func, select

from ..core.audit import record_event
from ..core.errors import ServiceError
from ..core.i18n import _
from ..extensions import db
from .models import CatalogueBatch, ItemRevision, ServiceItem
from .revisions import check_effective_on, pending_status, propose, settle_batches
from .states import BATCH

#: a batch's title
TITLE_MAX = 200
#: how many items one batch may carry
MAX_ITEMS = 2000


def new_batch(department: str, title: str, publishes_on: date, author) -> CatalogueBatch:
    """An empty batch numbered after the last one (numbers run across departments)."""
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("请填写批次名称"), "title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_("批次名称不能超过 %(max)s 个字", max=TITLE_MAX), "title")
    publishes_on = check_effective_on(publishes_on, "publishes_on")
    number = (db.session.scalar(select(func.max(CatalogueBatch.number))) or 0) + 1
    batch = CatalogueBatch(
        number=number,
        department=department,
        title=title,
        publishes_on=publishes_on,
        created_by=author,
    )
    db.session.add(batch)
    db.session.flush()
    record_event("catalogue_batch", batch.id, "created", actor=author, data={"number": number})
    return batch


def publish_items(department, item_ids, title, publishes_on, author) -> CatalogueBatch:
    """Publish the department's chosen drafts as one numbered batch on `publishes_on`."""
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise ServiceError(_("请至少选择一个梳理中的事项"), "items")
    if len(ids) > MAX_ITEMS:
        raise ServiceError(_("一个批次最多 %(max)s 个事项", max=MAX_ITEMS), "items")
    items = list(db.session.scalars(select(ServiceItem).where(ServiceItem.id.in_(ids))))
    for item in items:
        check_publishable(item, department)
    if len(items) != len(ids):
        raise ServiceError(_("所选事项有的已不存在，请刷新后重新选择"), "items")
    batch = new_batch(department, title, publishes_on, author)
    for item in items:
        add_publication(batch, item, author)
    settle_batches()
    return batch


def check_publishable(item, department) -> None:
    """A draft of the department not already waiting in another batch."""
    if item.approving_department != department:
        raise ServiceError(_("%(code)s 不属于本部门", code=item.code), "items")
    if item.status != "draft":
        raise ServiceError(
            _(
                "%(code)s 已%(status)s，只能选择梳理中的事项",
                code=item.code,
                status=item.status_label,
            ),
            "items",
        )
    if pending_status(item) is not None:
        raise ServiceError(_("%(code)s 已在待公布的批次中", code=item.code), "items")


def add_publication(batch, item, author) -> ItemRevision:
    """The revision publishing `item` with `batch`."""
    return propose(
        item,
        "published",
        {"status": "published"},
        # the reason is kept (and shown) as written: a record, in the platform's language
        f"第 {batch.number} 批公布：{batch.title}",  # i18n: data
        batch.publishes_on,
        author,
        batch,
    )


def take_online(batch, online_on: date, author) -> int:
    """Schedule the batch's published items to go online on `online_on` (today: at once);
    returns how many items will."""
    if not BATCH.allows(batch.state, "going_online", None):
        raise ServiceError(
            _(
                "该批次当前为「%(state)s」，只有已公布的批次可以上线",
                state=batch.state_label,
            )
        )
    online_on = check_effective_on(online_on, "online_on")
    items = [i for i in items_of(batch) if i.status == "published" and not pending_status(i)]
    if not items:
        raise ServiceError(_("该批次没有待上线的已公布事项"))
    BATCH.change(batch, "going_online")
    batch.online_on = online_on
    record_event(
        "catalogue_batch",
        batch.id,
        "going_online",
        actor=author,
        data={"number": batch.number, "online_on": online_on.isoformat()},
    )
    for item in items:
        propose(
            item,
            "online",
            {"status": "online"},
            f"第 {batch.number} 批上线：{batch.title}",  # i18n: data (a kept reason)
            online_on,
            author,
            batch,
        )
    settle_batches()
    return len(items)


def items_of(batch) -> list[ServiceItem]:
    """The batch's items by code."""
    return list(
        db.session.scalars(
            select(ServiceItem)
            .where(
                ServiceItem.id.in_(
                    select(ItemRevision.item_id).where(ItemRevision.batch_id == batch.id)
                )
            )
            .order_by(ServiceItem.code)
        )
    )


def revisions_of(batch) -> list[ItemRevision]:
    """The batch's revisions (publication, edits, going online), by item code."""
    return list(
        db.session.scalars(
            select(ItemRevision)
            .join(ServiceItem, ServiceItem.id == ItemRevision.item_id)
            .where(ItemRevision.batch_id == batch.id)
            .order_by(ServiceItem.code, ItemRevision.id)
        )
    )


def public_batches():
    """A select() of the batches the public sees (published at least), newest first."""
    return (
        select(CatalogueBatch)
        .where(CatalogueBatch.state != "scheduled")
        .order_by(CatalogueBatch.number.desc())
    )


def department_batches(department: str):
    """A select() of the department's batches, scheduled ones included, newest first."""
    return (
        select(CatalogueBatch)
        .where(CatalogueBatch.department == department)
        .order_by(CatalogueBatch.number.desc())
    )


def get_batch(number: int) -> CatalogueBatch | None:
    return db.session.scalar(select(CatalogueBatch).where(CatalogueBatch.number == number))
