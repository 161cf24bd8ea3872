"""Notices, avoidances, bids, selections and objections (contracts: contract_models.py)."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
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
from ..agencies.models import Document, Qualification
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.lifecycle import AllowedValues, Lifecycle, State
from ..core.types import UTCDateTime
from ..extensions import db
from .payment_plan import default_plan, milestones_of
from .selection import method_for, method_keys
from .states import NOTICE

FUNDING_TYPES = {"fiscal": _l("财政资金"), "social": _l("社会资金")}


class Notice(db.Model):
    """A purchaser's procurement notice; `state` only changes through states.transition()."""

    __tablename__ = "notices"
    __table_args__ = (
        NOTICE.check(),
        # the public lists' order (latest first), all notices or one state's
        Index("ix_notices_published", "published_dt", "id"),
        Index("ix_notices_state_published", "state", "published_dt", "id"),
        # the JSON API's other orders of the list (opendata/v1: by deadline, by ceiling)
        Index("ix_notices_deadline", "deadline_dt", "id"),
        Index("ix_notices_ceiling", "ceiling_fen", "id"),
        # a purchaser's notices, and those in one state (its workspace counts each state)
        Index("ix_notices_purchaser_state", "purchaser_org_id", "state"),
        CheckConstraint("ceiling_fen > 0", name="ceiling_positive"),
        CheckConstraint("service_days > 0", name="service_days_positive"),
        CheckConstraint(
            "state IN ('draft', 'cancelled') OR published_dt IS NOT NULL", name="published_has_date"
        ),
        # The registered selection methods (selection/), read when DDL is compiled.
        CheckConstraint(AllowedValues("method", method_keys), name="method"),
        CheckConstraint("fiscal_share_pct BETWEEN 0 AND 100", name="fiscal_share"),
        CheckConstraint(
            "floor_fen IS NULL OR (floor_fen > 0 AND floor_fen < ceiling_fen)", name="floor"
        ),
        CheckConstraint(
            "method != 'scored' OR weight_price + weight_credit + weight_technical = 100",
            name="scored_weights",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    project_name: Mapped[str] = mapped_column(String(200), default="")
    #: 投资项目统一代码 (e.g. 2101-500112-04-01-123456), if the project has one
    project_code: Mapped[str] = mapped_column(String(30), default="")
    #: the share of fiscal money in the project; any share makes the notice fiscal-funded
    fiscal_share_pct: Mapped[int] = mapped_column(default=0)
    scope: Mapped[str] = mapped_column(Text)
    #: the price ceiling; for fixed-price methods (random, credit) the price itself
    ceiling_fen: Mapped[int] = mapped_column(BigInteger)
    floor_fen: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(10), default="direct")
    #: why this method (required for a random draw: fair-competition reviews ask)
    method_reason: Mapped[str] = mapped_column(Text, default="")
    weight_price: Mapped[int] = mapped_column(default=0)
    weight_credit: Mapped[int] = mapped_column(default=0)
    weight_technical: Mapped[int] = mapped_column(default=0)
    #: only the item's implementing requirement may be asked for, optionally with a minimum grade
    requires_qualification: Mapped[bool] = mapped_column(default=False)
    min_grade: Mapped[str | None] = mapped_column(String(10))
    #: published with the notice before any bid: one input of the verifiable draw's seed
    draw_salt: Mapped[str] = mapped_column(String(64), default="")
    #: bumped by every edit of a published notice; bids confirmed for an older one are invalid
    revision: Mapped[int] = mapped_column(default=1)
    #: raised in the transaction of every change to what the notice's public page shows
    #: (versions.py): a page rendered for one version is never served for another
    # indexed: the statistics' data version sums it over every notice (statistics/cache.py)
    page_version: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    republished_from_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    service_days: Mapped[int]
    #: the payment plan every bidder sees (payment_plan.py): milestones with a label, a share
    #: of the contract amount in whole percent, the event it follows and its working days
    payment_plan: Mapped[list] = mapped_column(JSON, default=lambda: default_plan())
    deadline_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    state_changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the runner must next look at this notice (bidding deadline, publicity end)
    due_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publicity_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sign_deadline_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_deadline_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a direct invitation (直接邀请): only this agency may respond
    invited_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    selection_reason: Mapped[str] = mapped_column(Text, default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    @property
    def milestones_announced(self):
        """The payment plan as the notice announces it (payment_plan.Milestone rows)."""
        return milestones_of(self.payment_plan)

    purchaser: Mapped[Organisation] = relationship(foreign_keys=[purchaser_org_id])
    invited: Mapped[Organisation | None] = relationship(foreign_keys=[invited_org_id])
    item: Mapped[ServiceItem] = relationship()
    created_by: Mapped[User] = relationship()
    bids: Mapped[list["Bid"]] = relationship(back_populates="notice", order_by="Bid.id")
    contract: Mapped["Contract | None"] = relationship(  # noqa: F821 (contract_models.py)
        back_populates="notice", uselist=False
    )
    avoidances: Mapped[list["Avoidance"]] = relationship(
        back_populates="notice", order_by="Avoidance.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Document]] = relationship(secondary="notice_attachments")
    selections: Mapped[list["Selection"]] = relationship(
        back_populates="notice", order_by="Selection.round"
    )
    objections: Mapped[list["Objection"]] = relationship(
        back_populates="notice", order_by="Objection.id"
    )

    @property
    def state_label(self):
        return NOTICE.label(self.state)

    @property
    def state_badge(self):
        return NOTICE[self.state].badge

    @property
    def selection_method(self):
        """The registered selection method this notice uses."""
        return method_for(self.method)

    @property
    def method_label(self):
        return self.selection_method.label

    @property
    def funding_type(self):
        return "fiscal" if self.fiscal_share_pct > 0 else "social"

    @property
    def funding_label(self):
        return FUNDING_TYPES[self.funding_type]

    @property
    def is_fixed_price(self):
        return self.selection_method.fixed_price

    @property
    def active_bids(self):
        """Bids that count: confirmed for the current revision and not excluded."""
        return [b for b in self.bids if b.status in ("submitted", "selected")]

    @property
    def selected_bid(self):
        return next((b for b in self.bids if b.status == "selected"), None)


class Avoidance(db.Model):
    """An agency the purchaser must not engage for this notice (回避), with the reason."""

    __tablename__ = "notice_avoidances"
    __table_args__ = (UniqueConstraint("notice_id", "agency_org_id", name="uq_avoidance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(String(200))

    notice: Mapped[Notice] = relationship(back_populates="avoidances")
    agency: Mapped[Organisation] = relationship()


notice_attachments = Table(
    "notice_attachments",
    db.metadata,
    Column("notice_id", ForeignKey("notices.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)
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


#: a bid's status (set by the bid, selection and objection services)
BID_STATUS = Lifecycle(
    "bid",
    [
        State("submitted", _l("已提交"), "info"),
        State("selected", _l("中选"), "success"),
        State("invalidated", _l("待重新确认"), "warning"),  # the notice was edited since
        State("excluded", _l("已排除"), "secondary"),  # an upheld objection removed it
        State("withdrawn", _l("已撤回"), "secondary"),  # its agency withdrew it before the deadline
    ],
    [],
    column="status",
)


class Bid(db.Model):
    """A sealed quote: readable only by its bidder until bidding closes (see bids.py)."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("notice_id", "agency_org_id", name="uq_bids_notice_agency"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        BID_STATUS.check(),
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
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    plan: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the notice revision this bid was (re)confirmed for
    notice_revision: Mapped[int] = mapped_column(default=1)
    #: SHA-256 commitment receipt over the bid's content and `nonce` (published at opening)
    nonce: Mapped[str] = mapped_column(String(64), default="")
    commitment: Mapped[str] = mapped_column(String(64), default="")
    #: the purchaser's technical score 0–100 (scored evaluation only)
    technical_score: Mapped[int | None]
    #: the address the quote came from (risk alerts compare bidders of one notice)
    submitted_ip: Mapped[str] = mapped_column(String(45), default="")

    notice: Mapped[Notice] = relationship(back_populates="bids")
    agency: Mapped[Organisation] = relationship()
    documents: Mapped[list[Document]] = relationship(secondary=bid_documents)
    qualifications: Mapped[list[Qualification]] = relationship(secondary=bid_qualifications)

    @property
    def shown_qualifications(self):
        """Rejected declarations disappear from bids."""
        return [q for q in self.qualifications if q.status != "rejected"]

    @property
    def status_label(self):
        return BID_STATUS.label(self.status)

    @property
    def status_badge(self):
        return BID_STATUS[self.status].badge

    @property
    def is_selected(self) -> bool:
        return self.status == "selected"

    @property
    def status_noteworthy(self) -> bool:
        """Anything but a plain submitted bid is worth a badge in bid lists."""
        return self.status != "submitted"


class Selection(db.Model):
    """One run of the notice's selection method, with everything needed to re-run it: the
    candidates and their values, the seed and its inputs, the algorithm and parameters."""

    __tablename__ = "selections"
    __table_args__ = (UniqueConstraint("notice_id", "round", name="uq_selection_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    #: 1 for the first selection, +1 each time an upheld objection returns the notice
    round: Mapped[int] = mapped_column(default=1)
    method: Mapped[str] = mapped_column(String(10))
    algorithm: Mapped[str] = mapped_column(String(80))
    #: [{"bid_id", "agency_org_id", "amount_fen", "credit_score", ...}] in a fixed order
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    seed_inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    seed: Mapped[str] = mapped_column(String(64), default="")
    #: method-specific values fixed by the run (mean-price K, scores, tie-break order)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    winner_bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"))
    #: why nobody was selected (流标), if so
    failure: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="selections")
    winner: Mapped["Bid | None"] = relationship()


#: an objection's status (objections.py moves it)
OBJECTION_STATUS = Lifecycle(
    "objection",
    [
        State("open", _l("待采购人答复"), "warning"),
        State("answered", _l("待监管部门处理"), "warning"),
        State("upheld", _l("异议成立"), "primary"),
        State("rejected", _l("异议不成立"), "secondary"),
    ],
    [],
    column="status",
)

objection_documents = Table(
    "objection_documents",
    db.metadata,
    Column("objection_id", ForeignKey("objections.id"), primary_key=True),
    Column("document_id", ForeignKey("documents.id"), primary_key=True),
)


class Objection(db.Model):
    """A bidder's objection (质疑) to a result in publicity: answered by the purchaser,
    decided by the regulator; an open one blocks the contract."""

    __tablename__ = "objections"
    __table_args__ = (OBJECTION_STATUS.check(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selections.id"))
    objector_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str] = mapped_column(Text, default="")
    #: on an upheld objection: whether the objected winner is excluded from the new selection
    exclude_winner: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="objections")
    selection: Mapped[Selection] = relationship()
    objector: Mapped[Organisation] = relationship()
    documents: Mapped[list[Document]] = relationship(secondary=objection_documents)

    @property
    def status_label(self):
        return OBJECTION_STATUS.label(self.status)

    @property
    def status_badge(self):
        return OBJECTION_STATUS[self.status].badge

    @property
    def is_open(self):
        return self.status in ("open", "answered")


class BidReceipt(db.Model):
    """A commitment receipt its bid no longer stands on: replaced by a new quote, or withdrawn
    before the deadline. Its agency alone sees it until opening; then the published
    commitments list it as superseded beside the bid's current one."""

    __tablename__ = "bid_receipts"
    __table_args__ = (CheckConstraint("reason IN ('replaced', 'withdrawn')", name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    commitment: Mapped[str] = mapped_column(String(64))
    #: when the superseded quote was submitted, and when it stopped counting
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(10))

    bid: Mapped[Bid] = relationship()


class NoticeQuestion(db.Model):
    """A question a registered agency asked about a published notice (答疑), and the
    purchaser's public answer (澄清). Other agencies never learn who asked; an answer that
    changes the terms counts as an edit of the notice."""

    __tablename__ = "notice_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the answer changed the notice's terms (the deadline moved, quotes were invalidated)
    changes_terms: Mapped[bool] = mapped_column(default=False)

    notice: Mapped[Notice] = relationship()
