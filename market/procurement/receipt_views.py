"""The bidder's receipt of its quote: a page, a PDF and a JSON file, for the agency's own
people only (a receipt tells that a quote exists); `?earlier=<id>` names a superseded one."""

import json

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.converters import id_arg
from ..core.i18n import _
from ..core.logs import logged_as_route
from . import bid_receipts
from .blueprint import bp, notice_or_404


def _receipt(notice_id):
    notice = notice_or_404(notice_id, reading=True)
    return bid_receipts.receipt_for(notice, current_user, id_arg("earlier"))


@bp.route("/notices/<int:notice_id>/bid/receipt")
@logged_as_route  # the access line must not tell which notice was quoted on
@role_required("agency")
def bid_receipt(notice_id):
    receipt = _receipt(notice_id)
    return render_template(
        "procurement/bid_receipt.html",
        receipt=receipt,
        notice=receipt.notice,
        how_to_verify=bid_receipts.HOW_TO_VERIFY,
        superseded_labels=bid_receipts.SUPERSEDED_LABELS,
    )


@bp.route("/notices/<int:notice_id>/bid/receipt.pdf")
@logged_as_route
@role_required("agency")
def bid_receipt_pdf(notice_id):
    receipt = _receipt(notice_id)
    try:
        pdf = bid_receipts.receipt_pdf(receipt)
    except bid_receipts.ReceiptUnavailable:
        current_app.logger.exception("receipt PDFs need pango (docs/operations.md)")
        flash(_("暂时无法生成 PDF 报价回执，请稍后再试或联系平台运营方"), "warning")
        return redirect(url_for(".bid_receipt", notice_id=notice_id))
    name = bid_receipts.receipt_filename(receipt)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@bp.route("/notices/<int:notice_id>/bid/receipt.json")
@logged_as_route
@role_required("agency")
def bid_receipt_json(notice_id):
    receipt = _receipt(notice_id)
    body = json.dumps(bid_receipts.receipt_json(receipt), ensure_ascii=False, indent=2)
    name = bid_receipts.receipt_filename(receipt)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )
