"""The catalogue of intermediary services (中介服务事项清单)."""

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

from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .fields import FEE_TYPE_LABELS, LISTS
from .states import BATCH, ITEM, REVISION, REVISION_KINDS

ITEM_STATUSES = ITEM.labels()
ITEM_LISTS = LISTS
FEE_TYPES = FEE_TYPE_LABELS


class ServiceItem(db.Model):
    __tablename__ = "service_items"
    __table_args__ = (
        ITEM.check("status"),
        CheckConstraint(f"list_kind IN {tuple(ITEM_LISTS)}", name="list_kind"),
        CheckConstraint(f"fee_type IN {tuple(FEE_TYPES)}", name="fee_type"),
        # A government-priced item states its standard as an amount range or a rate range.
        CheckConstraint(
            "fee_type = 'market' OR (fee_min_fen IS NOT NULL AND fee_max_fen IS NOT NULL)"
            " OR (fee_rate_min_bp IS NOT NULL AND fee_rate_max_bp IS NOT NULL)",
            name="government_fee_has_standard",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    licensing_item: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    approving_department: Mapped[str] = mapped_column(String(100))
    implementing_requirement: Mapped[str] = mapped_column(String(200), default="")
    fee_type: Mapped[str] = mapped_column(String(20), default="market")
    fee_basis: Mapped[str] = mapped_column(String(200), default="")
    #: a government-priced standard: amounts in fen, or rates in basis points (1 bp = 0.01%)
    fee_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_rate_min_bp: Mapped[int | None]
    fee_rate_max_bp: Mapped[int | None]
    commissioned_by: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(50), index=True)
    list_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: the number of the revision now in force (1 for an item as first recorded)
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the day the item first reached the public list (it stays visible, with its history,
    #: once withdrawn); None while it has only been a draft
    first_public_on: Mapped[date | None] = mapped_column(Date)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    revisions: Mapped[list["ItemRevision"]] = relationship(
        back_populates="item", order_by="ItemRevision.id"
    )

    @property
    def status_label(self):
        return ITEM_STATUSES[self.status]

    @property
    def status_badge(self):
        return ITEM[self.status].badge

    @property
    def is_public(self):
        return ITEM[self.status].public

    @property
    def is_withdrawn(self):
        return self.status == "withdrawn"

    @property
    def ever_public(self):
        """Whether the public list has shown it (a withdrawn item keeps its page)."""
        return self.first_public_on is not None or ITEM[self.status].public

    @property
    def list_label(self):
        return ITEM_LISTS[self.list_kind]

    @property
    def fee_type_label(self):
        return FEE_TYPES[self.fee_type]

    @property
    def is_government_priced(self):
        return self.fee_type == "government"

    @property
    def fee_is_rate(self):
        return self.fee_rate_max_bp is not None

    @property
    def is_online(self):
        return ITEM[self.status].procurable

    @property
    def legal_basis_parts(self):
        return [part for part in self.legal_basis.split(";") if part]


class CatalogueBatch(db.Model):
    """A numbered batch (第 N 批): items a department publishes together on an effective date
    and later takes online together."""

    __tablename__ = "catalogue_batches"
    __table_args__ = (BATCH.check(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    department: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    #: local calendar dates: the items are published on the first and go online on the second
    publishes_on: Mapped[date] = mapped_column(Date)
    online_on: Mapped[date | None] = mapped_column(Date)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    online_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")
    revisions: Mapped[list["ItemRevision"]] = relationship(
        back_populates="batch", order_by="ItemRevision.id"
    )

    @property
    def state_label(self):
        return BATCH.label(self.state)

    @property
    def state_badge(self):
        return BATCH[self.state].badge

    @property
    def is_public(self):
        """A batch is announced once its items are published."""
        return self.state != "scheduled"

    @property
    def may_go_online(self):
        return BATCH.allows(self.state, "going_online", None)


class ItemRevision(db.Model):
    """One change of an item: what changes (fields and/or state), why, from when, by whom.
    Pending until its effective date; once applied it carries the item's version number, the
    values it replaced and the whole item as it then stood (the list as of any date is read
    from these snapshots)."""

    __tablename__ = "item_revisions"
    __table_args__ = (
        REVISION.check(),
        CheckConstraint(f"kind IN {tuple(REVISION_KINDS)}", name="kind"),
        UniqueConstraint("item_id", "version", name="uq_item_revisions_item_version"),
        Index("ix_item_revisions_state_effective_on", "state", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    #: field → new value ("status" for a change of state)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    effective_on: Mapped[date] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when applied
    version: Mapped[int | None]
    applied_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: field → the value it replaced
    before: Mapped[dict | None] = mapped_column(JSON)
    #: the item's published fields after this revision
    snapshot: Mapped[dict | None] = mapped_column(JSON)

    item: Mapped[ServiceItem] = relationship(back_populates="revisions")
    batch: Mapped[CatalogueBatch | None] = relationship(back_populates="revisions")
    author = relationship("User")

    @property
    def kind_label(self):
        return REVISION_KINDS[self.kind]

    @property
    def is_pending(self):
        return self.state == "pending"

    @property
    def state_label(self):
        return REVISION.label(self.state)


class CatalogueImport(db.Model):
    """An Excel file a department uploaded: its rows, checked a chunk at a time (the preview
    shows its progress), then applied as one batch."""

    __tablename__ = "catalogue_imports"
    __table_args__ = (CheckConstraint("state IN ('checking', 'checked', 'applied')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="checking")
    #: the sheet's rows as read (header → text), and each checked row's outcome
    rows: Mapped[list] = mapped_column(JSON, default=list)
    outcomes: Mapped[list] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_batches.id"))

    batch: Mapped[CatalogueBatch | None] = relationship()

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def checked(self) -> int:
        return len(self.outcomes)

    @property
    def progress_pct(self) -> int:
        return 100 if not self.rows else self.checked * 100 // self.total


class ContractModel(db.Model):
    """One version of an item's model contract (合同示范文本), kept by its approving
    department: the text every contract for the item is generated from, with placeholders
    (【采购人】 …) filled in from the notice and the winning quote. The latest version applies
    to contracts drawn up from then on."""

    __tablename__ = "contract_models"
    __table_args__ = (
        UniqueConstraint("item_id", "version", name="uq_contract_models_item_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ServiceItem] = relationship()
