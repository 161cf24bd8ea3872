"""The contract's milestones made from its notice's plan, falling due when their event comes,
overdue past their due date (the purchaser reminded), reported as late after the grace; the
deadlines applied by the worker and by the pages that show a milestone."""

from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select

from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.i18n import _l
from ..core.money import format_fen
from ..core.signals import payment_overdue
from ..core.workdays import add_working_days
from ..extensions import db
from ..notifications.services import notify
from ..procurement import services as procurement
from ..procurement.contract_models import Contract
from .access import contract_milestones, notice_link
from .held import refund
from .models import Milestone
from .states import MILESTONE, change

#: how many milestones one round of the worker handles (one transaction)
ROUND = 500


def create_milestones(contract: Contract) -> list[Milestone]:
    """The contract's milestones from its notice's payment plan, in fen that add up to the
    contract amount (the last takes what rounding leaves)."""
    plan = contract.notice.payment_plan or procurement.default_plan()
    amounts = procurement.split_amount(contract.amount_fen, plan)
    rows = [
        Milestone(
            contract=contract,
            purchaser_org_id=contract.purchaser_org_id,
            agency_org_id=contract.agency_org_id,
            position=position,
            label=m["label"],
            percent=m["percent"],
            event=m["event"],
            due_working_days=m["days"],
            amount_fen=amount,
            state="scheduled",
            created_dt=contract.created_dt,
        )
        for position, (m, amount) in enumerate(zip(plan, amounts, strict=True), start=1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def event_happened(contract: Contract, event: str, at: datetime) -> list[Milestone]:
    """The contract reached `event` (signed, accepted): its milestones waiting for it fall
    due, each its working days later; the purchaser is told when."""
    started = []
    for milestone in contract_milestones(contract.id):
        if milestone.state != "scheduled" or milestone.event != event:
            continue
        milestone.due_dt = add_working_days(at, milestone.due_working_days)
        change(milestone, "due", "system", at=at, due=milestone.due_dt.isoformat())
        started.append(milestone)
        notify(
            contract.purchaser_org_id,
            "payment_due",
            _l(
                "请按期支付「%(title)s」的%(milestone)s",
                title=contract.notice.title,
                milestone=milestone.label,
            ),
            _l(
                "%(milestone)s %(amount)s，应于 %(due)s 前支付。",
                milestone=milestone.label,
                amount=format_fen(milestone.amount_fen),
                due=f"{to_local(milestone.due_dt):%Y-%m-%d %H:%M}",
            ),
            notice_link(contract),
        )
    return started


def contract_ended(contract: Contract, at: datetime, reason: str) -> None:
    """The contract was terminated: milestones whose event never came, or not yet late, are
    cancelled; held funds go back to the purchaser in full. A milestone already late stays
    owed (and reported)."""
    for milestone in contract_milestones(contract.id):
        if milestone.state in ("scheduled", "due"):
            milestone.due_dt = None
            change(milestone, "cancelled", "system", at=at, reason=reason)
        elif milestone.state == "held":
            refund(milestone, milestone.amount_fen, reason, actor=None)


@MILESTONE.when_due("due")
def became_overdue(milestone: Milestone, at: datetime) -> None:
    """Past its due date unpaid: the purchaser is reminded, and told when it will be reported
    under the late-payment criterion if it still does not pay."""
    milestone.report_dt = add_working_days(at, current_app.config["PAYMENT_REPORT_WORKING_DAYS"])
    change(milestone, "overdue", "system", at=at)
    milestone.reminded_dt = at
    contract = milestone.contract
    notify(
        contract.purchaser_org_id,
        "payment_overdue",
        _l(
            "「%(title)s」的%(milestone)s已逾期",
            title=contract.notice.title,
            milestone=milestone.label,
        ),
        _l(
            "%(milestone)s %(amount)s 应于 %(due)s 前支付，至今未付。"
            "%(report)s 前仍未支付的，将按逾期付款记入本单位信用记录。",
            milestone=milestone.label,
            amount=format_fen(milestone.amount_fen),
            due=f"{to_local(at):%Y-%m-%d %H:%M}",
            report=f"{to_local(milestone.report_dt):%Y-%m-%d %H:%M}",
        ),
        notice_link(contract),
        dedupe_key=f"milestone:{milestone.id}:overdue",
    )


@MILESTONE.when_due("overdue")
def report_late(milestone: Milestone, at: datetime) -> None:
    """Still unpaid after the reminder's grace: reported as a late payment (credit files the
    report under whichever criterion its mapping names for the fact)."""
    milestone.report_dt = None
    milestone.reported_dt = at
    record_event(
        "contract",
        milestone.contract_id,
        "payment_reported",
        public=False,
        occurred_dt=at,
        data={"milestone_id": milestone.id, "due": milestone.due_dt.isoformat()},
    )
    payment_overdue.send(
        milestone.contract,
        purchaser_org_id=milestone.purchaser_org_id,
        due_dt=milestone.due_dt,
        milestone_id=milestone.id,
        milestone_label=milestone.label,
        amount_fen=milestone.amount_fen,
    )


def apply_due(milestone: Milestone, now=None) -> bool:
    """Apply what is due on one milestone at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    while (due := MILESTONE.due_of(milestone)) is not None and due <= now:
        before = (milestone.state, due)
        MILESTONE.due_handler(milestone.state)(milestone, due)
        if (milestone.state, MILESTONE.due_of(milestone)) == before:
            break  # a handler that changed nothing: never loop
        changed = True
    return changed


def apply_due_of_contract(contract_id: int, now=None) -> bool:
    """Bring a contract's milestones up to date (a page showing them calls this)."""
    changed = False
    for milestone in contract_milestones(contract_id):
        changed |= apply_due(milestone, now)
    return changed


def run_due(now=None, limit: int = ROUND) -> int:
    """Apply due milestone deadlines across all contracts (the worker); returns how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Milestone)
        .where(
            or_(
                (Milestone.state == "due") & (Milestone.due_dt <= now),
                (Milestone.state == "overdue") & (Milestone.report_dt <= now),
            )
        )
        .order_by(Milestone.id)
        .limit(limit)
    ).all()
    return sum(apply_due(m, now) for m in due)


def load(milestone_id: int) -> Milestone | None:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is not None:
        apply_due(milestone)
    return milestone
