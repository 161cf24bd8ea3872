"""Agency profiles (with the standing credit writes onto them) and their offerings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db

RATING_DIMENSIONS = {
    "quality": "服务质量",
    "timeliness": "服务时效",
    "attitude": "服务态度",
    "fees": "收费",
    "conduct": "规范",
}


class Agency(db.Model):
    """The agency side of an organisation of kind 'agency'."""

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint("credit_score BETWEEN 0 AND 100", name="credit_score"),
        CheckConstraint("credit_grade IN ('A', 'B', 'C', 'D')", name="credit_grade"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Standing, written by the credit domain; read here by can_bid() and credit_factor().
    credit_score: Mapped[int] = mapped_column(default=100)
    credit_grade: Mapped[str] = mapped_column(String(1), default="A")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blacklisted: Mapped[bool] = mapped_column(default=False)
    # Running totals of evaluations, kept by the contract_evaluated listener.
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_quality: Mapped[int] = mapped_column(default=0)
    rating_timeliness: Mapped[int] = mapped_column(default=0)
    rating_attitude: Mapped[int] = mapped_column(default=0)
    rating_fees: Mapped[int] = mapped_column(default=0)
    rating_conduct: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()
    offerings: Mapped[list["Offering"]] = relationship(
        back_populates="agency", order_by="Offering.id", cascade="all, delete-orphan"
    )

    def rating_average(self, dimension: str) -> float | None:
        if not self.rating_count:
            return None
        return getattr(self, f"rating_{dimension}") / self.rating_count

    @property
    def rating_overall(self) -> float | None:
        if not self.rating_count:
            return None
        return sum(self.rating_average(d) for d in RATING_DIMENSIONS) / len(RATING_DIMENSIONS)


class Offering(db.Model):
    """A catalogue item an agency declares it provides."""

    __tablename__ = "offerings"
    __table_args__ = (
        UniqueConstraint("agency_id", "item_id", name="uq_offerings_agency_item"),
        CheckConstraint("promised_days > 0", name="promised_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.org_id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    fee_standard: Mapped[str] = mapped_column(String(200))
    promised_days: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="offerings")
    item: Mapped[ServiceItem] = relationship()
