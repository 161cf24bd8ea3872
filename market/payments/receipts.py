"""Payment receipts as PDF (WeasyPrint, Chinese fonts): what was paid for which milestone of
which contract, how, when, and where its public record is."""

import os

from flask import url_for

from ..core.clock import utcnow
from ..core.pdf import PdfUnavailable, render_pdf
from .models import Milestone

STYLESHEET = os.path.join(os.path.dirname(__file__), "receipt.css")


def receipt_number(milestone: Milestone) -> str:
    return f"FK{milestone.contract.number[2:]}-{milestone.position}"


#: this host cannot make PDFs (WeasyPrint's system libraries are missing)
ReceiptUnavailable = PdfUnavailable


def receipt_pdf(milestone: Milestone) -> bytes:
    """The receipt of a milestone's payment as a PDF document."""
    return render_pdf(
        "payments/receipt.html",
        STYLESHEET,
        milestone=milestone,
        contract=milestone.contract,
        notice=milestone.contract.notice,
        payment=milestone.succeeded_payment or milestone.latest_record,
        number=receipt_number(milestone),
        issued_dt=utcnow(),
        public_url=url_for(
            "procurement.detail", notice_id=milestone.contract.notice_id, _external=True
        ),
    )
