"""Reminders of close deadlines: one to each party that must act before a notice's deadline
falls within DEADLINE_REMINDER_WORKING_DAYS working days (the worker sends them)."""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.clock import to_local, utcnow
from ..core.i18n import _l
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
                    _l("「%(title)s」报价即将截止，请重新确认报价", title=title),
                    _l(
                        "公告修改后您的报价尚未重新确认，报价截止时间为 %(deadline)s，"
                        "逾期未确认的报价不参加选取。",
                        deadline=_when(deadline),
                    ),
                )
    elif notice.state == "awarded" and contract is not None:
        deadline = notice.sign_deadline_dt
        for party in ("purchaser", "agency"):
            if getattr(contract, f"{party}_signed_dt") is None:
                yield (
                    getattr(contract, f"{party}_org_id"),
                    "sign",
                    deadline,
                    _l("「%(title)s」合同签订即将到期", title=title),
                    _l(
                        "请在 %(deadline)s 前签订合同，逾期未签订的将终止本次采购。",
                        deadline=_when(deadline),
                    ),
                )
    elif notice.state == "delivered":
        deadline = notice.accept_deadline_dt
        yield (
            notice.purchaser_org_id,
            "accept",
            deadline,
            _l("「%(title)s」验收即将到期", title=title),
            _l(
                "请在 %(deadline)s 前验收或退回交付成果，逾期将自动验收。",
                deadline=_when(deadline),
            ),
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
                    _l("「%(title)s」评价即将截止", title=title),
                    _l("请在 %(deadline)s 前完成评价，逾期视为未评价。", deadline=_when(deadline)),
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
