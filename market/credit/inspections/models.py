"""Graded supervision (分级分类监管): random inspection plans (双随机) and their results."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...core.clock import utcnow
from ...core.i18n import _l
from ...core.types import UTCDateTime
from ...extensions import db

INSPECTION_RESULTS = {"pending": _l("待检查"), "passed": _l("合格"), "failed": _l("不合格")}


class InspectionPlan(db.Model):
    """A drawn sample: the population (agency ids with their grades at the draw), the rates
    by grade and the published seed, from which anyone can draw the same sample again."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    #: grade → rate in basis points (A 500 = 5%)
    rates_bp: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [[org_id, grade], ...] sorted by org id
    population: Mapped[list] = mapped_column(JSON, default=list)
    algorithm: Mapped[str] = mapped_column(String(60))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    inspections: Mapped[list["Inspection"]] = relationship(
        back_populates="plan", order_by="Inspection.id"
    )


class Inspection(db.Model):
    """One sampled agency and what the inspection found."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(f"result IN {tuple(INSPECTION_RESULTS)}", name="result"),
        UniqueConstraint("plan_id", "agency_org_id", name="uq_inspection_plan_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    grade: Mapped[str] = mapped_column(String(1))
    result: Mapped[str] = mapped_column(String(10), default="pending")
    findings: Mapped[str] = mapped_column(Text, default="")
    inspected_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("conduct_records.id"))

    plan: Mapped[InspectionPlan] = relationship(back_populates="inspections")
    agency: Mapped[Organisation] = relationship()

    @property
    def result_label(self):
        return INSPECTION_RESULTS[self.result]
