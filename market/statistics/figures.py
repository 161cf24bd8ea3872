"""The platform's figures, each counted by the database from the rows themselves (GROUP BY;
no stored counter that could drift from them), for a period, a department and an item.

Definitions (docs/statistics.md has them with their reasons):

- registrations: organisations by the month of `created_dt`; an agency is from outside the
  region when its stated region does not begin with STATISTICS_HOME_REGION (an empty region
  is not counted as outside);
- notices: published ones (never drafts) by the month of `published_dt` and method; the
  lottery share is the share of the draw methods (DRAW_METHODS) with their stated reasons;
- awards: contracts by the month of the award (`Contract.created_dt`, the end of publicity):
  savings rate = 1 − Σ contract amount / Σ the notices' ceilings; working days from
  publication to award (the Shanghai dates, as core.workdays counts them);
- acceptance: contracts by the month of acceptance, working days from the later signature;
- competition: notices published in the period whose bidding has closed (their quotes are
  no longer sealed: never a notice still sealed, so a quote before the deadline changes no
  figure), direct invitations apart (one agency is invited, by design): responses per notice
  (the bids opened at the deadline), the share with a single response among those with any;
  the direct-selection share over every published notice;
- concentration: per item, the HHI of awarded value over its winning agencies;
- credit: agencies by grade now; disclosed conduct records (双公示: never one not yet
  disclosed, nor one revoked on appeal) by criterion and by the month of disclosure, those
  disclosed within the deadline (`publish_due_dt`), and repairs granted by their month.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, or_, select

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering
from ..catalogue.models import ServiceItem
from ..core.workdays import working_day_numbers
from ..credit.models import ConductRecord, ViolationCriterion
from ..credit.states import CONFIRMED_STATES
from ..extensions import db
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice
from ..procurement.services import OPENED_STATUSES, registered, sealed_states, taking_bids
from .filters import Filters
from .sql import LocalDay, LocalMonth

#: methods whose winner is drawn by lot (随机选取). Credit preference draws only among equal
#: best scores, and other methods only to break ties: a tie-break is not a lottery choice.
DRAW_METHODS = ("random",)
#: conduct records the public has seen disclosed and that still stand as violations; a
#: repaired one was disclosed and stays a fact of its month, a revoked one is no violation
DISCLOSED_STATES = (*CONFIRMED_STATES, "repaired")
#: reasons listed for the draw methods, most frequent first
REASONS_SHOWN = 20


# --- the filters, in SQL ------------------------------------------------------------------------


def _items_in_scope(filters: Filters):
    """SELECT of the ids of the items the filters keep, or None for every item."""
    if filters.item_id is not None:
        return select(ServiceItem.id).where(ServiceItem.id == filters.item_id)
    if filters.department:
        return select(ServiceItem.id).where(ServiceItem.approving_department == filters.department)
    return None


def _notice_scope(filters: Filters) -> list:
    items = _items_in_scope(filters)
    return [] if items is None else [Notice.item_id.in_(items)]


def _within(column, filters: Filters):
    return and_(column >= filters.since, column < filters.until)


def _organisation_scope(filters: Filters) -> list:
    """Organisations of the filtered market: agencies offering one of its items, purchasers
    that published a notice for one."""
    items = _items_in_scope(filters)
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


def _record_scope(filters: Filters) -> list:
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


# --- what the queries give ------------------------------------------------------------------------


@dataclass
class Spans:
    """Working days from one event to another, as how many took each number of days."""

    counts: dict[int, int] = field(default_factory=dict)

    def add(self, days: int, n: int) -> None:
        self.counts[days] = self.counts.get(days, 0) + n

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        return sum(d * c for d, c in self.counts.items()) / self.n if self.n else None

    @property
    def median(self) -> float | None:
        """The middle value (the mean of the two middle ones for an even count)."""
        n = self.n
        if not n:
            return None
        wanted = (n - 1) // 2, n // 2
        found, seen = [], 0
        for days in sorted(self.counts):
            seen += self.counts[days]
            while len(found) < 2 and wanted[len(found)] < seen:
                found.append(days)
        return (found[0] + found[1]) / 2


@dataclass
class Competition:
    """Closed notices by their number of responses."""

    by_responses: dict[int, int] = field(default_factory=dict)

    def add(self, responses: int, n: int) -> None:
        self.by_responses[responses] = self.by_responses.get(responses, 0) + n

    @property
    def notices(self) -> int:
        return sum(self.by_responses.values())

    @property
    def responses(self) -> int:
        return sum(r * n for r, n in self.by_responses.items())

    @property
    def mean(self) -> float | None:
        return self.responses / self.notices if self.notices else None

    @property
    def answered(self) -> int:
        """Closed notices with at least one response."""
        return sum(n for r, n in self.by_responses.items() if r > 0)

    @property
    def single(self) -> int:
        return self.by_responses.get(1, 0)

    @property
    def single_share(self) -> float | None:
        return self.single / self.answered if self.answered else None


@dataclass
class Month:
    """One month's figures."""

    agencies: int = 0
    agencies_outside: int = 0
    purchasers: int = 0
    notices: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    invitations: int = 0
    awards: int = 0
    award_fen: int = 0
    ceiling_fen: int = 0
    to_award: Spans = field(default_factory=Spans)
    to_acceptance: Spans = field(default_factory=Spans)
    competition: Competition = field(default_factory=Competition)
    disclosed: int = 0
    disclosed_on_time: int = 0
    repaired: int = 0


@dataclass
class ItemShare:
    """The awards of one item in the period, by agency (org id → (awards, fen))."""

    item_id: int
    code: str = ""
    name: str = ""
    department: str = ""
    agencies: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def awards(self) -> int:
        return sum(n for n, _ in self.agencies.values())

    @property
    def value_fen(self) -> int:
        return sum(fen for _, fen in self.agencies.values())

    @property
    def hhi(self) -> int | None:
        """Σ of each agency's squared share of the awarded value in percent (0–10,000)."""
        total = self.value_fen
        if not total:
            return None
        return round(sum((100 * fen / total) ** 2 for _, fen in self.agencies.values()))


@dataclass
class Figures:
    """Everything counted for one set of filters."""

    months: dict[str, Month]
    lottery_reasons: list[tuple[str, int]]
    items: list[ItemShare]
    grades: dict[str, int]
    violations: list[tuple[str, str, int]]  # (code, behaviour, records)

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.months.values())

    def spans(self, name: str) -> Spans:
        spans = Spans()
        for month in self.months.values():
            for days, n in getattr(month, name).counts.items():
                spans.add(days, n)
        return spans

    @property
    def competition(self) -> Competition:
        found = Competition()
        for month in self.months.values():
            for responses, n in month.competition.by_responses.items():
                found.add(responses, n)
        return found

    @property
    def by_method(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for month in self.months.values():
            for method, n in month.by_method.items():
                totals[method] = totals.get(method, 0) + n
        return totals


# --- the queries ----------------------------------------------------------------------------------


def _registrations(filters: Filters, home_region: str, months: dict[str, Month]) -> None:
    month = LocalMonth(Organisation.created_dt)
    outside = and_(
        Organisation.kind == "agency",
        Organisation.region != "",
        ~Organisation.region.startswith(home_region, autoescape=True),
    )
    rows = db.session.execute(
        select(month, Organisation.kind, func.count(), func.sum(case((outside, 1), else_=0)))
        .where(
            Organisation.kind.in_(("agency", "purchaser")),
            _within(Organisation.created_dt, filters),
            *_organisation_scope(filters),
        )
        .group_by(month, Organisation.kind)
    )
    for key, kind, n, outside_n in rows:
        if kind == "agency":
            months[key].agencies += n
            months[key].agencies_outside += int(outside_n or 0)
        else:
            months[key].purchasers += n


def _notices(filters: Filters, months: dict[str, Month]) -> None:
    month = LocalMonth(Notice.published_dt)
    invited = case((Notice.invited_org_id.is_not(None), 1), else_=0)
    rows = db.session.execute(
        select(month, Notice.method, func.count(), func.sum(invited))
        .where(_within(Notice.published_dt, filters), *_notice_scope(filters))
        .group_by(month, Notice.method)
    )
    for key, method, n, invitations in rows:
        months[key].notices += n
        months[key].by_method[method] = months[key].by_method.get(method, 0) + n
        months[key].invitations += int(invitations or 0)


def _lottery_reasons(filters: Filters) -> list[tuple[str, int]]:
    n = func.count().label("n")
    rows = db.session.execute(
        select(Notice.method_reason, n)
        .where(
            Notice.method.in_(DRAW_METHODS),
            _within(Notice.published_dt, filters),
            *_notice_scope(filters),
        )
        .group_by(Notice.method_reason)
        .order_by(n.desc(), Notice.method_reason)
        .limit(REASONS_SHOWN)
    )
    return [(reason or "（未说明）", count) for reason, count in rows]


def _awards(filters: Filters, months: dict[str, Month], spans: list) -> None:
    published = LocalDay(Notice.published_dt)
    awarded = LocalDay(Contract.created_dt)
    rows = db.session.execute(
        select(
            published,
            awarded,
            func.count(),
            func.sum(Contract.amount_fen),
            func.sum(Notice.ceiling_fen),
        )
        .join(Notice, Notice.id == Contract.notice_id)
        .where(_within(Contract.created_dt, filters), *_notice_scope(filters))
        .group_by(published, awarded)
    )
    for start, end, n, award_fen, ceiling_fen in rows:
        month = months[end[:7]]  # the award's month is its day's
        month.awards += n
        month.award_fen += int(award_fen or 0)
        month.ceiling_fen += int(ceiling_fen or 0)
        spans.append((month.to_award, start, end, n))


def _acceptances(filters: Filters, months: dict[str, Month], spans: list) -> None:
    later = case(
        (Contract.purchaser_signed_dt > Contract.agency_signed_dt, Contract.purchaser_signed_dt),
        else_=Contract.agency_signed_dt,
    )
    signed = LocalDay(later)
    accepted = LocalDay(Contract.accepted_dt)
    scope = _notice_scope(filters)
    stmt = (
        select(signed, accepted, func.count())
        .where(
            _within(Contract.accepted_dt, filters),
            Contract.purchaser_signed_dt.is_not(None),
            Contract.agency_signed_dt.is_not(None),
        )
        .group_by(signed, accepted)
    )
    if scope:
        stmt = stmt.join(Notice, Notice.id == Contract.notice_id).where(*scope)
    for start, end, n in db.session.execute(stmt):
        spans.append((months[end[:7]].to_acceptance, start, end, n))


def _competition(filters: Filters, months: dict[str, Month]) -> None:
    # Only notices whose quotes are no longer sealed (procurement's sealed states: before the
    # deadline, and cancelled ones): nothing of a sealed quote, not even that it exists,
    # reaches any figure. Responses are the bids opened at the deadline, as the notice page
    # counts them (current revision, excluded ones included).
    month = LocalMonth(Notice.published_dt)
    opened = and_(
        Bid.notice_id == Notice.id,
        Bid.status.in_(OPENED_STATUSES),
        Bid.notice_revision == Notice.revision,
    )
    closed = (
        select(month.label("month"), func.count(Bid.id).label("responses"))
        .select_from(Notice)
        .outerjoin(Bid, opened)
        .where(
            _within(Notice.published_dt, filters),
            Notice.state.not_in(sealed_states()),
            Notice.invited_org_id.is_(None),
            *_notice_scope(filters),
        )
        .group_by(Notice.id)
        .subquery()
    )
    rows = db.session.execute(
        select(closed.c.month, closed.c.responses, func.count()).group_by(
            closed.c.month, closed.c.responses
        )
    )
    for key, n_responses, n in rows:
        months[key].competition.add(int(n_responses), n)


def _concentration(filters: Filters) -> list[ItemShare]:
    rows = db.session.execute(
        select(Notice.item_id, Contract.agency_org_id, func.count(), func.sum(Contract.amount_fen))
        .join(Notice, Notice.id == Contract.notice_id)
        .where(_within(Contract.created_dt, filters), *_notice_scope(filters))
        .group_by(Notice.item_id, Contract.agency_org_id)
    )
    items: dict[int, ItemShare] = {}
    for item_id, agency_id, n, fen in rows:
        items.setdefault(item_id, ItemShare(item_id)).agencies[agency_id] = (n, int(fen or 0))
    if items:
        for item_id, code, name, department in db.session.execute(
            select(
                ServiceItem.id,
                ServiceItem.code,
                ServiceItem.name,
                ServiceItem.approving_department,
            ).where(ServiceItem.id.in_(list(items)))
        ):
            share = items[item_id]
            share.code, share.name, share.department = code, name, department
    return sorted(items.values(), key=lambda s: (-s.value_fen, s.code))


def _grades(filters: Filters) -> dict[str, int]:
    scope = []
    items = _items_in_scope(filters)
    if items is not None:
        scope.append(
            Agency.org_id.in_(select(Offering.agency_id).where(Offering.item_id.in_(items)))
        )
    rows = db.session.execute(
        select(Agency.credit_grade, func.count()).where(*scope).group_by(Agency.credit_grade)
    )
    found = dict.fromkeys("ABCD", 0)
    for grade, n in rows:
        found[grade] = n
    return found


def _disclosed(filters: Filters):
    return (
        ConductRecord.published_dt.is_not(None),
        ConductRecord.status.in_(DISCLOSED_STATES),
        *_record_scope(filters),
    )


def _violations(filters: Filters) -> list[tuple[str, str, int]]:
    n = func.count().label("n")
    rows = db.session.execute(
        select(ViolationCriterion.code, n)
        .select_from(ConductRecord)
        .join(ViolationCriterion, ViolationCriterion.id == ConductRecord.criterion_id)
        .where(*_disclosed(filters), _within(ConductRecord.published_dt, filters))
        .group_by(ViolationCriterion.code)
        .order_by(n.desc(), ViolationCriterion.code)
    ).all()
    if not rows:
        return []
    behaviours = {}
    # a code's latest version names it (records keep the version they were judged under)
    for code, behaviour in db.session.execute(
        select(ViolationCriterion.code, ViolationCriterion.behaviour)
        .where(ViolationCriterion.code.in_([code for code, _ in rows]))
        .order_by(ViolationCriterion.code, ViolationCriterion.version)
    ):
        behaviours[code] = behaviour
    return [(code, behaviours.get(code, ""), count) for code, count in rows]


def _disclosures(filters: Filters, months: dict[str, Month]) -> None:
    month = LocalMonth(ConductRecord.published_dt)
    on_time = case((ConductRecord.published_dt <= ConductRecord.publish_due_dt, 1), else_=0)
    rows = db.session.execute(
        select(month, func.count(), func.sum(on_time))
        .where(*_disclosed(filters), _within(ConductRecord.published_dt, filters))
        .group_by(month)
    )
    for key, n, in_time in rows:
        months[key].disclosed += n
        months[key].disclosed_on_time += int(in_time or 0)
    repaired_month = LocalMonth(ConductRecord.repaired_dt)
    rows = db.session.execute(
        select(repaired_month, func.count())
        .where(
            ConductRecord.status == "repaired",
            *_disclosed(filters),
            _within(ConductRecord.repaired_dt, filters),
        )
        .group_by(repaired_month)
    )
    for key, n in rows:
        months[key].repaired += n


def _count_spans(spans: list) -> None:
    """Working days of each (span, start day, end day, count), on the official calendar: one
    pass over the days the spans cover."""
    if not spans:
        return
    days = {d for _, start, end, _ in spans for d in (start, end)}
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    numbers = {day.isoformat(): n for day, n in working_day_numbers(first, last).items()}
    for target, start, end, n in spans:
        target.add(max(numbers[end] - numbers[start], 0), n)


def count_figures(filters: Filters, home_region: str) -> Figures:
    """Every figure for `filters`, counted now from the data (a fixed number of queries)."""
    months = {key: Month() for key in filters.months}
    spans: list = []
    _registrations(filters, home_region, months)
    _notices(filters, months)
    _awards(filters, months, spans)
    _acceptances(filters, months, spans)
    _competition(filters, months)
    _disclosures(filters, months)
    _count_spans(spans)
    return Figures(
        months=months,
        lottery_reasons=_lottery_reasons(filters),
        items=_concentration(filters),
        grades=_grades(filters),
        violations=_violations(filters),
    )


# --- the overview: the home page's figures --------------------------------------------------------


#: the overview's figures, in the order the pages show them
OVERVIEW = (
    ("agencies", "入驻中介机构"),
    ("purchasers", "入驻采购人"),
    ("items_online", "已上线服务事项"),
    ("notices_open", "报价中公告"),
    ("contracts", "已签约项目"),
    ("contract_total_fen", "累计成交金额"),
)


def count_overview(filters: Filters | None, now) -> dict[str, int]:
    """The platform to date (the period aside), in one query: organisations, items online,
    notices taking quotes now, contracts both parties signed and their total."""
    items = _items_in_scope(filters) if filters else None
    notice_scope = _notice_scope(filters) if filters else []
    # A contract counts once both parties have signed it: an award may still lapse unsigned.
    signed = and_(
        Contract.purchaser_signed_dt.is_not(None),
        Contract.agency_signed_dt.is_not(None),
        *([Contract.notice_id.in_(select(Notice.id).where(*notice_scope))] if notice_scope else []),
    )
    organisations = _organisation_scope(filters) if filters else []
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
        "notices_open": select(func.count())
        .select_from(Notice)
        .where(taking_bids(now), *notice_scope),
        "contracts": select(func.count(Contract.id)).where(signed),
        "contract_total_fen": select(func.coalesce(func.sum(Contract.amount_fen), 0)).where(signed),
    }
    row = db.session.execute(
        select(*(stmt.scalar_subquery().label(name) for name, stmt in figures.items()))
    ).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def method_labels() -> dict[str, str]:
    """Each registered selection method's label, in their listed order."""
    return {key: method.label for key, method in registered().items()}
