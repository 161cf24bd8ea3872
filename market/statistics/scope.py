"""The filters (period, department, item) as SQL conditions on each kind of row."""

from sqlalchemy import and_, or_, select

from ..accounts.models import Organisation
from ..agencies.models import Offering
from ..catalogue.models import ServiceItem
from ..credit.models import ConductRecord
from ..procurement.models import Notice
from .filters import Filters


def items_in_scope(filters: Filters):
    """SELECT of the ids of the items the filters keep, or None for every item."""
    if filters.item_id is not None:
        return select(ServiceItem.id).where(ServiceItem.id == filters.item_id)
    if filters.department:
        return select(ServiceItem.id).where(ServiceItem.approving_department == filters.department)
    return None


def notice_scope(filters: Filters) -> list:
    """Notices of the filtered items (none: every notice)."""
    items = items_in_scope(filters)
    return [] if items is None else [Notice.item_id.in_(items)]


def within(column, filters: Filters):
    """`column` within the filters' period (from its first instant to the end's)."""
    return and_(column >= filters.since, column < filters.until)


def organisation_scope(filters: Filters) -> list:
    """Organisations of the filtered market: agencies offering one of its items, purchasers
    that published a notice for one."""
    items = items_in_scope(filters)
    if items is None:
        return []
    # IN (…) rather than EXISTS: the item's offerings and notices are found by their item
    # index once, not looked up organisation by organisation
    offering = select(Offering.agency_id).where(Offering.item_id.in_(items))
    buying = select(Notice.purchaser_org_id).where(
        Notice.item_id.in_(items), Notice.published_dt.is_not(None)
    )
    return [
        or_(
            and_(Organisation.kind == "agency", Organisation.id.in_(offering)),
            and_(Organisation.kind == "purchaser", Organisation.id.in_(buying)),
        )
    ]


def record_scope(filters: Filters) -> list:
    """Conduct records of the filtered market: of its department, or about its item's
    notices (a record made without a notice belongs to no item)."""
    scope = []
    if filters.department:
        scope.append(ConductRecord.department == filters.department)
    if filters.item_id is not None:
        scope.append(
            ConductRecord.notice_id.in_(select(Notice.id).where(Notice.item_id == filters.item_id))
        )
    return scope
