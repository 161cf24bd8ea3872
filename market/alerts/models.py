"""What a user asked to be told of (订阅): notices matching saved search words, notices for a
followed catalogue item, and the deadline of a followed notice; and each notice matched."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.types import UTCDateTime
from ..extensions import db
from ..procurement.models import Notice

KINDS = {"search": _l("保存的搜索"), "item": _l("关注的服务事项"), "notice": _l("关注的公告")}
FREQUENCIES = {"instant": _l("有新公告立即发送"), "daily": _l("每日汇总发送一次")}


class Subscription(db.Model):
    """One thing a user follows: search words (optionally within an item), an item, or one
    notice (reminded before its deadline); told at once or in a daily digest."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(KINDS)}", name="kind"),
        CheckConstraint(f"frequency IN {tuple(FREQUENCIES)}", name="frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: the saved search's words, separated by spaces (all must appear)
    words: Mapped[str] = mapped_column(String(100), default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(10), default="daily")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a daily subscription: when its last digest was sent
    digest_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a followed notice: when its closing reminder was sent
    reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    item: Mapped[ServiceItem | None] = relationship()
    notice: Mapped[Notice | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def frequency_label(self) -> str:
        return FREQUENCIES[self.frequency]


class AlertHit(db.Model):
    """A published notice one subscription matched; sent at once or with the next digest."""

    __tablename__ = "alert_hits"
    __table_args__ = (UniqueConstraint("subscription_id", "notice_id", name="uq_alert_hit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    subscription: Mapped[Subscription] = relationship()
    notice: Mapped[Notice] = relationship()
