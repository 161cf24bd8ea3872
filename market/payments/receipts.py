"""Payment receipts as PDF (WeasyPrint, Chinese fonts): what was paid for which milestone of
which contract, how, when, and where its public record is."""

import logging
import os

from flask import render_template, url_for

from ..core.clock import utcnow
from .models import Milestone

# WeasyPrint reports each step of every rendering at INFO: noise in the site's logs.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
STYLESHEET = os.path.join(os.path.dirname(__file__), "receipt.css")


def receipt_number(milestone: Milestone) -> str:
    return f"FK{milestone.contract.number[2:]}-{milestone.position}"


class ReceiptUnavailable(Exception):
    """This host cannot make PDFs (WeasyPrint's system libraries are missing)."""


def receipt_pdf(milestone: Milestone) -> bytes:
    """The receipt of a milestone's payment as a PDF document."""
    try:
        # Loaded on first use: nothing else needs pango, which a bare host may lack.
        from weasyprint import CSS, HTML
    except OSError as err:
        raise ReceiptUnavailable(str(err)) from err

    payment = milestone.succeeded_payment or milestone.latest_record
    html = render_template(
        "payments/receipt.html",
        milestone=milestone,
        contract=milestone.contract,
        notice=milestone.contract.notice,
        payment=payment,
        number=receipt_number(milestone),
        issued_dt=utcnow(),
        public_url=url_for(
            "procurement.detail", notice_id=milestone.contract.notice_id, _external=True
        ),
    )
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=STYLESHEET)])
