"""The inbox and its e-mail: notify an organisation (any domain may), list and read."""

from functools import cache, lru_cache

from flask import current_app
from sqlalchemy import Select, bindparam, func, select, update

from ..accounts.models import Membership, Organisation, User
from ..core.clock import utcnow
from ..core.errors import NotAllowed
from ..core.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, _l, in_language, language_choice
from ..core.mail import send_mail_after_commit
from ..extensions import db
from .models import Notification

KIND_LABELS = {
    "new_notice": _l("新的匹配公告"),
    "bid_invalidated": _l("报价需重新确认"),
    "selected": _l("选取结果"),
    "not_selected": _l("未中选通知"),
    "publicity": _l("结果公示"),
    "objection": _l("异议"),
    "question": _l("答疑澄清"),
    "sign": _l("签订合同"),
    "accept": _l("验收"),
    "evaluate": _l("评价"),
    "ended": _l("项目终止"),
    "due_soon": _l("期限提醒"),
    "credit": _l("信用记录"),
    "catalogue": _l("服务事项调整"),
    # payments (market/payments): a milestone's money
    "payment_due": _l("付款提醒"),
    "payment_overdue": _l("逾期未付"),
    "payment_recorded": _l("付款登记"),
    "payment_confirmed": _l("确认收款"),
    "payment_disputed": _l("付款异议"),
    "payment_decided": _l("付款争议认定"),
    "payment_held": _l("资金托管"),
    "payment_released": _l("托管资金划转"),
    "payment_refunded": _l("退款"),
}


def link_to(endpoint: str, **values) -> str:
    """The path of a page (a notification's link), built without a request: the runner and
    the CLI have none."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_link(link: str) -> str:
    """A path as a full address when SERVER_NAME is set (mail is read outside the site)."""
    server = current_app.config.get("SERVER_NAME")
    if not link or not server:
        return link
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server}{link}"


def _recipient_users(org: Organisation) -> list[User]:
    person = org.authorised_user
    if person is not None and person.active:
        return [person]
    admins = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == org.id,
            Membership.role == "admin",
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    return list(admins)


def recipients(org: Organisation) -> list[str]:
    """Who reads an organisation's mail: its authorised person (业务授权人), else its admins."""
    return [user.email for user in _recipient_users(org)]


def recipients_by_language(org: Organisation) -> dict[str, list[str]]:
    """The organisation's mail recipients grouped by the language each chose (Chinese when
    they chose none)."""
    grouped: dict[str, list[str]] = {}
    for user in _recipient_users(org):
        grouped.setdefault(language_choice(user.locale) or DEFAULT_LANGUAGE, []).append(user.email)
    return grouped


def _mail_body(org: Organisation, body: str, link: str) -> str:
    lines = [_("%(name)s：", name=org.name), "", body]
    if link:
        lines += ["", _("详情请登录网上中介超市查看：%(link)s", link=absolute_link(link))]
    lines += ["", _("此邮件由网上中介超市自动发送，请勿直接回复。")]
    return "\n".join(lines) + "\n"


def in_each_language(text) -> dict[str, str]:
    """`text` written in each language: a lazy text (`_l("…%(x)s", x=…)`) or a function
    giving the text is evaluated once per language; a plain string is the same in all."""
    if isinstance(text, str):
        return dict.fromkeys(LANGUAGES, text)
    written = {}
    for language in LANGUAGES:
        with in_language(language):
            written[language] = text() if callable(text) else str(text)
    return written


def notify(org_id: int, kind: str, title, body, link: str, dedupe_key=None):
    """Put a notification in the organisation's inbox and e-mail it (after the commit); with
    a dedupe key, only once ever. `title` and `body` are lazy texts or functions giving the
    text (see in_each_language): the inbox shows each reader's language, and each recipient
    gets the mail in theirs. Returns the notification, or None if it was a repeat."""
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
        titles, bodies = in_each_language(title), in_each_language(body)
        notification = Notification(
            org_id=org_id,
            kind=kind,
            title=titles["zh"],
            body=bodies["zh"],
            title_en=titles["en"],
            body_en=bodies["en"],
            link=link or "",
            dedupe_key=dedupe_key,
            created_dt=utcnow(),
        )
        db.session.add(notification)
        for language, to in recipients_by_language(org).items():
            with in_language(language):
                send_mail_after_commit(
                    to,
                    _("【网上中介超市】%(title)s", title=titles[language]),
                    _mail_body(org, bodies[language], link),
                )
    return notification


# --- the inbox ------------------------------------------------------------------------------


def _org_id(user) -> int:
    org = getattr(user, "organisation", None)
    if org is None:
        raise NotAllowed(_("只有所属单位的成员可以查看消息"))
    return org.id


# Asked on every signed-in page: built once, the organisation bound when they run.
@cache
def _inbox():
    return (
        select(Notification)
        .where(Notification.org_id == bindparam("org_id"))
        .order_by(Notification.read_dt.is_not(None), Notification.id.desc())
    )


@cache
def _unread():
    return select(func.count(Notification.id)).where(
        Notification.org_id == bindparam("org_id"), Notification.read_dt.is_(None)
    )


#: the inbox's read filter: all, unread only, read only
READ_STATES = {"all": _l("全部"), "unread": _l("未读"), "read": _l("已读")}


@lru_cache(maxsize=8)
def _inbox_filtered(kind: bool, status: str):
    stmt = _inbox()
    if kind:
        stmt = stmt.where(Notification.kind == bindparam("kind"))
    if status == "unread":
        stmt = stmt.where(Notification.read_dt.is_(None))
    elif status == "read":
        stmt = stmt.where(Notification.read_dt.is_not(None))
    return stmt


def inbox_query(user, kind: str | None = None, status: str = "all") -> tuple[Select, dict]:
    """The user's organisation's notifications, unread first, then newest first, optionally
    of one kind (a key of KIND_LABELS) and read or unread only: a statement built once per
    filter and the parameters it runs with."""
    params = {"org_id": _org_id(user)}
    if kind:
        params["kind"] = kind
    return _inbox_filtered(bool(kind), status if status in READ_STATES else "all"), params


def unread_of_member():
    """The unread count of a member's organisation as a column correlated to its `Membership`
    row: read with the signed-in user (accounts.sessions.register_user_fact)."""
    return (
        select(func.count(Notification.id))
        .where(Notification.org_id == Membership.organisation_id, Notification.read_dt.is_(None))
        .scalar_subquery()
    )


def unread_count(user) -> int:
    """How many of the user's organisation's notifications are unread (0 without one)."""
    org = getattr(user, "organisation", None)
    if org is None:
        return 0
    return db.session.scalar(_unread(), {"org_id": org.id})


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
