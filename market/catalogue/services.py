"""Loading and querying the catalogue."""

import csv
from importlib import resources

from sqlalchemy import select

from ..core.audit import record_event
from ..core.errors import ServiceError
from ..core.money import MoneyError, percent_to_bp, yuan_to_fen
from ..extensions import db
from .models import FEE_TYPES, ITEM_LISTS, ITEM_STATUSES, ServiceItem

FIELDS = ("name", "licensing_item", "legal_basis", "approving_department", "category")


def seed_rows():
    """The catalogue shipped with the project (market/catalogue/data/service_items.csv)."""
    with (
        resources.files(__package__).joinpath("data/service_items.csv").open(encoding="utf-8") as fh
    ):
        return list(csv.DictReader(fh))


def load_items(rows) -> tuple[int, int]:
    """Insert or update items by code; returns (created, updated). Rows are checked first."""
    seen = set()
    for n, row in enumerate(rows, start=2):
        missing = [f for f in ("code", *FIELDS, "list") if not (row.get(f) or "").strip()]
        if missing:
            raise ServiceError(f"第 {n} 行缺少字段：{', '.join(missing)}")
        if row["list"] not in ITEM_LISTS:
            raise ServiceError(f"第 {n} 行清单类型无效：{row['list']}")
        if (row.get("status") or "online") not in ITEM_STATUSES:
            raise ServiceError(f"第 {n} 行状态无效：{row['status']}")
        if (row.get("fee_type") or "market") not in FEE_TYPES:
            raise ServiceError(
                f"第 {n} 行收费类型无效：{row['fee_type']}（应为 market 或 government）"
            )
        fee_standard(row, n)
        if row["code"] in seen:
            raise ServiceError(f"第 {n} 行事项编码重复：{row['code']}")
        seen.add(row["code"])
    existing = {item.code: item for item in db.session.scalars(select(ServiceItem))}
    created = updated = 0
    for row in rows:
        values = {f: row[f].strip() for f in FIELDS}
        values["list_kind"] = row["list"]
        values["status"] = row.get("status") or "online"
        values["fee_type"] = row.get("fee_type") or "market"
        values["fee_basis"] = (row.get("fee_basis") or "").strip()
        values["implementing_requirement"] = (row.get("implementing_requirement") or "").strip()
        values.update(fee_standard(row, 0))
        item = existing.get(row["code"])
        if item is None:
            item = ServiceItem(code=row["code"], **values)
            db.session.add(item)
            created += 1
        elif any(getattr(item, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(item, key, value)
            updated += 1
    db.session.flush()
    if created or updated:
        record_event("catalogue", 0, "loaded", data={"created": created, "updated": updated})
    return created, updated


def fee_standard(row, line) -> dict:
    """A government-priced row's limits ("1000-30000" yuan or "0.1%-0.5%") as column values."""
    empty = dict(fee_min_fen=None, fee_max_fen=None, fee_rate_min_bp=None, fee_rate_max_bp=None)
    limits = (row.get("fee_limits") or "").strip()
    if (row.get("fee_type") or "market") == "market":
        return empty
    low, sep, high = limits.partition("-")
    if not sep:
        raise ServiceError(
            f"第 {line} 行政府指导价事项须填写收费上下限，例如 1000-30000 或 0.1%-0.5%"
        )
    try:
        if "%" in limits:
            bounds = dict(fee_rate_min_bp=percent_to_bp(low), fee_rate_max_bp=percent_to_bp(high))
        else:
            bounds = dict(fee_min_fen=yuan_to_fen(low), fee_max_fen=yuan_to_fen(high))
    except MoneyError as exc:
        raise ServiceError(f"第 {line} 行收费上下限格式不正确：{exc}") from exc
    low_value, high_value = (v for v in bounds.values())
    if not 0 < low_value <= high_value:
        raise ServiceError(f"第 {line} 行收费下限应大于 0 且不高于上限")
    return {**empty, **bounds}


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


def categories() -> list[str]:
    return list(
        db.session.scalars(select(ServiceItem.category).distinct().order_by(ServiceItem.category))
    )


def get_item_by_code(code: str) -> ServiceItem | None:
    return db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def online_items() -> list[ServiceItem]:
    return list(
        db.session.scalars(
            select(ServiceItem).where(ServiceItem.status == "online").order_by(ServiceItem.code)
        )
    )
