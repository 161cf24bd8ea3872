"""The public directory of agencies: one row per agency, read as plain columns in one query
(loading agencies, their organisations and every offering as objects to show a name, a region
and a count cost the page several times the query)."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..catalogue.services import item_query
from ..extensions import db
from .models import RATING_DIMENSIONS, Agency, Offering


@dataclass(frozen=True, slots=True)
class DirectoryRow:
    """An agency as the directory lists it."""

    org_id: int
    name: str
    region: str
    offerings: int
    credit_score: int
    credit_grade: str
    rating_count: int
    #: the sum of every evaluation's scores in every dimension
    rating_total: int

    @property
    def rating_overall(self) -> float | None:
        """The mean of the dimensions' averages (as Agency.rating_overall)."""
        if not self.rating_count:
            return None
        return self.rating_total / (self.rating_count * len(RATING_DIMENSIONS))


@cache
def _rows():
    offered = (
        select(func.count(Offering.id))
        .where(Offering.agency_id == Agency.org_id)
        .correlate(Agency)
        .scalar_subquery()
    )
    total = sum(getattr(Agency, f"rating_{d}") for d in RATING_DIMENSIONS)
    return (
        select(
            Agency.org_id,
            Organisation.name,
            Organisation.region,
            offered,
            Agency.credit_score,
            Agency.credit_grade,
            Agency.rating_count,
            total,
        )
        .join(Organisation, Organisation.id == Agency.org_id)
        .order_by(Agency.credit_score.desc(), Agency.org_id.desc())
    )


def directory_query(item_id=None):
    """DirectoryRow columns for the public directory (browsing; word search is the search
    page), best credit first, then the latest registered (the index's order read backwards:
    nothing is sorted, however many agencies there are)."""
    stmt = _rows()
    if item_id:
        offers = select(Offering.id).where(
            Offering.agency_id == Agency.org_id, Offering.item_id == item_id
        )
        stmt = stmt.where(offers.exists())
    return stmt


@cache
def browsable_items():
    """SELECT of the public catalogue items' id, code, name and status, by code (the
    directory's filter)."""
    return item_query().with_only_columns(
        ServiceItem.id, ServiceItem.code, ServiceItem.name, ServiceItem.status
    )


#: how many of the agencies offering an item its catalogue page lists
ITEM_PAGE_AGENCIES = 10


def offering_agencies_panel(item):
    """The catalogue item page's panel: the agencies offering the item, best credit first."""
    stmt = directory_query(item.id)
    rows = [DirectoryRow(*row) for row in db.session.execute(stmt.limit(ITEM_PAGE_AGENCIES))]
    total = db.session.scalar(
        select(func.count()).select_from(Offering).where(Offering.item_id == item.id)
    )
    return "agencies/_item_agencies.html", {"agencies": rows, "total": total or 0}
