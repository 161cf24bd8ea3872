"""Reminders of close deadlines: one to each party that must act before a notice's deadline
falls within DEADLINE_REMINDER_WORKING_DAYS working days (the worker sends them)."""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.clock import to_local, utcnow
from ..core.workdays import add_working_days
from ..extensions import db
from ..notifications.services import link_to, notify
from .contract_models import Contract
from .evaluations import DIRECTION_OF_PARTY
from .models import Notice


def _when(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def _reminders(notice):
    """(org id, what, deadline, title, body) for each party that still has to act."""
    contract = notice.contract
    title = notice.title
    if notice.state == "published":
        deadline = notice.deadline_dt
        for bid in notice.bids:
            if bid.status == "invalidated":
                yield (
                    bid.agency_org_id,
                    "reconfirm",
                    deadline,
                    f"「{title}」报价即将截止，请重新确认报价",
                    f"公告修改后您的报价尚未重新确认，报价截止时间为 {_when(deadline)}，"
                    "逾期未确认的报价不参加选取。",
                )
    elif notice.state == "awarded" and contract is not None:
        deadline = notice.sign_deadline_dt
        for party in ("purchaser", "agency"):
            if getattr(contract, f"{party}_signed_dt") is None:
                yield (
                    getattr(contract, f"{party}_org_id"),
                    "sign",
                    deadline,
                    f"「{title}」合同签订即将到期",
                    f"请在 {_when(deadline)} 前签订合同，逾期未签订的将终止本次采购。",
                )
    elif notice.state == "delivered":
        deadline = notice.accept_deadline_dt
        yield (
            notice.purchaser_org_id,
            "accept",
            deadline,
            f"「{title}」验收即将到期",
            f"请在 {_when(deadline)} 前验收或退回交付成果，逾期将自动验收。",
        )
    elif notice.state == "accepted" and contract is not None:
        deadline = notice.evaluation_end_dt
        given = {e.direction for e in contract.evaluations}
        for party, direction in DIRECTION_OF_PARTY.items():
            if direction not in given:
                yield (
                    getattr(contract, f"{party}_org_id"),
                    "evaluate",
                    deadline,
                    f"「{title}」评价即将截止",
                    f"请在 {_when(deadline)} 前完成评价，逾期视为未评价。",
                )


#: states in which a party must act before the state's deadline (notice.due_dt)
REMINDED_STATES = ("published", "awarded", "delivered", "accepted")


def remind_due(now=None) -> int:
    """One reminder to each party that must act before a deadline falling within
    DEADLINE_REMINDER_WORKING_DAYS working days; returns how many were sent (a rerun adds
    none: each reminder has a dedupe key naming the deadline)."""
    now = now or utcnow()
    horizon = add_working_days(now, current_app.config["DEADLINE_REMINDER_WORKING_DAYS"])
    notices = db.session.scalars(
        select(Notice)
        .where(Notice.state.in_(REMINDED_STATES), Notice.due_dt > now, Notice.due_dt <= horizon)
        .options(
            selectinload(Notice.bids),
            selectinload(Notice.contract).selectinload(Contract.evaluations),
        )
        .order_by(Notice.due_dt, Notice.id)
    ).all()
    sent = 0
    for notice in notices:
        link = link_to("procurement.detail", notice_id=notice.id)
        for org_id, what, deadline, title, body in _reminders(notice):
            key = f"due:{notice.id}:{what}:{org_id}:{deadline:%Y%m%d%H%M}"
            if notify(org_id, "due_soon", title, body, link, dedupe_key=key) is not None:
                sent += 1
    db.session.flush()
    return sent
