"""The catalogue of intermediary services (中介服务事项清单)."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db

ITEM_STATUSES = {
    "draft": "梳理中",
    "published": "已公布",
    "online": "已上线",
    "withdrawn": "已取消",
}
ITEM_LISTS = {"licensing": "行政许可中介服务事项", "other": "其他行政管理中介服务事项"}
FEE_TYPES = {"market": "市场调节价", "government": "政府指导价"}


class ServiceItem(db.Model):
    __tablename__ = "service_items"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(ITEM_STATUSES)}", name="status"),
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
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def status_label(self):
        return ITEM_STATUSES[self.status]

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
        return self.status == "online"

    @property
    def legal_basis_parts(self):
        return [part for part in self.legal_basis.split(";") if part]
