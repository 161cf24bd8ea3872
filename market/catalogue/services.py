"""Loading and querying the catalogue."""

import csv
from importlib import resources

from sqlalchemy import func, select

from ..core.audit import record_event
from ..core.clock import local_today
from ..core.errors import ServiceError
from ..core.i18n import _
from ..extensions import db
from .fields import differences, values_from_text
from .models import ITEM_STATUSES, CatalogueImport, ItemRevision, ServiceItem
from .revisions import create_item, propose
from .states import ITEM


def seed_rows():
    """The catalogue shipped with the project (market/catalogue/data/service_items.csv)."""
    with (
        resources.files(__package__).joinpath("data/service_items.csv").open(encoding="utf-8") as fh
    ):
        return list(csv.DictReader(fh))


def load_items(rows, reason: str = "按清单文件导入") -> tuple[int, int]:  # i18n: data
    """Insert or update items by code from CSV rows (`flask market load-catalogue`); returns
    (created, updated). Every row is checked before any is written; each change is a
    revision in force today."""
    checked, seen = [], set()
    for n, row in enumerate(rows, start=2):
        text = {**row, "list_kind": row.get("list") or row.get("list_kind") or ""}
        text.setdefault("fee_type", "market")
        text["fee_type"] = text["fee_type"] or "market"
        try:
            values = values_from_text(text)
        except ServiceError as err:
            raise ServiceError(_("第 %(n)s 行：%(error)s", n=n, error=err.message)) from err
        status = (row.get("status") or "online").strip()
        if status not in ITEM_STATUSES:
            raise ServiceError(_("第 %(n)s 行状态无效：%(status)s", n=n, status=status))
        if values["code"] in seen:
            raise ServiceError(_("第 %(n)s 行事项编码重复：%(code)s", n=n, code=values["code"]))
        seen.add(values["code"])
        checked.append((values, status))
    existing = {item.code: item for item in db.session.scalars(select(ServiceItem))}
    kept = kept_in_platform()
    created = updated = 0
    for values, status in checked:
        item = existing.get(values["code"])
        if item is None:
            create_item(values, reason, kind="imported", status=status)
            created += 1
            continue
        if item.id in kept:
            continue
        changes = differences(item, values)
        if status != item.status:
            if not ITEM.allows(item.status, status, None):
                raise ServiceError(
                    _(
                        "%(code)s 当前为「%(status)s」，不能改为「%(target)s」",
                        code=item.code,
                        status=item.status_label,
                        target=ITEM.label(status),
                    )
                )
            changes["status"] = status
        if changes:
            propose(item, "imported", changes, reason, local_today())
            updated += 1
    db.session.flush()
    if created or updated:
        record_event("catalogue", 0, "loaded", data={"created": created, "updated": updated})
    return created, updated


def kept_in_platform() -> set[int]:
    """Items whose latest change was made on the platform (a department's edit, batch or
    withdrawal): a file load leaves them as the department left them."""
    latest = (
        select(ItemRevision.item_id, func.max(ItemRevision.version).label("version"))
        .where(ItemRevision.state == "applied")
        .group_by(ItemRevision.item_id)
        .subquery()
    )
    return set(
        db.session.scalars(
            select(ItemRevision.item_id)
            .join(
                latest,
                (ItemRevision.item_id == latest.c.item_id)
                & (ItemRevision.version == latest.c.version),
            )
            .where(ItemRevision.kind != "imported")
        )
    ) | set(
        db.session.scalars(
            select(ItemRevision.item_id).where(ItemRevision.state == "pending").distinct()
        )
    )


def item_query(q=None, category=None, list_kind=None, public_only=True):
    """A select() over items, filtered by name/licensing item text, category and list."""
    stmt = select(ServiceItem).order_by(ServiceItem.code)
    if public_only:
        stmt = stmt.where(ServiceItem.status.in_(("published", "online")))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(ServiceItem.name.ilike(like) | ServiceItem.licensing_item.ilike(like))
    if category:
        stmt = stmt.where(ServiceItem.category == category)
    if list_kind:
        stmt = stmt.where(ServiceItem.list_kind == list_kind)
    return stmt


def public_item_query(q=None, category=None, list_kind=None, status=None, department=None):
    """The public list's rows: items published or online (or, asked for, withdrawn ones that
    were public), filtered by text, category, list, state and department; by code."""
    stmt = item_query(q, category, list_kind, public_only=status is None)
    if status is not None:
        stmt = stmt.where(ServiceItem.status == status, ServiceItem.first_public_on.is_not(None))
    if department:
        stmt = stmt.where(ServiceItem.approving_department == department)
    return stmt


def department_item_query(department: str):
    """Every item of the department, drafts and withdrawn ones included, by code."""
    return (
        select(ServiceItem)
        .where(ServiceItem.approving_department == department)
        .order_by(ServiceItem.code)
    )


def pending_by_item(department: str) -> dict[int, list[ItemRevision]]:
    """The department's revisions still waiting for their date, by item."""
    found: dict[int, list[ItemRevision]] = {}
    for revision in db.session.scalars(
        select(ItemRevision)
        .join(ServiceItem, ServiceItem.id == ItemRevision.item_id)
        .where(ServiceItem.approving_department == department, ItemRevision.state == "pending")
        .order_by(ItemRevision.effective_on, ItemRevision.id)
    ):
        found.setdefault(revision.item_id, []).append(revision)
    return found


def recent_imports(department: str, limit: int = 10) -> list[CatalogueImport]:
    """The department's latest Excel imports."""
    return list(
        db.session.scalars(
            select(CatalogueImport)
            .where(CatalogueImport.department == department)
            .order_by(CatalogueImport.id.desc())
            .limit(limit)
        )
    )


def values_of(typed: dict, department: str) -> dict:
    """An item's column values from a form of the department's regulator."""
    return values_from_text({**typed, "approving_department": department}, department)


def departments() -> list[str]:
    """The departments owning public items (the list's filter)."""
    return list(
        db.session.scalars(
            select(ServiceItem.approving_department)
            .where(ServiceItem.first_public_on.is_not(None))
            .distinct()
            .order_by(ServiceItem.approving_department)
        )
    )


def categories() -> list[str]:
    """The categories of items the public list has shown (a draft's stay with its department)."""
    return list(
        db.session.scalars(
            select(ServiceItem.category)
            .where(
                ServiceItem.first_public_on.is_not(None)
                | ServiceItem.status.in_(ITEM.where(public=True))
            )
            .distinct()
            .order_by(ServiceItem.category)
        )
    )


def get_item_by_code(code: str) -> ServiceItem | None:
    return db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def online_items() -> list[ServiceItem]:
    return list(
        db.session.scalars(
            select(ServiceItem).where(ServiceItem.status == "online").order_by(ServiceItem.code)
        )
    )
