"""The supermarket (docs/design.md §2.7): shelves of agencies per catalogue item, compared side by
side, and each agency's storefront."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Float, and_, bindparam, case, cast, exists, func, select
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.clock import local_today
from ..core.i18n import _l
from ..core.lifecycle import State
from ..extensions import db
from .models import (
    QUALIFICATION,
    QUALIFICATION_GRADES,
    RATING_DIMENSIONS,
    Agency,
    Offering,
    Practitioner,
    Qualification,
)
from .services import can_bid, public_agency

SORTS = {
    "credit": _l("信用分"),
    "rating": _l("服务评价"),
    "days": _l("承诺时限"),
    "fee": _l("收费"),
}
#: 甲级 is the best grade; an ungraded qualification ranks after every graded one
GRADE_RANK = {grade: rank for rank, grade in enumerate(QUALIFICATION_GRADES)}
USABLE = tuple(QUALIFICATION.where(usable=True))


def shelves() -> list[tuple[ServiceItem, int]]:
    """Every online catalogue item with how many agencies offer it, by category then code."""
    rows = db.session.execute(
        select(ServiceItem, func.count(Offering.id))
        .outerjoin(Offering, Offering.item_id == ServiceItem.id)
        .where(ServiceItem.status == "online")
        .group_by(ServiceItem.id)
        .order_by(ServiceItem.category, ServiceItem.code)
    )
    return [(item, count) for item, count in rows]


def _usable_for(item_id, today):
    return and_(
        Qualification.item_id == item_id,
        Qualification.status.in_(USABLE),
        Qualification.valid_until >= today,
    )


def _rating_overall():
    total = (
        Agency.rating_quality
        + Agency.rating_timeliness
        + Agency.rating_attitude
        + Agency.rating_fees
        + Agency.rating_conduct
    )
    # Unrated agencies sort after every rated one (a real average is at least 1).
    return case(
        (Agency.rating_count == 0, -1.0),
        else_=cast(total, Float) / (Agency.rating_count * len(RATING_DIMENSIONS)),
    )


def _fee_order():
    # The same order as Offering.sort_fee, in SQL so that a shelf pages in the database:
    # amounts by their lowest figure, then rates, then negotiable fees.
    band = case((Offering.fee_kind == "rate", 1), (Offering.fee_kind == "negotiable", 2), else_=0)
    value = case(
        (Offering.fee_kind == "rate", Offering.fee_rate_bp),
        (Offering.fee_kind == "negotiable", 0),
        else_=Offering.fee_min_fen,
    )
    return (band, value)


def shelf_query(item: ServiceItem, sort="credit", region=None, grade=None, now=None):
    """The offerings of `item` with their agency and organisation loaded, as a select() for
    db.paginate; sorted in SQL by every key (fee included), ties by agency name."""
    orders = {
        "credit": (Agency.credit_score.desc(),),
        "rating": (_rating_overall().desc(),),
        "days": (Offering.promised_days,),
        "fee": _fee_order(),
    }
    stmt = (
        select(Offering)
        .join(Offering.agency)
        .join(Agency.organisation)
        .where(Offering.item_id == item.id)
        .options(contains_eager(Offering.agency).contains_eager(Agency.organisation))
        .order_by(*orders.get(sort, orders["credit"]), Organisation.name, Organisation.id)
    )
    if region:
        stmt = stmt.where(Organisation.region == region)
    if grade:
        stmt = stmt.where(
            exists().where(
                Qualification.agency_id == Agency.org_id,
                Qualification.grade == grade,
                _usable_for(item.id, local_today(now)),
            )
        )
    return stmt


def shelf_regions(item: ServiceItem) -> list[str]:
    """The regions of the agencies on a shelf, for its filter."""
    return list(
        db.session.scalars(
            select(Organisation.region)
            .distinct()
            .join(Agency, Agency.org_id == Organisation.id)
            .join(Offering, Offering.agency_id == Agency.org_id)
            .where(Offering.item_id == item.id, Organisation.region != "")
            .order_by(Organisation.region)
        )
    )


def best_qualifications(item_id: int, agency_ids, now=None) -> dict[int, Qualification]:
    """Each agency's best usable qualification for the item (best grade, verified before
    declared), in one query for a whole page."""
    if not agency_ids:
        return {}
    found = db.session.scalars(
        select(Qualification).where(
            Qualification.agency_id.in_(set(agency_ids)), _usable_for(item_id, local_today(now))
        )
    )
    best = {}
    for q in found:
        key = (GRADE_RANK[q.grade], q.status != "verified", q.id)
        current = best.get(q.agency_id)
        if current is None or key < current[0]:
            best[q.agency_id] = (key, q)
    return {agency_id: q for agency_id, (__, q) in best.items()}


@dataclass
class ShelfRow:
    offering: Offering
    agency: Agency
    qualification: Qualification | None
    can_bid: bool
    standing_reason: str


def shelf_rows(item: ServiceItem, offerings, now=None) -> list[ShelfRow]:
    """What a shelf shows for each offering on one page."""
    best = best_qualifications(item.id, [o.agency_id for o in offerings], now)
    rows = []
    for offering in offerings:
        allowed, reason = can_bid(offering.agency, now)
        rows.append(
            ShelfRow(offering, offering.agency, best.get(offering.agency_id), allowed, reason)
        )
    return rows


def storefront(org_id: int) -> Agency | None:
    """An agency with everything its public page shows, in a fixed number of queries built
    once: the agency with its organisation, then each list (offerings and qualifications with
    their items, practitioners) in one query of its own (half the cost of loading them through
    the relationships with loader options)."""
    values = {"org_id": org_id}
    agency = public_agency(org_id)
    if agency is not None:
        for name in ("offerings", "qualifications", "practitioners"):
            set_committed_value(agency, name, db.session.scalars(_storefront()[name], values).all())
    return agency


@cache
def _storefront() -> dict:
    org_id = bindparam("org_id")
    # Of each item, what the storefront shows of it (its text columns are long).
    item = (ServiceItem.id, ServiceItem.code, ServiceItem.name, ServiceItem.status)
    return {
        "offerings": select(Offering)
        .where(Offering.agency_id == org_id)
        .options(joinedload(Offering.item).load_only(*item))
        .order_by(Offering.id),
        "qualifications": select(Qualification)
        .where(Qualification.agency_id == org_id)
        .options(joinedload(Qualification.item).load_only(*item))
        .order_by(Qualification.id),
        "practitioners": select(Practitioner)
        .where(Practitioner.agency_id == org_id)
        .order_by(Practitioner.id),
    }


def shown_qualifications(agency: Agency, now=None) -> list[tuple[Qualification, State]]:
    """The qualifications a storefront shows with their state today (label, badge, usable):
    rejected ones never; expired ones after the usable ones, so a visitor sees what lapsed."""
    today = local_today(now)
    shown = [(q, QUALIFICATION[q.state_on(today)]) for q in agency.qualifications if not q.rejected]
    return sorted(shown, key=lambda pair: (not pair[1].usable, pair[0].item_id, pair[0].id))
