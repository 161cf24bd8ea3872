"""Contracts, deliveries, evaluations both ways and rectification cases (差评整改)."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..agencies.models import RATING_DIMENSIONS, Document
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.lifecycle import Lifecycle, State
from ..core.types import UTCDateTime
from ..extensions import db
from .models import Bid, Notice


class Contract(db.Model):
    """The contract created when a notice is awarded; both parties sign it (with the signed
    file) within the deadline, then deliveries and evaluations hang off it."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        # a purchaser's awards over a period, and one agency's among them (risk alerts count
        # them at every award)
        Index("ix_contracts_purchaser_created", "purchaser_org_id", "created_dt"),
        Index(
            "ix_contracts_purchaser_agency_created",
            "purchaser_org_id",
            "agency_org_id",
            "created_dt",
        ),
        # the statistics' awards and acceptances by month (docs/statistics.md)
        Index("ix_contracts_created_dt", "created_dt"),
        Index("ix_contracts_accepted_dt", "accepted_dt"),
        # the JSON API's contracts by amount (opendata/v1)
        Index("ix_contracts_amount", "amount_fen", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purchaser_signed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agency_signed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the signed contract file (uploaded by the party that signs first)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: the version of the item's model contract its text was generated from (None: the
    #: platform's general text, or a text a party uploaded)
    model_version: Mapped[int | None]
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_note: Mapped[str] = mapped_column(Text, default="")
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_accepted: Mapped[bool] = mapped_column(default=False)

    notice: Mapped[Notice] = relationship(back_populates="contract")
    bid: Mapped[Bid] = relationship()
    purchaser: Mapped[Organisation] = relationship(foreign_keys=[purchaser_org_id])
    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_org_id])
    document: Mapped[Document | None] = relationship()
    signatures: Mapped[list["ContractSignature"]] = relationship(
        back_populates="contract", order_by="ContractSignature.id"
    )
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="contract", order_by="Delivery.id"
    )
    evaluations: Mapped[list["Evaluation"]] = relationship(
        back_populates="contract", order_by="Evaluation.id"
    )

    @property
    def evaluation(self):
        """The purchaser's evaluation of the agency, if given."""
        return next((e for e in self.evaluations if e.direction == "of_agency"), None)

    @property
    def agency_evaluation(self):
        """The agency's evaluation of the purchaser, if given."""
        return next((e for e in self.evaluations if e.direction == "of_purchaser"), None)

    @property
    def number(self):
        return f"HT{self.created_dt:%Y%m%d}{self.id:05d}"


class ContractSignature(db.Model):
    """A party's signature of a contract in the platform: who signed for which side, when,
    and the SHA-256 of the exact PDF signed (both sides sign the same bytes)."""

    __tablename__ = "contract_signatures"
    __table_args__ = (
        CheckConstraint("party IN ('purchaser', 'agency')", name="party"),
        UniqueConstraint("contract_id", "party", name="uq_contract_signatures_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    party: Mapped[str] = mapped_column(String(10))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf_sha256: Mapped[str] = mapped_column(String(64))

    contract: Mapped[Contract] = relationship(back_populates="signatures")
    signer: Mapped[User] = relationship()


#: a delivery's status (contracts.py sets it)
DELIVERY_STATUS = Lifecycle(
    "delivery",
    [
        State("submitted", _l("待验收"), "info"),
        State("accepted", _l("已验收"), "success"),
        State("returned", _l("已退回"), "danger"),
    ],
    [],
    column="status",
)

delivery_documents = Table(
    "delivery_documents",
    db.metadata,
    Column("delivery_id", ForeignKey("deliveries.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)


class Delivery(db.Model):
    """One submission of the deliverable; a returned one is followed by another."""

    __tablename__ = "deliveries"
    __table_args__ = (DELIVERY_STATUS.check(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship(back_populates="deliveries")
    documents: Mapped[list[Document]] = relationship(secondary=delivery_documents)

    @property
    def status_label(self):
        return DELIVERY_STATUS.label(self.status)

    @property
    def status_badge(self):
        return DELIVERY_STATUS[self.status].badge


#: who rates whom; the five columns hold RATING_DIMENSIONS (of an agency) or
#: PURCHASER_DIMENSIONS (of a purchaser), by direction
EVALUATION_DIRECTIONS = {"of_agency": _l("采购人评价机构"), "of_purchaser": _l("机构评价采购人")}
PURCHASER_DIMENSIONS = {
    "quality": _l("需求明确"),
    "timeliness": _l("配合及时"),
    "attitude": _l("沟通态度"),
    "fees": _l("付款及时"),
    "conduct": _l("验收规范"),
}


class Evaluation(db.Model):
    """One side's rating of the other after acceptance, five dimensions 1–5; double-blind:
    neither is shown until both are in or the evaluation window has closed."""

    __tablename__ = "evaluations"
    __table_args__ = (
        *(CheckConstraint(f"{d} BETWEEN 1 AND 5", name=f"{d}_range") for d in RATING_DIMENSIONS),
        CheckConstraint(f"direction IN {tuple(EVALUATION_DIRECTIONS)}", name="direction"),
        UniqueConstraint("contract_id", "direction", name="uq_evaluation_direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    direction: Mapped[str] = mapped_column(String(20), default="of_agency")
    by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    quality: Mapped[int]
    timeliness: Mapped[int]
    attitude: Mapped[int]
    fees: Mapped[int]
    conduct: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the rated party's one public reply, shown beside the rating
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    reply_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reply_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship(back_populates="evaluations")

    @property
    def scores(self):
        return {d: getattr(self, d) for d in RATING_DIMENSIONS}

    @property
    def shown_agency_org_id(self):
        """The agency whose storefront shows this rating and its reply (agencies.versions):
        a rating of the agency only."""
        return self.contract.agency_org_id if self.direction == "of_agency" else None

    @property
    def dimension_labels(self):
        return RATING_DIMENSIONS if self.direction == "of_agency" else PURCHASER_DIMENSIONS

    @property
    def is_poor(self):
        """Any dimension at 2 or below opens a rectification case (差评整改)."""
        return min(self.scores.values()) <= 2


#: a rectification case's status (evaluations.py moves it)
RECTIFICATION_STATUS = Lifecycle(
    "rectification",
    [
        State("open", _l("待整改"), "warning"),
        State("answered", _l("已整改待回访"), "warning"),
        State("followed_up", _l("已回访"), "success"),
    ],
    [],
    column="status",
)
RECTIFICATION_STATES = RECTIFICATION_STATUS.labels()


class Rectification(db.Model):
    """A poor evaluation's rectification case (差评整改): the rated party says what it
    corrected; an operator records a follow-up visit (回访)."""

    __tablename__ = "rectifications"
    __table_args__ = (RECTIFICATION_STATUS.check(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_note: Mapped[str] = mapped_column(Text, default="")
    followup_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    evaluation: Mapped[Evaluation] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def status_label(self):
        return RECTIFICATION_STATUS.label(self.status)

    @property
    def status_badge(self):
        return RECTIFICATION_STATUS[self.status].badge

    @property
    def awaiting_followup(self) -> bool:
        """Answered, and the operator's follow-up visit is not recorded yet."""
        return self.status == "answered"
