"""Notices, bids, contracts and evaluations."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..agencies.models import RATING_DIMENSIONS, Document, Qualification
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .states import NOTICE_STATES


class Notice(db.Model):
    """A purchaser's procurement notice; `state` only changes through states.transition()."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(f"state IN {tuple(NOTICE_STATES)}", name="state"),
        CheckConstraint("ceiling_fen > 0", name="ceiling_positive"),
        CheckConstraint("service_days > 0", name="service_days_positive"),
        CheckConstraint(
            "state IN ('draft', 'cancelled') OR published_dt IS NOT NULL", name="published_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    ceiling_fen: Mapped[int]
    service_days: Mapped[int]
    deadline_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    state_changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the runner must next look at this notice (bidding deadline, publicity end)
    due_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publicity_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a direct invitation (直接邀请): only this agency may respond
    invited_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    selection_reason: Mapped[str] = mapped_column(Text, default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    purchaser: Mapped[Organisation] = relationship(foreign_keys=[purchaser_org_id])
    invited: Mapped[Organisation | None] = relationship(foreign_keys=[invited_org_id])
    item: Mapped[ServiceItem] = relationship()
    created_by: Mapped[User] = relationship()
    bids: Mapped[list["Bid"]] = relationship(back_populates="notice", order_by="Bid.id")
    contract: Mapped["Contract | None"] = relationship(back_populates="notice", uselist=False)

    @property
    def state_label(self):
        return NOTICE_STATES[self.state]

    @property
    def selected_bid(self):
        return next((b for b in self.bids if b.status == "selected"), None)


bid_documents = Table(
    "bid_documents",
    db.metadata,
    Column("bid_id", ForeignKey("bids.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)
bid_qualifications = Table(
    "bid_qualifications",
    db.metadata,
    Column("bid_id", ForeignKey("bids.id"), primary_key=True),
    Column("qualification_id", ForeignKey("qualifications.id"), primary_key=True),
)


class Bid(db.Model):
    """A sealed quote: readable only by its bidder until bidding closes (see services)."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("notice_id", "agency_org_id", name="uq_bids_notice_agency"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('submitted', 'selected')", name="status"),
        Index(
            "uq_bids_one_selected",
            "notice_id",
            unique=True,
            sqlite_where=text("status = 'selected'"),
            postgresql_where=text("status = 'selected'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int]
    plan: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="bids")
    agency: Mapped[Organisation] = relationship()
    documents: Mapped[list[Document]] = relationship(secondary=bid_documents)
    qualifications: Mapped[list[Qualification]] = relationship(secondary=bid_qualifications)

    @property
    def shown_qualifications(self):
        """Rejected declarations disappear from bids."""
        return [q for q in self.qualifications if q.status != "rejected"]


class Contract(db.Model):
    """The contract record created when a notice is awarded."""

    __tablename__ = "contracts"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int]
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_note: Mapped[str] = mapped_column(Text, default="")
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[Notice] = relationship(back_populates="contract")
    bid: Mapped[Bid] = relationship()
    purchaser: Mapped[Organisation] = relationship(foreign_keys=[purchaser_org_id])
    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_org_id])
    evaluation: Mapped["Evaluation | None"] = relationship(back_populates="contract", uselist=False)

    @property
    def number(self):
        return f"HT{self.created_dt:%Y%m%d}{self.id:05d}"


class Evaluation(db.Model):
    """The purchaser's rating of a delivered service, five dimensions 1–5."""

    __tablename__ = "evaluations"
    __table_args__ = tuple(
        CheckConstraint(f"{d} BETWEEN 1 AND 5", name=f"{d}_range") for d in RATING_DIMENSIONS
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    quality: Mapped[int]
    timeliness: Mapped[int]
    attitude: Mapped[int]
    fees: Mapped[int]
    conduct: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="evaluation")

    @property
    def scores(self):
        return {d: getattr(self, d) for d in RATING_DIMENSIONS}
