"""Risk alerts (风险预警): a detector's finding, its evidence, and what a regulator did."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.clock import utcnow
from ...core.i18n import _l
from ...core.lifecycle import Lifecycle, State
from ...core.types import UTCDateTime
from ...extensions import db

#: an alert's status (handling.py moves it)
ALERT_STATUS = Lifecycle(
    "risk_alert",
    [
        State("open", _l("待处理"), "warning"),
        State("reported", _l("已转为不良行为记录"), "danger"),
        State("dismissed", _l("已排除"), "secondary"),
    ],
    [],
    column="status",
)
ALERT_STATES = ALERT_STATUS.labels()


class RiskAlert(db.Model):
    """One firing of a detector rule; the fingerprint keeps re-runs from repeating it."""

    __tablename__ = "risk_alerts"
    __table_args__ = (
        ALERT_STATUS.check(),
        UniqueConstraint("fingerprint", name="uq_risk_alert_fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(30), index=True)
    fingerprint: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(100), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    purchaser_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: the agencies the evidence points at
    org_ids: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    record_id: Mapped[int | None] = mapped_column(ForeignKey("conduct_records.id"))

    record = relationship("ConductRecord")

    @property
    def status_label(self):
        return ALERT_STATUS.label(self.status)

    @property
    def status_badge(self):
        return ALERT_STATUS[self.status].badge

    @property
    def dismissed(self) -> bool:
        return self.status == "dismissed"

    @property
    def is_open(self) -> bool:
        return self.status == "open"
