"""The inbox: one row per organisation and event that asks it to act."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.i18n import current_language
from ..core.types import UTCDateTime
from ..extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_org_unread", "org_id", "read_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: what happened, e.g. "new_notice", "bid_invalidated", "selected", "objection", "due_soon"
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the same in English, written with it (empty for messages written before English was
    #: offered: they show in Chinese)
    title_en: Mapped[str] = mapped_column(String(300), default="", server_default="")
    body_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    #: ties a reminder to what it reminds of, so the runner sends it once (e.g. "notice:12:sign")
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (Chinese when it has no English)."""
        return self.title_en if self.title_en and current_language() == "en" else self.title

    @property
    def shown_body(self) -> str:
        """The body in the reader's language (Chinese when it has no English)."""
        return self.body_en if self.title_en and current_language() == "en" else self.body
