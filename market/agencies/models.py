"""Agency profiles (with the standing credit writes onto them) and their offerings."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.lifecycle import Lifecycle, Move, State
from ..core.types import UTCDateTime
from ..extensions import db

RATING_DIMENSIONS = {
    "quality": _l("服务质量"),
    "timeliness": _l("服务时效"),
    "attitude": _l("服务态度"),
    "fees": _l("收费"),
    "conduct": _l("规范"),
}


class Agency(db.Model):
    """The agency side of an organisation of kind 'agency'."""

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint("credit_score BETWEEN 0 AND 100", name="credit_score"),
        CheckConstraint("credit_grade IN ('A', 'B', 'C', 'D')", name="credit_grade"),
        # the directory's order (best credit first), read from the index rather than sorted
        Index("ix_agencies_directory", "credit_score", "org_id"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    service_area: Mapped[str] = mapped_column(String(200), default="")
    # Standing, written by the credit domain; read here by can_bid() and credit_factor().
    credit_score: Mapped[int] = mapped_column(default=100)
    credit_grade: Mapped[str] = mapped_column(String(1), default="A")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blacklisted: Mapped[bool] = mapped_column(default=False)
    #: when the blacklisting ends (its publication period); None with blacklisted: indefinite
    blacklisted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the agency is suspended or blacklisted (criterion, decision number), shown to it
    standing_reason: Mapped[str] = mapped_column(String(300), default="")
    # Running totals of evaluations, kept by the contract_evaluated listener.
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_quality: Mapped[int] = mapped_column(default=0)
    rating_timeliness: Mapped[int] = mapped_column(default=0)
    rating_attitude: Mapped[int] = mapped_column(default=0)
    rating_fees: Mapped[int] = mapped_column(default=0)
    rating_conduct: Mapped[int] = mapped_column(default=0)
    #: raised with every change its public pages show (agencies/versions.py)
    page_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship()
    offerings: Mapped[list["Offering"]] = relationship(
        back_populates="agency", order_by="Offering.id", cascade="all, delete-orphan"
    )
    qualifications: Mapped[list["Qualification"]] = relationship(
        back_populates="agency", order_by="Qualification.id"
    )
    practitioners: Mapped[list["Practitioner"]] = relationship(
        back_populates="agency", order_by="Practitioner.id"
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


FEE_KINDS = {
    "fixed": _l("固定价"),
    "range": _l("区间价"),
    "rate": _l("费率"),
    "negotiable": _l("协商确定"),
}


class Offering(db.Model):
    """A catalogue item an agency provides, with its fee standard and promised working days."""

    __tablename__ = "offerings"
    __table_args__ = (
        UniqueConstraint("agency_id", "item_id", name="uq_offerings_agency_item"),
        CheckConstraint("promised_days > 0", name="promised_days"),
        CheckConstraint(f"fee_kind IN {tuple(FEE_KINDS)}", name="fee_kind"),
        CheckConstraint(
            "(fee_kind = 'fixed' AND fee_min_fen > 0 AND fee_max_fen = fee_min_fen)"
            " OR (fee_kind = 'range' AND fee_min_fen > 0 AND fee_max_fen > fee_min_fen)"
            " OR (fee_kind = 'rate' AND fee_rate_bp > 0)"
            " OR fee_kind = 'negotiable'",
            name="fee_standard",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.org_id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    fee_kind: Mapped[str] = mapped_column(String(10))
    fee_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    #: a rate in basis points (1 bp = 0.01%) of the base the note names (e.g. project cost)
    fee_rate_bp: Mapped[int | None]
    fee_note: Mapped[str] = mapped_column(String(200), default="")
    promised_days: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    service_area: Mapped[str] = mapped_column(String(200), default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="offerings")
    item: Mapped[ServiceItem] = relationship()

    @property
    def fee_kind_label(self):
        return FEE_KINDS[self.fee_kind]

    @property
    def sort_fee(self):
        """The lowest fee, for sorting a shelf: amounts, then rates, then negotiable fees."""
        if self.fee_kind == "rate":
            return (1, self.fee_rate_bp)
        if self.fee_kind == "negotiable":
            return (2, 0)
        return (0, self.fee_min_fen)


@dataclass(frozen=True)
class QualificationState(State):
    #: may be cited in bids (until its valid-until date)
    usable: bool = False


#: a declared qualification's life; "system" is the expiry run
QUALIFICATION = Lifecycle(
    "qualification",
    [
        QualificationState("declared", _l("已声明"), "info", usable=True),
        QualificationState("verified", _l("已核验"), "success", usable=True),
        QualificationState("rejected", _l("核验不通过"), "danger"),
        QualificationState("expired", _l("已过期"), "secondary"),
    ],
    [
        Move("declared", "verified", {"regulator"}),
        Move("declared", "rejected", {"regulator"}),
        Move("verified", "rejected", {"regulator"}),  # a verified fact later found false
        Move("declared", "expired", {"system"}),
        Move("verified", "expired", {"system"}),
    ],
    column="status",
    subject=_l("该资质"),
    refusal=_l("您无权核验该资质"),
)
#: status → label, in the lifecycle's order
QUALIFICATION_STATES = QUALIFICATION.labels()
#: the grades as stored on a qualification (and named in the catalogue's requirements)
QUALIFICATION_GRADES = ("甲级", "乙级", "丙级", "不分级")  # i18n: data
#: grade → its label on a page
GRADE_LABELS = dict(
    zip(QUALIFICATION_GRADES, (_l("甲级"), _l("乙级"), _l("丙级"), _l("不分级")), strict=True)
)
#: warn this many days before a qualification's valid-until date
EXPIRY_WARNING_DAYS = 30


class Qualification(db.Model):
    """A qualification declared under 告知承诺: usable at once, verified or rejected later."""

    __tablename__ = "qualifications"
    __table_args__ = (
        QUALIFICATION.check(),
        CheckConstraint(f"grade IN {QUALIFICATION_GRADES}", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.org_id"), index=True)
    #: the catalogue item it qualifies for; that item's department verifies it
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    type: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[date] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(20), default="declared", index=True)
    declared_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency] = relationship(back_populates="qualifications")
    item: Mapped[ServiceItem] = relationship()
    document: Mapped["Document | None"] = relationship()

    @property
    def grade_label(self):
        """The grade as a page names it (the stored grade is the source text)."""
        return GRADE_LABELS.get(self.grade, self.grade)

    @property
    def status_label(self):
        return QUALIFICATION.label(self.status)

    @property
    def status_badge(self):
        return QUALIFICATION[self.status].badge

    def state_on(self, today: date) -> str:
        """The status as of `today`: past its valid-until date it is expired even before the
        runner has recorded it."""
        if QUALIFICATION[self.status].usable and self.valid_until < today:
            return "expired"
        return self.status

    def state_label_on(self, today: date) -> str:
        return QUALIFICATION.label(self.state_on(today))

    def badge_on(self, today: date) -> str:
        return QUALIFICATION[self.state_on(today)].badge

    def verified_on(self, today: date) -> bool:
        return self.state_on(today) == "verified"

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    def is_usable_on(self, today: date) -> bool:
        return QUALIFICATION[self.state_on(today)].usable

    def expires_soon(self, today: date) -> bool:
        return self.is_usable_on(today) and self.valid_until <= today + timedelta(
            days=EXPIRY_WARNING_DAYS
        )


class Practitioner(db.Model):
    """A practitioner (从业人员); the ID number is kept for checks and never shown."""

    __tablename__ = "practitioners"
    __table_args__ = (
        UniqueConstraint("agency_id", "id_number", name="uq_practitioners_agency_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.org_id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    certificate: Mapped[str] = mapped_column(String(100))
    certificate_number: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(18))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="practitioners")
    document: Mapped["Document | None"] = relationship()


DOCUMENT_KINDS = {
    "licence": _l("营业执照"),
    "qualification": _l("资质证书"),
    "certificate": _l("从业人员证书"),
    "notice": _l("采购文件"),
    "objection": _l("异议材料"),
    "contract": _l("合同文本"),
    "deliverable": _l("成果文件"),
    "evidence": _l("信用记录材料"),
    "voucher": _l("付款凭证"),
    "other": _l("其他材料"),
}


class Document(db.Model):
    """A file in an organisation's library (材料复用): uploaded once, cited by reference from
    qualifications, bids, notices, objections, contracts and deliveries."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(DOCUMENT_KINDS)}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the organisation whose library it is (agencies' files, purchasers' notice attachments…)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: path under the upload folder; never derived from the uploaded name
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: archived files leave the library but stay readable on the bids that used them
    archived: Mapped[bool] = mapped_column(default=False)
    #: chosen on a form that was shown again after an error: kept so that it need not be chosen
    #: again, outside the library until the form is saved (the worker deletes it after a day)
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def kind_label(self):
        return DOCUMENT_KINDS[self.kind]


#: the bands in which past contract amounts are shown publicly (upper bounds in fen)
AMOUNT_BANDS = (
    (5_000_00, _l("5千元以下")),
    (50_000_00, _l("5千–5万元")),
    (200_000_00, _l("5万–20万元")),
    (1_000_000_00, _l("20万–100万元")),
    (None, _l("100万元以上")),
)


class PastPerformance(db.Model):
    """A contract the agency completed on the platform, recorded when it is accepted."""

    __tablename__ = "past_performances"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.org_id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    purchaser_name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    completed_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the purchaser's average over the five dimensions, once evaluated
    rating: Mapped[float | None] = mapped_column(Float)

    item: Mapped[ServiceItem] = relationship()

    @property
    def amount_band(self):
        for upper, label in AMOUNT_BANDS:
            if upper is None or self.amount_fen < upper:
                return label
