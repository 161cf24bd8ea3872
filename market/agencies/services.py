"""Agency profiles, offerings, standing (can_bid, credit_factor) and rating totals."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..extensions import db
from .models import RATING_DIMENSIONS, Agency, Offering


def ensure_profile(org) -> Agency:
    """The Agency row for an agency organisation, created on first need."""
    agency = db.session.get(Agency, org.id)
    if agency is None:
        agency = Agency(org_id=org.id, organisation=org)
        db.session.add(agency)
        db.session.flush()
    return agency


def agency_of(user) -> Agency:
    """The agency the user acts for; NotAllowed if the user is not in an agency."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency":
        raise NotAllowed("只有中介机构账号可以执行此操作")
    return ensure_profile(org)


def can_bid(agency: Agency, now=None) -> tuple[bool, str]:
    """Whether the agency may respond to notices now, and if not, why and until when."""
    now = now or utcnow()
    if agency.blacklisted:
        return False, "该机构已被列入严重失信名单，不能参与投标"
    if agency.suspended_until and agency.suspended_until > now:
        until = to_local(agency.suspended_until).strftime("%Y-%m-%d")
        return False, f"该机构被暂停参与投标，至 {until} 止"
    return True, ""


def credit_factor(agency: Agency) -> float:
    """Credit as a ranking multiplier in [0.5, 1.0]: 0.5 + score/200."""
    return 0.5 + agency.credit_score / 200


@dataclass
class OfferingData:
    item_id: int
    fee_standard: str
    promised_days: int
    description: str = ""


def declare_offering(user, data: OfferingData) -> Offering:
    """Add a catalogue item to the agency's offerings (published or online items only)."""
    agency = agency_of(user)
    item = db.session.get(ServiceItem, data.item_id)
    if item is None or item.status not in ("published", "online"):
        raise ServiceError("所选中介服务事项不存在或未公布", "item_id")
    if any(o.item_id == item.id for o in agency.offerings):
        raise ServiceError(f"已声明提供「{item.name}」，无需重复添加", "item_id")
    if not data.fee_standard.strip():
        raise ServiceError("请填写收费标准", "fee_standard")
    if not 0 < data.promised_days <= 365:
        raise ServiceError("承诺办理时限应为 1–365 个工作日", "promised_days")
    offering = Offering(
        agency=agency,
        item=item,
        fee_standard=data.fee_standard.strip(),
        promised_days=data.promised_days,
        description=data.description.strip(),
    )
    db.session.add(offering)
    db.session.flush()
    record_event("agency", agency.org_id, "offering_declared", actor=user, data={"item": item.code})
    return offering


def withdraw_offering(user, offering_id: int) -> None:
    """Remove one of the agency's own offerings."""
    agency = agency_of(user)
    offering = db.session.get(Offering, offering_id)
    if offering is None or offering.agency_id != agency.org_id:
        raise NotAllowed("只能撤下本机构的服务")
    code = offering.item.code
    agency.offerings.remove(offering)
    db.session.flush()
    record_event("agency", agency.org_id, "offering_withdrawn", actor=user, data={"item": code})


def offered_item_ids(org_id: int) -> set[int]:
    return set(db.session.scalars(select(Offering.item_id).where(Offering.agency_id == org_id)))


def offers_item(org_id: int, item_id: int) -> bool:
    return item_id in offered_item_ids(org_id)


def directory_query(q=None, item_id=None):
    """Agencies for the public directory, best credit first."""
    stmt = (
        select(Agency)
        .join(Agency.organisation)
        .options(selectinload(Agency.organisation), selectinload(Agency.offerings))
        .order_by(Agency.credit_score.desc(), Organisation.name)
    )
    if q:
        stmt = stmt.where(Organisation.name.ilike(f"%{q.strip()}%"))
    if item_id:
        stmt = stmt.where(Agency.offerings.any(Offering.item_id == item_id))
    return stmt


def add_rating(agency_org_id: int, scores: dict[str, int]) -> None:
    """Add one evaluation's scores to the agency's running totals."""
    agency = db.session.get(Agency, agency_org_id)
    agency.rating_count += 1
    for dimension in RATING_DIMENSIONS:
        setattr(
            agency,
            f"rating_{dimension}",
            getattr(agency, f"rating_{dimension}") + scores[dimension],
        )
    db.session.flush()
