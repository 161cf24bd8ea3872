"""The overview: the platform to date, the home page's figures and the statistics page's
first row, in one query."""

from sqlalchemy import and_, func, select

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.i18n import _l
from ..extensions import db
from ..procurement.contract_models import Contract
from ..procurement.models import Notice
from ..procurement.services import taking_bids
from .filters import Filters
from .scope import items_in_scope, notice_scope, organisation_scope

#: the overview's figures, in the order the pages show them
OVERVIEW = (
    ("agencies", _l("入驻中介机构")),
    ("purchasers", _l("入驻采购人")),
    ("items_online", _l("已上线服务事项")),
    ("notices_open", _l("报价中公告")),
    ("contracts", _l("已签约项目")),
    ("contract_total_fen", _l("累计成交金额")),
)


def count_overview(filters: Filters | None, now) -> dict[str, int]:
    """The platform to date (the period aside), in one query: organisations, items online,
    notices taking quotes now, contracts both parties signed and their total."""
    items = items_in_scope(filters) if filters else None
    notices = notice_scope(filters) if filters else []
    # A contract counts once both parties have signed it: an award may still lapse unsigned.
    signed = and_(
        Contract.purchaser_signed_dt.is_not(None),
        Contract.agency_signed_dt.is_not(None),
        *([Contract.notice_id.in_(select(Notice.id).where(*notices))] if notices else []),
    )
    organisations = organisation_scope(filters) if filters else []
    figures = {
        "agencies": select(func.count())
        .select_from(Organisation)
        .where(Organisation.kind == "agency", *organisations),
        "purchasers": select(func.count())
        .select_from(Organisation)
        .where(Organisation.kind == "purchaser", *organisations),
        "items_online": select(func.count())
        .select_from(ServiceItem)
        .where(
            ServiceItem.status == "online",
            *([] if items is None else [ServiceItem.id.in_(items)]),
        ),
        # Taking quotes now: a notice past its deadline is not, even before the worker runs.
        "notices_open": select(func.count()).select_from(Notice).where(taking_bids(now), *notices),
        "contracts": select(func.count(Contract.id)).where(signed),
        "contract_total_fen": select(func.coalesce(func.sum(Contract.amount_fen), 0)).where(signed),
    }
    row = db.session.execute(
        select(*(stmt.scalar_subquery().label(name) for name, stmt in figures.items()))
    ).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}
