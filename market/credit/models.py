"""Violation criteria (versioned), conduct records with their due process, red list entries
and score history. Inspection plans: inspections/models.py; risk alerts: risk/models.py."""

from datetime import datetime

from sqlalchemy import (
    JSON,
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
from ..agencies.models import Document
from ..core.clock import utcnow
from ..core.i18n import _, _l
from ..core.types import UTCDateTime
from ..extensions import db
from .states import RECORD

PARTIES = {"agency": _l("中介机构"), "purchaser": _l("采购人")}
SEVERITIES = {"general": _l("一般"), "major": _l("较重"), "serious": _l("严重")}
MEASURES = {
    "warning": _l("警示"),
    "suspend": _l("暂停参与投标"),
    "blacklist": _l("清出并列入黑名单"),
}


class ViolationCriterion(db.Model):
    """One version of a criterion (违法违规行为认定标准). A change makes a new version and
    retires the old one; a record keeps the version it was judged under."""

    __tablename__ = "violation_criteria"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_criterion_code_version"),
        CheckConstraint(f"party IN {tuple(PARTIES)}", name="party"),
        CheckConstraint(f"severity IN {tuple(SEVERITIES)}", name="severity"),
        CheckConstraint(f"measure IN {tuple(MEASURES)}", name="measure"),
        CheckConstraint("deduction BETWEEN 0 AND 100", name="deduction"),
        CheckConstraint("suspend_months >= 0", name="suspend_months"),
        CheckConstraint("publish_months > 0", name="publish_months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    version: Mapped[int] = mapped_column(default=1)
    party: Mapped[str] = mapped_column(String(10))
    behaviour: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    deduction: Mapped[int]
    measure: Mapped[str] = mapped_column(String(10))
    suspend_months: Mapped[int] = mapped_column(default=0)
    publish_months: Mapped[int]
    effective_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when a newer version replaces this one (or the criterion is withdrawn)
    retired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the department (审批/主管部门, as regulators' organisations name it) that keeps this
    #: criterion: only its regulators revise or retire it
    department: Mapped[str] = mapped_column(String(100), default="", server_default="")

    @property
    def in_force(self) -> bool:
        return self.retired_dt is None

    @property
    def party_label(self):
        return PARTIES[self.party]

    @property
    def severity_label(self):
        return SEVERITIES[self.severity]

    @property
    def measure_label(self):
        if self.measure == "suspend":
            return _("暂停参与投标 %(months)s 个月", months=self.suspend_months)
        return MEASURES[self.measure]


SOURCES = {
    "purchaser": _l("采购人投诉"),
    "regulator": _l("监管部门发现"),
    "system": _l("系统自动识别"),
    "inspection": _l("双随机抽查"),
    "risk_alert": _l("风险预警"),
}

record_documents = Table(
    "conduct_record_documents",
    db.metadata,
    Column("record_id", ForeignKey("conduct_records.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
    #: report (evidence), response (申辩), appeal (复核), repair (修复证明)
    Column("stage", String(10), primary_key=True),
)


class ConductRecord(db.Model):
    """A reported conduct (不良行为记录) and everything that happened to it."""

    __tablename__ = "conduct_records"
    __table_args__ = (
        RECORD.check(),
        CheckConstraint(f"source IN {tuple(SOURCES)}", name="source"),
        CheckConstraint(f"party IN {tuple(PARTIES)}", name="party"),
        # one system report per fact: detection may run again (runner, CLI) without repeats
        UniqueConstraint("dedupe_key", name="uq_conduct_record_dedupe"),
        Index("ix_conduct_records_subject_status", "subject_org_id", "status"),
        # the disclosures by publication (the JSON API's /credit/disclosures)
        Index("ix_conduct_records_published", "published_dt", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    party: Mapped[str] = mapped_column(String(10))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("violation_criteria.id"))
    #: the department answerable for the record (the item's approving department)
    department: Mapped[str] = mapped_column(String(100), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    source: Mapped[str] = mapped_column(String(12))
    facts: Mapped[str] = mapped_column(Text)
    #: objective facts the system or an alert attached (dates, event ids, amounts)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="reported", index=True)
    reported_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    response_text: Mapped[str] = mapped_column(Text, default="")
    responded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_number: Mapped[str] = mapped_column(String(60), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: confirmed: disclosure due by (7 working days), disclosed when, shown until
    publish_due_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publication_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: the measure's end (suspension; a blacklisting lasts the publication period)
    measure_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_due_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_text: Mapped[str] = mapped_column(Text, default="")
    appealed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: upheld or revoked
    appeal_result: Mapped[str] = mapped_column(String(10), default="")
    appeal_decision_number: Mapped[str] = mapped_column(String(60), default="")
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    appeal_decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the earliest a repair may be asked for (the minimum publication period)
    repair_from_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repair_text: Mapped[str] = mapped_column(Text, default="")
    repair_requested_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repair_reason: Mapped[str] = mapped_column(Text, default="")
    repaired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    subject: Mapped[Organisation] = relationship(foreign_keys=[subject_org_id])
    criterion: Mapped[ViolationCriterion] = relationship()
    reported_by_org: Mapped[Organisation | None] = relationship(foreign_keys=[reported_by_org_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self):
        return RECORD.label(self.status)

    @property
    def status_badge(self):
        return RECORD[self.status].badge

    @property
    def awaiting_decision(self) -> bool:
        """Reported, not decided yet (the statement window may still be open)."""
        return self.status == "reported"

    @property
    def about_agency(self) -> bool:
        """The recorded party is an agency (with a storefront to link to)."""
        return self.party == "agency"

    @property
    def under_appeal(self) -> bool:
        return self.status == "appealed"

    @property
    def disclosure_pending(self) -> bool:
        """A confirmed violation not yet disclosed (双公示 is due)."""
        return RECORD[self.status].confirmed and self.published_dt is None

    @property
    def source_label(self):
        return SOURCES[self.source]

    @property
    def number(self):
        return f"XY{self.reported_dt:%Y%m%d}{self.id:05d}"

    def documents_at(self, stage: str) -> list[Document]:
        return db.session.scalars(
            db.select(Document)
            .join(record_documents, record_documents.c.document_id == Document.id)
            .where(record_documents.c.record_id == self.id, record_documents.c.stage == stage)
            .order_by(Document.id)
        ).all()


class RedListEntry(db.Model):
    """An agency on the red list (守信激励名单) for a period, with the bonus it earns."""

    __tablename__ = "red_list_entries"
    __table_args__ = (CheckConstraint("bonus BETWEEN 1 AND 10", name="bonus"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    decision_number: Mapped[str] = mapped_column(String(60))
    bonus: Mapped[int] = mapped_column(default=5)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    department: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: removed early (a confirmed violation, or the regulator's decision)
    removed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Organisation] = relationship()


class ScoreSnapshot(db.Model):
    """An agency's score and grade from a moment on (written only when they change): the
    history the agency's credit page charts."""

    __tablename__ = "credit_score_history"
    __table_args__ = (Index("ix_score_history_agency_dt", "agency_org_id", "computed_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    computed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(1))
    #: what changed it: a record id, "expiry", "evaluation", "nightly"
    cause: Mapped[str] = mapped_column(String(60), default="")


class FactCriterion(db.Model):
    """Which criterion a fact the system reports by itself is reported under (facts.py): data a
    regulator keeps, so retiring or renumbering criteria never breaks the system's reports."""

    __tablename__ = "system_fact_criteria"

    fact: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_note: Mapped[str] = mapped_column(Text, default="")
