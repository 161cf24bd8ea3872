"""What each index holds, built from the database in batches: agencies (name, offered items
and the licensing items they serve, region, qualifications, the agency's description and its
services' descriptions, standing), published notices, catalogue items. Each document carries
a digest of its content so `check` can find stale ones."""

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organisation
from ..agencies.models import QUALIFICATION, Agency, Offering, Qualification
from ..agencies.services import credit_factor
from ..catalogue.models import ServiceItem
from ..core.i18n import DEFAULT_LANGUAGE, in_language
from ..extensions import db
from ..procurement.models import Notice
from . import analysis

ITEM_STATES = ("published", "online")
#: stands for "blacklisted with no end" in blocked_until (epoch seconds)
FOREVER = 4_102_444_800  # 2100-01-01


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _digest(doc: dict) -> str:
    raw = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _finish(doc: dict) -> dict:
    doc["number"] = int(doc["id"])
    doc["digest"] = _digest(doc)
    return doc


def blocked_until(agency: Agency) -> int:
    """When the agency may bid again (epoch seconds), 0 if it may now."""
    ends = [_epoch(agency.suspended_until)]
    if agency.blacklisted:
        ends.append(_epoch(agency.blacklisted_until) or FOREVER)
    return max(ends)


def agency_docs(ids) -> dict[int, dict]:
    agencies = db_scalars(
        select(Agency)
        .join(Organisation, Organisation.id == Agency.org_id)
        .where(Agency.org_id.in_(ids), Organisation.kind == "agency")
        .options(
            selectinload(Agency.organisation),
            selectinload(Agency.offerings).selectinload(Offering.item),
            selectinload(Agency.qualifications).selectinload(Qualification.item),
        )
    )
    docs = {}
    for agency in agencies:
        org = agency.organisation
        items = [o.item for o in agency.offerings]
        item_text = " ".join(f"{i.code} {i.name}" for i in items)
        # the licensing items its services serve (规划核实 finds the agency measuring for it)
        licensing = " ".join(dict.fromkeys(i.licensing_item for i in items if i.licensing_item))
        # its own introduction, then what it says of each service (服务说明)
        texts = (agency.description, *(o.description for o in agency.offerings))
        description = " ".join(text for text in texts if text)
        qualifications = " ".join(
            f"{q.type} {q.grade}" for q in agency.qualifications if QUALIFICATION[q.status].usable
        )
        docs[agency.org_id] = _finish(
            {
                "id": str(agency.org_id),
                "name": org.name,
                "items": item_text,
                "licensing": licensing,
                "qualifications": qualifications,
                "region": f"{org.region} {agency.service_area}".strip(),
                "region_facet": org.region or "",
                "category": ",".join(sorted({i.category for i in items})),
                "description": description,
                "grade": agency.credit_grade,
                "score": agency.credit_score,
                "credit_factor": credit_factor(agency),
                "rating": round(agency.rating_overall or 0.0, 2),
                "blocked_until": blocked_until(agency),
                "created": _naive(org.created_dt),
                "initials": analysis.initials(f"{org.name} {' '.join(i.name for i in items)}"),
            }
        )
    return docs


def notice_docs(ids) -> dict[int, dict]:
    notices = db_scalars(
        select(Notice)
        .where(Notice.id.in_(ids), Notice.published_dt.is_not(None))
        .options(selectinload(Notice.item), selectinload(Notice.purchaser))
    )
    # The index keeps the state's label in the source language, whoever's request indexes it
    # (pages name a state from its code, in the reader's language).
    with in_language(DEFAULT_LANGUAGE):
        labels = {n.id: str(n.state_label) for n in notices}
    return {
        n.id: _finish(
            {
                "id": str(n.id),
                "title": n.title,
                # the licensing item too: 取水许可 finds the notices serving it
                "item": f"{n.item.code} {n.item.name} {n.item.licensing_item}".strip(),
                "project": f"{n.project_name} {n.project_code}".strip(),
                "purchaser": n.purchaser.name,
                "region": n.purchaser.region or "",
                "region_facet": n.purchaser.region or "",
                "category": n.item.category,
                "state": n.state,
                "state_label": labels[n.id],
                "created": _naive(n.published_dt),
                "initials": analysis.initials(f"{n.title} {n.item.name}"),
            }
        )
        for n in notices
    }


def item_docs(ids) -> dict[int, dict]:
    items = db_scalars(
        select(ServiceItem).where(ServiceItem.id.in_(ids), ServiceItem.status.in_(ITEM_STATES))
    )
    return {
        i.id: _finish(
            {
                "id": str(i.id),
                "code": i.code,
                "name": i.name,
                "licensing": i.licensing_item,
                "legal_basis": i.legal_basis,
                "category": i.category,
                "region": "",
                "region_facet": "",
                "created": _naive(i.updated_dt),
                "initials": analysis.initials(f"{i.name} {i.licensing_item}"),
            }
        )
        for i in items
    }


BUILDERS = {"agencies": agency_docs, "notices": notice_docs, "items": item_docs}
ID_QUERIES = {
    "agencies": lambda: (
        select(Agency.org_id)
        .join(Organisation, Organisation.id == Agency.org_id)
        .where(Organisation.kind == "agency")
    ),
    "notices": lambda: select(Notice.id).where(Notice.published_dt.is_not(None)),
    "items": lambda: select(ServiceItem.id).where(ServiceItem.status.in_(ITEM_STATES)),
}


def db_scalars(stmt):
    return db.session.scalars(stmt).all()


def build(kind: str, ids) -> dict[int, dict]:
    """The documents for these ids that belong in the index (others are absent)."""
    return BUILDERS[kind](list(ids))


def all_ids(kind: str) -> list[int]:
    return sorted(db_scalars(ID_QUERIES[kind]()))


def digests(kind: str, batch: int = 2000) -> dict[int, str]:
    ids = all_ids(kind)
    out = {}
    for start in range(0, len(ids), batch):
        for doc_id, doc in build(kind, ids[start : start + batch]).items():
            out[doc_id] = doc["digest"]
    return out
