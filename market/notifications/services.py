"""The inbox and its e-mail: notify an organisation, remind parties of close deadlines, read."""

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..accounts.models import Membership, Organisation, User
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed
from ..core.mail import send_mail_after_commit
from ..core.workdays import add_working_days
from ..extensions import db
from .models import Notification

KIND_LABELS = {
    "new_notice": "新的匹配公告",
    "bid_invalidated": "报价需重新确认",
    "selected": "选取结果",
    "publicity": "结果公示",
    "objection": "异议",
    "sign": "签订合同",
    "accept": "验收",
    "evaluate": "评价",
    "ended": "项目终止",
    "due_soon": "期限提醒",
    "credit": "信用记录",
}


def link_to(endpoint: str, **values) -> str:
    """The path of a page (a notification's link), built without a request: the runner and
    the CLI have none."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _absolute(link: str) -> str:
    server = current_app.config.get("SERVER_NAME")
    if not link or not server:
        return link
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server}{link}"


def recipients(org: Organisation) -> list[str]:
    """Who reads an organisation's mail: its authorised person (业务授权人), else its admins."""
    person = org.authorised_user
    if person is not None and person.active:
        return [person.email]
    admins = db.session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == org.id,
            Membership.role == "admin",
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    return list(admins)


def _mail_body(org: Organisation, body: str, link: str) -> str:
    lines = [f"{org.name}：", "", body]
    if link:
        lines += ["", f"详情请登录网上中介超市查看：{_absolute(link)}"]
    lines += ["", "此邮件由网上中介超市自动发送，请勿直接回复。"]
    return "\n".join(lines) + "\n"


def notify(org_id: int, kind: str, title: str, body: str, link: str, dedupe_key=None):
    """Put a notification in the organisation's inbox and e-mail it (after the commit); with
    a dedupe key, only once ever. Returns the notification, or None if it was a repeat."""
    # Nothing this reads depends on rows still pending: no flush of the whole session for each
    # notification (the runner writes thousands); the rows go in with the next flush.
    with db.session.no_autoflush:
        if dedupe_key is not None:
            seen = db.session.scalar(
                select(Notification.id).where(Notification.dedupe_key == dedupe_key)
            )
            pending = (
                o
                for o in db.session.new
                if isinstance(o, Notification) and o.dedupe_key == dedupe_key
            )
            if seen is not None or next(pending, None) is not None:
                return None
        org = db.session.get(Organisation, org_id)
        notification = Notification(
            org_id=org_id,
            kind=kind,
            title=title,
            body=body,
            link=link or "",
            dedupe_key=dedupe_key,
            created_dt=utcnow(),
        )
        db.session.add(notification)
        to = recipients(org)
        if to:
            send_mail_after_commit(to, f"【网上中介超市】{title}", _mail_body(org, body, link))
    return notification


# --- reminders ------------------------------------------------------------------------------


def _when(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def _reminders(notice):
    """(org id, what, deadline, title, body) for each party that still has to act."""
    from ..procurement.evaluations import DIRECTION_OF_PARTY

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
    from ..procurement.contract_models import Contract
    from ..procurement.models import Notice

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


# --- the inbox ------------------------------------------------------------------------------


def _org_id(user) -> int:
    org = getattr(user, "organisation", None)
    if org is None:
        raise NotAllowed("只有所属单位的成员可以查看消息")
    return org.id


def inbox_query(user):
    """The user's organisation's notifications: unread first, then newest first."""
    return (
        select(Notification)
        .where(Notification.org_id == _org_id(user))
        .order_by(Notification.read_dt.is_not(None), Notification.id.desc())
    )


def unread_count(user) -> int:
    """How many of the user's organisation's notifications are unread (0 without one)."""
    org = getattr(user, "organisation", None)
    if org is None:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.org_id == org.id, Notification.read_dt.is_(None)
        )
    )


def own_notification(user, notification_id: int) -> Notification | None:
    """The notification if it belongs to the user's organisation (else None: not found)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.org_id != _org_id(user):
        return None
    return notification


def mark_read(notification: Notification) -> None:
    """Mark one notification read (once: the first reading time stays)."""
    if notification.read_dt is None:
        notification.read_dt = utcnow()
    db.session.flush()


def mark_all_read(user) -> int:
    """Mark every unread notification of the user's organisation read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.org_id == _org_id(user), Notification.read_dt.is_(None))
        .values(read_dt=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
