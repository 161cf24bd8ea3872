"""Subscriptions (订阅): saved searches and followed items tell a user by e-mail of each
matching notice published (matched by the worker within a minute), at once or in a daily
digest; a followed notice is reminded before its deadline. Only published notices are ever
matched: nothing sealed is told."""

import unicodedata
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import from_local, local_today, to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l, in_language
from ..core.mail import send_mail_after_commit
from ..core.models import WorkerMark
from ..core.workdays import add_working_days
from ..extensions import db
from ..notifications.services import absolute_link, link_to
from ..procurement.models import Notice
from .models import FREQUENCIES, AlertHit, Subscription

#: the worker's mark: notices published up to it have been matched
MATCHED = "alerts-matched"
#: subscriptions one user may keep
MAX_PER_USER = 50
WORDS_MAX = 100
WORDS_COUNT_MAX = 5


def _when(moment) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def subscriptions_of(user) -> list[Subscription]:
    """The user's subscriptions, newest first."""
    return list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.id.desc())
        )
    )


def _check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise ServiceError(_("请选择发送方式：立即发送或每日汇总"), "frequency")
    return frequency


#: what makes two subscriptions the same
KEYS = ("kind", "words", "item_id", "notice_id")


def _add(user, **values) -> Subscription:
    existing = db.session.scalar(
        select(Subscription).filter_by(user_id=user.id, **{k: values[k] for k in KEYS})
    )
    if existing is not None:
        if "frequency" in values:
            existing.frequency = values["frequency"]
        db.session.flush()
        return existing
    count = db.session.scalar(
        select(db.func.count()).select_from(Subscription).where(Subscription.user_id == user.id)
    )
    if count >= MAX_PER_USER:
        raise ServiceError(
            _(
                "每个账号最多保存 %(max)s 项订阅，请先删除不再需要的订阅",
                max=MAX_PER_USER,
            )
        )
    subscription = Subscription(user_id=user.id, **values)
    db.session.add(subscription)
    db.session.flush()
    record_event(
        "user",
        user.id,
        "subscribed",
        actor=user,
        public=False,
        data={k: values[k] for k in KEYS},
    )
    return subscription


def clean_words(words: str) -> str:
    """The search words as kept: case and width folded (NFKC), repeats dropped."""
    text = unicodedata.normalize("NFKC", words or "").casefold()
    parts = [p for p in text.split() if p.isprintable()]
    return " ".join(dict.fromkeys(parts))


def save_search(user, words: str, item_id: int | None, frequency: str) -> Subscription:
    """Save search words (all of them must appear in a notice), optionally within an item."""
    cleaned = clean_words(words)
    if not cleaned:
        raise ServiceError(_("请填写要订阅的关键词"), "words")
    if len(cleaned) > WORDS_MAX or len(cleaned.split()) > WORDS_COUNT_MAX:
        raise ServiceError(
            _(
                "关键词最多 %(count)s 个、共 %(chars)s 个字，请精简",
                count=WORDS_COUNT_MAX,
                chars=WORDS_MAX,
            ),
            "words",
        )
    if item_id is not None and db.session.get(ServiceItem, item_id) is None:
        raise ServiceError(_("所选服务事项不存在"), "item_id")
    return _add(
        user,
        kind="search",
        words=cleaned,
        item_id=item_id,
        notice_id=None,
        frequency=_check_frequency(frequency),
    )


def follow_item(user, item: ServiceItem, frequency: str) -> Subscription:
    """Follow a public catalogue item: every notice published for it."""
    if not item.is_public:
        raise ServiceError(_("该事项不在公布的清单中，不能关注"))
    return _add(
        user,
        kind="item",
        words="",
        item_id=item.id,
        notice_id=None,
        frequency=_check_frequency(frequency),
    )


def follow_notice(user, notice: Notice) -> Subscription:
    """Follow a notice still taking quotes: a reminder before its deadline."""
    if notice.published_dt is None or notice.state != "published":
        raise ServiceError(_("只能关注正在报价中的公告"))
    if notice.deadline_dt <= utcnow():
        raise ServiceError(_("该公告的报价已截止"))
    return _add(
        user, kind="notice", words="", item_id=None, notice_id=notice.id, frequency="instant"
    )


def following(user, notice: Notice) -> Subscription | None:
    """The user's subscription to this notice, if it follows it."""
    return db.session.scalar(
        select(Subscription).filter_by(user_id=user.id, kind="notice", notice_id=notice.id)
    )


def unsubscribe(user, subscription_id: int) -> None:
    """Delete one of the user's subscriptions (and what it had not sent yet)."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        raise NotAllowed(_("只能删除本人的订阅"))
    for hit in db.session.scalars(select(AlertHit).filter_by(subscription_id=subscription.id)):
        db.session.delete(hit)
    db.session.delete(subscription)
    db.session.flush()


# --- matching notices as they are published -----------------------------------------------


def _haystack(notice: Notice) -> str:
    parts = (notice.title, notice.project_name, notice.scope, notice.item.name, notice.item.code)
    parts += (notice.purchaser.name,)
    return unicodedata.normalize("NFKC", " ".join(p or "" for p in parts)).casefold()


def matches(subscription: Subscription, notice: Notice, haystack: str | None = None) -> bool:
    """Whether a newly published notice is one the subscription asked for."""
    if subscription.kind == "item":
        return subscription.item_id == notice.item_id
    if subscription.kind != "search":
        return False
    if subscription.item_id is not None and subscription.item_id != notice.item_id:
        return False
    haystack = haystack if haystack is not None else _haystack(notice)
    return all(word in haystack for word in subscription.words.split())


def _record_hits(notice: Notice, subscriptions: list[Subscription], now) -> int:
    """A hit for each subscription (made before the notice was published) the notice
    matches; the instant ones are mailed now. Returns how many matched."""
    haystack = _haystack(notice)
    found = 0
    for subscription in subscriptions:
        if subscription.created_dt > notice.published_dt:
            continue  # subscribed after it was published: not news to it
        if not matches(subscription, notice, haystack):
            continue
        found += 1
        hit = AlertHit(subscription_id=subscription.id, notice_id=notice.id)
        db.session.add(hit)
        if subscription.frequency == "instant":
            _mail(
                subscription.user,
                _l("新的匹配公告：%(title)s", title=notice.title),
                [(subscription, notice)],
            )
            hit.sent_dt = now
    return found


def match_published(now=None) -> int:
    """The worker's matching: every notice published since its last round (never a direct
    invitation, which concerns the invited agency alone) against the saved searches and
    followed items; returns how many hits. Off the request that publishes: the searches are
    read in full for each notice."""
    now = now or utcnow()
    mark = db.session.get(WorkerMark, MATCHED)
    if mark is None:
        first = db.session.scalar(select(func.min(Subscription.created_dt)))
        mark = WorkerMark(name=MATCHED, done_until=(first or now) - timedelta(microseconds=1))
        db.session.add(mark)
    notices = db.session.scalars(
        select(Notice)
        .where(
            Notice.published_dt > mark.done_until,
            Notice.published_dt <= now,
            Notice.invited_org_id.is_(None),
        )
        .order_by(Notice.published_dt, Notice.id)
    ).all()
    found = 0
    if notices:
        # Two queries for the round, whatever its number of notices: every saved search, and
        # the followers of the items the notices are for.
        searches = list(
            db.session.scalars(select(Subscription).where(Subscription.kind == "search"))
        )
        followers: dict[int, list[Subscription]] = {}
        for subscription in db.session.scalars(
            select(Subscription).where(
                Subscription.kind == "item",
                Subscription.item_id.in_({n.item_id for n in notices}),
            )
        ):
            followers.setdefault(subscription.item_id, []).append(subscription)
        for notice in notices:
            found += _record_hits(notice, followers.get(notice.item_id, []) + searches, now)
    mark.done_until = now
    db.session.flush()
    return found


def _describe(subscription: Subscription) -> str:
    if subscription.kind == "item":
        return _("关注的服务事项「%(name)s」", name=subscription.item.name)
    if subscription.item is not None:
        return _(
            "保存的搜索「%(words)s」（%(item)s）",
            words=subscription.words,
            item=subscription.item.name,
        )
    return _("保存的搜索「%(words)s」", words=subscription.words)


def _mail(user, subject, pairs: list[tuple[Subscription, Notice]]) -> None:
    """Mail `user` in their language; `subject` is a lazy text."""
    with in_language(user.locale):
        lines = [_("%(name)s：", name=user.name), "", _("以下新发布的采购公告符合您的订阅："), ""]
        for subscription, notice in pairs:
            link = absolute_link(link_to("procurement.detail", notice_id=notice.id))
            lines += [
                f"· {notice.title}",
                _(
                    "  采购人：%(purchaser)s；服务事项：%(code)s %(item)s",
                    purchaser=notice.purchaser.name,
                    code=notice.item.code,
                    item=notice.item.name,
                ),
                _(
                    "  报价截止：%(deadline)s；匹配：%(match)s",
                    deadline=_when(notice.deadline_dt),
                    match=_describe(subscription),
                ),
                f"  {link}",
                "",
            ]
        manage = absolute_link(link_to("alerts.index"))
        lines += [_("管理或取消订阅：%(link)s", link=manage)]
        send_mail_after_commit(
            user.email, _("【网上中介超市】%(title)s", title=str(subject)), "\n".join(lines)
        )


# --- the worker: daily digests and closing reminders ------------------------------------------


def digest_moment(now=None) -> datetime:
    """Today's digest time (ALERT_DIGEST_AT, Beijing time) as UTC."""
    hours, minutes = (int(p) for p in current_app.config["ALERT_DIGEST_AT"].split(":"))
    return from_local(datetime.combine(local_today(now), time(hours, minutes)))


def send_digests(now=None) -> int:
    """Past today's digest time, one mail per user with the unsent hits of its daily
    subscriptions not digested today; returns how many mails."""
    now = now or utcnow()
    moment = digest_moment(now)
    if now < moment:
        return 0
    rows = db.session.execute(
        select(AlertHit, Subscription)
        .join(Subscription, Subscription.id == AlertHit.subscription_id)
        .where(
            AlertHit.sent_dt.is_(None),
            Subscription.frequency == "daily",
            (Subscription.digest_dt.is_(None)) | (Subscription.digest_dt < moment),
        )
        .order_by(Subscription.user_id, AlertHit.id)
    ).all()
    by_user: dict[int, list] = {}
    for hit, subscription in rows:
        by_user.setdefault(subscription.user_id, []).append((hit, subscription))
    for pairs in by_user.values():
        user = pairs[0][1].user
        _mail(
            user,
            _l("今日订阅汇总（%(count)s 条新公告）", count=len(pairs)),
            [(s, h.notice) for h, s in pairs],
        )
        for hit, subscription in pairs:
            hit.sent_dt = now
            subscription.digest_dt = now
    db.session.flush()
    return len(by_user)


def remind_closing(now=None) -> int:
    """One mail to each user following a notice whose deadline falls within
    DEADLINE_REMINDER_WORKING_DAYS working days; returns how many."""
    now = now or utcnow()
    horizon = add_working_days(now, current_app.config["DEADLINE_REMINDER_WORKING_DAYS"])
    rows = db.session.execute(
        select(Subscription, Notice)
        .join(Notice, Notice.id == Subscription.notice_id)
        .where(
            Subscription.kind == "notice",
            Subscription.reminded_dt.is_(None),
            Notice.state == "published",
            Notice.deadline_dt > now,
            Notice.deadline_dt <= horizon,
        )
        .order_by(Subscription.id)
    ).all()
    for subscription, notice in rows:
        link = absolute_link(link_to("procurement.detail", notice_id=notice.id))
        with in_language(subscription.user.locale):
            body = _(
                "%(name)s：\n\n您关注的公告「%(title)s」将于 %(deadline)s 截止报价。\n%(link)s\n\n"
                "管理或取消订阅：%(manage)s",
                name=subscription.user.name,
                title=notice.title,
                deadline=_when(notice.deadline_dt),
                link=link,
                manage=absolute_link(link_to("alerts.index")),
            )
            subject = _("【网上中介超市】即将截止报价：%(title)s", title=notice.title)
        send_mail_after_commit(subscription.user.email, subject, body)
        subscription.reminded_dt = now
    db.session.flush()
    return len(rows)


def run(now=None) -> int:
    """The worker's round: new notices matched (instant mails), closing reminders, then the
    daily digests; committed once."""
    now = now or utcnow()
    done = match_published(now) + remind_closing(now) + send_digests(now)
    db.session.commit()
    return done
