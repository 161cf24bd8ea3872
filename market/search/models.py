"""The search outbox: a row per changed document, written in the transaction of the change,
removed only once the index has committed it (sync.py)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db

KINDS = ("agencies", "notices", "items")


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        Index("ix_search_outbox_kind_doc", "kind", "doc_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int]
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
