"""A purchaser's public payment record: of its milestones that fell due, how many were paid
on time, how late the late ones were (median days), and how many are overdue now. Computed
from the milestones each time (no counter to drift); a purchaser's milestones are a few
hundred at most."""

from dataclasses import dataclass
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.clock import local_today, to_local, utcnow
from ..extensions import db
from ..procurement.contract_models import Contract
from .models import Milestone

#: states in which a milestone no longer counts as owed or paid (never due, or cancelled)
NOT_COUNTED = ("scheduled", "cancelled")


@dataclass
class PaymentRecord:
    #: milestones that fell due and were paid (recorded, held, paid, refunded)
    paid: int
    on_time: int
    #: unpaid past the due date now
    overdue: int
    median_days_late: float | None

    @property
    def judged(self) -> int:
        return self.paid + self.overdue

    @property
    def on_time_share(self) -> float | None:
        """Paid on time among those paid or overdue (None with nothing to judge)."""
        return self.on_time / self.judged if self.judged else None


def purchaser_record(org_id: int, now=None) -> PaymentRecord:
    now = now or utcnow()
    rows = db.session.execute(
        select(Milestone.due_dt, Milestone.paid_dt).where(
            Milestone.purchaser_org_id == org_id,
            Milestone.due_dt.is_not(None),
            Milestone.state.not_in(NOT_COUNTED),
        )
    ).all()
    late_days, paid, on_time, overdue = [], 0, 0, 0
    today = local_today(now)
    for due_dt, paid_dt in rows:
        due_day = to_local(due_dt).date()
        if paid_dt is not None:
            paid += 1
            days = (to_local(paid_dt).date() - due_day).days
            if days <= 0:
                on_time += 1
            else:
                late_days.append(days)
        elif due_dt < now:
            overdue += 1
            late_days.append(max(1, (today - due_day).days))
    return PaymentRecord(
        paid=paid,
        on_time=on_time,
        overdue=overdue,
        median_days_late=median(late_days) if late_days else None,
    )


def recent_milestones(org_id: int, limit: int) -> list[Milestone]:
    """The purchaser's milestones latest due first, with their contracts and notices."""
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.purchaser_org_id == org_id, Milestone.due_dt.is_not(None))
            .order_by(Milestone.due_dt.desc())
            .limit(limit)
            .options(selectinload(Milestone.contract).selectinload(Contract.notice))
        )
    )
