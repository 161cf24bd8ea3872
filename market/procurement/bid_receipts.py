"""The bidder's receipt of a quote: what it shows, as a page, a PDF (WeasyPrint, Chinese
fonts) and a machine-readable JSON file with Chinese keys. Only the agency's own people read
it (the views check); a superseded receipt says it was replaced or withdrawn."""

import os
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for

from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed
from ..core.hashing import canonical_json
from ..core.i18n import _, _l
from ..core.money import format_fen
from ..core.pdf import PdfUnavailable, render_pdf
from .bid_changes import SUPERSEDED_LABELS, receipts_of
from .bids import commitment_payload, own_bid
from .models import Bid, BidReceipt, Notice

STYLESHEET = os.path.join(os.path.dirname(__file__), "bid_receipt.css")

#: this host cannot make PDFs (WeasyPrint's system libraries are missing)
ReceiptUnavailable = PdfUnavailable

#: how a bidder checks its commitment, in plain words (the page, the PDF and the JSON)
HOW_TO_VERIFY = _l(
    "承诺值是对本次报价内容（公告编号、公告版本、机构、金额、服务方案、引用资质编号、"
    "附加材料编号及其文件 SHA-256）连同随机数（nonce）按规范 JSON（键名排序、无多余空格、"
    "UTF-8）计算的 SHA-256 摘要。报价截止后，平台在该公告的“报价承诺值公示”页公开全部承诺值；"
    "用本回执中的“承诺内容”自行计算 SHA-256，与公示的承诺值一致，即证明报价未被改动。"
)


@dataclass
class Receipt:
    """One receipt as shown: the bid's current one, or a superseded one."""

    notice: Notice
    bid: Bid
    commitment: str
    submitted_dt: datetime
    #: the superseded receipt shown, or None for the bid's current quote
    earlier: BidReceipt | None = None
    #: the bid's superseded receipts (links from the current one)
    history: list[BidReceipt] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return self.earlier is None

    @property
    def superseded_label(self) -> str:
        """已被替换 / 已被撤回 for a superseded receipt, "" for the standing one."""
        if self.earlier is None:
            return _("已被撤回") if self.bid.status == "withdrawn" else ""
        return _("已被替换") if self.earlier.reason == "replaced" else _("已被撤回")

    @property
    def payload(self) -> dict | None:
        """What the commitment covers (only the current quote's content is stored)."""
        if not self.current or not self.commitment:
            return None
        return commitment_payload(self.bid)

    @property
    def payload_json(self) -> str:
        return canonical_json(self.payload) if self.payload else ""


def receipt_for(notice: Notice, user, earlier_id: int | None = None) -> Receipt:
    """The user's agency's receipt on the notice (a superseded one by id); NotAllowed for
    anyone else: a receipt tells that a quote exists."""
    bid = own_bid(notice, user)
    if bid is None:
        raise NotAllowed(_("只有报价机构本身可以查看报价回执"))
    history = receipts_of(bid)
    if earlier_id is None:
        if bid.status == "withdrawn":
            last = history[-1] if history else None
            commitment, submitted = (last.commitment, last.submitted_dt) if last else ("", None)
            return Receipt(notice, bid, commitment, submitted, None, history)
        return Receipt(notice, bid, bid.commitment, bid.submitted_dt, None, history)
    earlier = next((r for r in history if r.id == earlier_id), None)
    if earlier is None:
        raise NotAllowed(_("只有报价机构本身可以查看报价回执"))
    return Receipt(notice, bid, earlier.commitment, earlier.submitted_dt, earlier, history)


def _local(moment: datetime | None) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def receipt_json(receipt: Receipt) -> dict:
    """The receipt as data with Chinese keys (a published format: they stay Chinese; the
    values read in the reader's language); 承诺内容 keeps the payload's own keys, since
    the commitment is computed over exactly that JSON."""
    bid = receipt.bid
    data = {
        "公告编号": receipt.notice.id,  # i18n: data
        "公告标题": receipt.notice.title,  # i18n: data
        "机构": bid.agency.name,  # i18n: data
        "提交时间": _local(receipt.submitted_dt),  # i18n: data
        "承诺值": receipt.commitment,  # i18n: data
        "状态": str(receipt.superseded_label or bid.status_label),  # i18n: data
        "核验方法": str(HOW_TO_VERIFY),  # i18n: data
        "承诺值公示页": url_for(  # i18n: data
            "procurement.commitments", notice_id=receipt.notice.id, _external=True
        ),
    }
    if receipt.earlier is not None:
        data["失效时间"] = _local(receipt.earlier.superseded_dt)  # i18n: data
    if receipt.payload is not None:
        data["报价金额（元）"] = format_fen(bid.amount_fen)  # i18n: data
        files = [{"名称": d.title, "SHA-256": d.sha256} for d in bid.documents]  # i18n: data
        data["附加材料"] = files  # i18n: data
        data["随机数"] = bid.nonce  # i18n: data
        data["承诺内容"] = receipt.payload  # i18n: data
    return data


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt printed as a PDF document."""
    return render_pdf(
        "procurement/bid_receipt_pdf.html",
        STYLESHEET,
        receipt=receipt,
        how_to_verify=HOW_TO_VERIFY,
        superseded_labels=SUPERSEDED_LABELS,
        issued_dt=utcnow(),
        commitments_url=url_for(
            "procurement.commitments", notice_id=receipt.notice.id, _external=True
        ),
    )


def receipt_filename(receipt: Receipt) -> str:
    suffix = f"-{receipt.earlier.id}" if receipt.earlier is not None else ""
    return f"bid-receipt-{receipt.notice.id}{suffix}"
