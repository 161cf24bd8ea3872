"""The money side of a contract: its milestones (the notice's payment plan in fen), each
payment made or recorded against one, the gateway's events as received, and the agencies'
connected accounts for held funds paid out through Stripe Connect."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..agencies.models import Document
from ..core.clock import to_local, utcnow
from ..core.i18n import _l
from ..core.types import UTCDateTime
from ..extensions import db
from ..procurement.contract_models import Contract
from ..procurement.services import PAYMENT_EVENTS
from .states import MILESTONE

#: how a payment was made
METHODS = {"bank_transfer": _l("银行转账"), "stripe": _l("在线支付（资金托管）")}
#: a payment's own status: an online attempt opens, then succeeds or fails (or its checkout
#: expires); an offline record is what the purchaser says it transferred
PAYMENT_STATUSES = {
    "open": _l("待支付"),
    "succeeded": _l("支付成功"),
    "failed": _l("支付失败"),
    "expired": _l("已过期"),
    "recorded": _l("已登记"),
}


class Milestone(db.Model):
    """One milestone of a contract's payment plan: a share of the amount in fen, due some
    working days after its event; its state follows states.MILESTONE."""

    __tablename__ = "payment_milestones"
    __table_args__ = (
        MILESTONE.check(),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_bounds"),
        CheckConstraint(f"event IN {tuple(PAYMENT_EVENTS)}", name="event"),
        UniqueConstraint("contract_id", "position", name="uq_milestone_position"),
        # the worker's due milestones, and a purchaser's record
        Index("ix_payment_milestones_state_due", "state", "due_dt"),
        Index("ix_payment_milestones_purchaser", "purchaser_org_id", "due_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: denormalised from the contract: lists filter by the parties
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    label: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int]
    event: Mapped[str] = mapped_column(String(12))
    due_working_days: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12), default="scheduled")
    state_changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when its event happens: the last moment to pay on time
    due_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: while overdue: when it is reported under the late-payment criterion (then None)
    report_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the purchaser paid (the transfer's date, or the gateway's payment)
    paid_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the agency has the money (confirmed receipt, or the transfer to its account)
    settled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_reason: Mapped[str] = mapped_column(Text, default="")
    #: Stripe: the transfer of the held funds to the agency's connected account
    transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    purchaser: Mapped[Organisation] = relationship(foreign_keys=[purchaser_org_id])
    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_org_id])
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="milestone", order_by="Payment.id"
    )

    @property
    def state_label(self) -> str:
        return MILESTONE.label(self.state)

    @property
    def state_badge(self) -> str:
        return MILESTONE[self.state].badge

    @property
    def event_label(self) -> str:
        return PAYMENT_EVENTS[self.event]

    def _flag(self, name: str) -> bool:
        return getattr(MILESTONE[self.state], name)

    @property
    def unpaid(self) -> bool:
        """The purchaser still owes it."""
        return self._flag("owed")

    @property
    def active(self) -> bool:
        """Someone has a step to take on it."""
        return self._flag("active")

    @property
    def has_receipt(self) -> bool:
        """Money has moved, or the purchaser says it has."""
        return self._flag("moved")

    @property
    def unconfirmed(self) -> bool:
        """The purchaser's record of a transfer, not confirmed by the agency."""
        return self._flag("unconfirmed")

    @property
    def holding(self) -> bool:
        """The platform holds the purchaser's money."""
        return self._flag("holding")

    @property
    def days_late(self) -> int | None:
        """Days paid after the due date, by local calendar dates (0: on time, the due day
        included); None while unpaid."""
        if self.paid_dt is None or self.due_dt is None:
            return None
        return max(0, (to_local(self.paid_dt).date() - to_local(self.due_dt).date()).days)

    @property
    def latest_record(self):
        """The purchaser's latest bank-transfer record, if any."""
        return next((p for p in reversed(self.payments) if p.method == "bank_transfer"), None)

    @property
    def succeeded_payment(self):
        return next((p for p in self.payments if p.status == "succeeded"), None)


class Payment(db.Model):
    """One payment against a milestone: an online attempt (a Checkout session, committed
    before the gateway is called, so a crash leaves a row reconciliation finds) or an offline
    bank transfer the purchaser records with its voucher."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(f"method IN {tuple(METHODS)}", name="method"),
        CheckConstraint(f"status IN {tuple(PAYMENT_STATUSES)}", name="status"),
        Index("ix_payments_status_created", "status", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("payment_milestones.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: offline: the transfer's value date, the bank's reference and the voucher
    paid_on: Mapped[date | None] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(64), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: online: one idempotency key per attempt, the Checkout session and its PaymentIntent
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str] = mapped_column(Text, default="")
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    succeeded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_message: Mapped[str] = mapped_column(Text, default="")

    milestone: Mapped[Milestone] = relationship(back_populates="payments")
    created_by: Mapped[User | None] = relationship()
    document: Mapped[Document | None] = relationship()

    @property
    def method_label(self) -> str:
        return METHODS[self.method]

    @property
    def status_label(self) -> str:
        return PAYMENT_STATUSES[self.status]


class GatewayEvent(db.Model):
    """A webhook event as received: stored (its id unique) before it is acted on, so a
    duplicate delivery is recognised and ignored."""

    __tablename__ = "payment_gateway_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: what acting on it did ("ignored: …" when it changed nothing)
    outcome: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class PayoutAccount(db.Model):
    """An agency's connected account with the gateway (Stripe Connect): held funds are
    transferred to it only once onboarding is complete."""

    __tablename__ = "payment_payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def ready(self) -> bool:
        """Onboarding is complete: transfers and payouts may go to it."""
        return self.charges_enabled and self.payouts_enabled and self.details_submitted


class Reconciliation(db.Model):
    """One run comparing local payments with the gateway's records: what it repaired and
    what it could only report."""

    __tablename__ = "payment_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked: Mapped[int] = mapped_column(default=0)
    repaired: Mapped[int] = mapped_column(default=0)
    findings: Mapped[list] = mapped_column(JSON, default=list)
