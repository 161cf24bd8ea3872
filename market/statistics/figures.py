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

from datetime import date

from sqlalchemy import and_, case, func, select

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering
from ..catalogue.models import ServiceItem
from ..core.workdays import working_day_numbers
from ..credit.models import ConductRecord, ViolationCriterion
from ..credit.states import CONFIRMED_STATES
from ..extensions import db
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice
from ..procurement.services import OPENED_STATUSES, registered, sealed_states
from .filters import Filters
from .scope import items_in_scope, notice_scope, organisation_scope, record_scope, within
from .sql import LocalDay, LocalMonth
from .tallies import Figures, ItemShare, Month

#: methods whose winner is drawn by lot (随机选取). Credit preference draws only among equal
#: best scores, and other methods only to break ties: a tie-break is not a lottery choice.
DRAW_METHODS = ("random",)
#: conduct records the public has seen disclosed and that still stand as violations; a
#: repaired one was disclosed and stays a fact of its month, a revoked one is no violation
DISCLOSED_STATES = (*CONFIRMED_STATES, "repaired")
#: reasons listed for the draw methods, most frequent first
REASONS_SHOWN = 20


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
            within(Organisation.created_dt, filters),
            *organisation_scope(filters),
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
        .where(within(Notice.published_dt, filters), *notice_scope(filters))
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
            within(Notice.published_dt, filters),
            *notice_scope(filters),
        )
        .group_by(Notice.method_reason)
        .order_by(n.desc(), Notice.method_reason)
        .limit(REASONS_SHOWN)
    )
    # an unstated reason is named when shown (sections.py): what is kept holds no words
    return [(reason, count) for reason, count in rows]


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
        .where(within(Contract.created_dt, filters), *notice_scope(filters))
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
    scope = notice_scope(filters)
    stmt = (
        select(signed, accepted, func.count())
        .where(
            within(Contract.accepted_dt, filters),
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
            within(Notice.published_dt, filters),
            Notice.state.not_in(sealed_states()),
            Notice.invited_org_id.is_(None),
            *notice_scope(filters),
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
        .where(within(Contract.created_dt, filters), *notice_scope(filters))
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
    items = items_in_scope(filters)
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
        *record_scope(filters),
    )


def _violations(filters: Filters) -> list[tuple[str, str, int]]:
    n = func.count().label("n")
    rows = db.session.execute(
        select(ViolationCriterion.code, n)
        .select_from(ConductRecord)
        .join(ViolationCriterion, ViolationCriterion.id == ConductRecord.criterion_id)
        .where(*_disclosed(filters), within(ConductRecord.published_dt, filters))
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
        .where(*_disclosed(filters), within(ConductRecord.published_dt, filters))
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
            within(ConductRecord.repaired_dt, filters),
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


def method_labels() -> dict[str, str]:
    """Each registered selection method's label, in their listed order."""
    return {key: method.label for key, method in registered().items()}
