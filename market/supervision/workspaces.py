"""What each role's workspace (工作台) shows: counts by SQL, short lists with their related rows
loaded up front, so a workspace costs the same few queries however much data there is.

An agency's and a purchaser's workspace apply their own notices that came due (at most
`due_limit`) before counting them, so no count includes a notice whose deadline has passed;
supervisors' workspaces span every notice, which the worker keeps up to date (`due_limit` is
theirs only to share the signature)."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agencies.models import Agency, Qualification
from ..agencies.qualifications import pending_for_department
from ..catalogue.models import ServiceItem
from ..core.failures import unhandled_query as unhandled_failures
from ..credit.inspections.models import Inspection, InspectionPlan
from ..credit.records.lists import awaiting
from ..credit.risk.models import RiskAlert
from ..extensions import db
from ..payments import services as payments
from ..procurement.models import Notice, Objection
from ..procurement.services import lottery_share, rectification_rates
from ..statistics import services as statistics
from . import services
from .agency_workspace import agency_workspace
from .lists import LONG_LIST, count_of, first_rows
from .purchaser_workspace import purchaser_workspace

# --- regulator ---------------------------------------------------------------------------


@dataclass
class RegulatorWorkspace:
    department: str
    pending_count: int = 0
    pending: list[Qualification] = field(default_factory=list)
    objections_count: int = 0
    objections: list[Objection] = field(default_factory=list)
    #: conduct records to act on, by kind (credit.lists.awaiting)
    credit: dict = field(default_factory=dict)
    #: payments whose receipt the agency disputes, decided by the department
    payment_disputes: int = 0
    open_alerts: int = 0
    pending_inspections: int = 0
    #: the system's follow-up work that failed and waits for someone (core.failures)
    failures_count: int = 0
    failures: list = field(default_factory=list)


def regulator_workspace(org, due_limit: int = 0) -> RegulatorWorkspace:
    """Declarations of the department's items waiting for verification, and objections to
    results of its items waiting for a decision; oldest first."""
    department = (org.department or "").strip()
    workspace = RegulatorWorkspace(department)
    workspace.failures_count, workspace.failures = first_rows(unhandled_failures())
    if not department:
        return workspace
    stmt = pending_for_department(department)
    workspace.pending_count = count_of(stmt)
    if workspace.pending_count:
        workspace.pending = list(
            db.session.scalars(
                stmt.options(
                    selectinload(Qualification.agency).selectinload(Agency.organisation)
                ).limit(LONG_LIST)
            )
        )
    # Open ones too, not only those the purchaser answered: a purchaser's silence must not
    # hold a notice up, so the regulator may decide either.
    workspace.objections_count, workspace.objections = first_rows(
        select(Objection)
        .join(Objection.notice)
        .join(Notice.item)
        .where(
            ServiceItem.approving_department == department,
            Objection.status.in_(("open", "answered")),
        )
        .options(selectinload(Objection.notice), selectinload(Objection.objector))
        .order_by(Objection.created_dt, Objection.id),
        LONG_LIST,
    )
    workspace.credit = awaiting(department)
    workspace.payment_disputes = count_of(payments.disputes_query(department))
    workspace.open_alerts = count_of(
        select(RiskAlert).where(RiskAlert.department == department, RiskAlert.status == "open")
    )
    workspace.pending_inspections = count_of(
        select(Inspection)
        .join(InspectionPlan)
        .where(InspectionPlan.department == department, Inspection.result == "pending")
    )
    return workspace


# --- operator ----------------------------------------------------------------------------


@dataclass
class OperatorWorkspace:
    #: the public live figures (see services.live_figures)
    figures: dict[str, int]
    #: notices decided by a lottery (a random draw or a tie-break draw), of those selected
    lottery_count: int
    selected_count: int
    #: rectification cases, and the shares answered and followed up (None without a case)
    cases: int
    answered_share: float | None
    followed_share: float | None
    failures_count: int = 0
    failures: list = field(default_factory=list)
    #: the statistics page's figures for its default period (the last twelve months)
    stats: "statistics.Statistics | None" = None

    @property
    def overview_labels(self) -> tuple:
        return statistics.overview_labels()

    @property
    def lottery_share(self) -> float | None:
        return self.lottery_count / self.selected_count if self.selected_count else None


def operator_workspace(org, due_limit: int = 0) -> OperatorWorkspace:
    """The platform's live figures and the statistics' charts (the last twelve months), the
    share of notices decided by lottery, and the rectification and follow-up rates."""
    drawn, selected, _ = lottery_share()
    cases, answered, followed = rectification_rates()
    failures_count, failures = first_rows(unhandled_failures())
    return OperatorWorkspace(
        services.live_figures(),
        drawn,
        selected,
        cases,
        answered,
        followed,
        failures_count,
        failures,
        statistics.statistics(statistics.read_filters({})),
    )


WORKSPACES = {
    "agency": agency_workspace,
    "purchaser": purchaser_workspace,
    "regulator": regulator_workspace,
    "operator": operator_workspace,
}
