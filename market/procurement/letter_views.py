"""Documents of a procurement's outcome as PDF: the award notice and the notice of
non-selection (letters.py) with their links on the notice page, and the contract to sign
previewed before it is generated for signing (contract_text.py)."""

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.i18n import _
from ..core.pdf import PdfUnavailable
from . import contract_text, letters
from .blueprint import bp, detail_panel, notice_or_404


@detail_panel
def _letters(notice, user, forms, access):
    return {"letters": letters.letters_for(notice, user)}


def _pdf(notice, make, name):
    try:
        pdf = make()
    except PdfUnavailable:
        current_app.logger.exception("letters as PDF need pango (docs/operations.md)")
        flash(_("暂时无法生成 PDF 文件，请稍后再试或联系平台运营方"), "warning")
        return redirect(url_for("procurement.detail", notice_id=notice.id))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}-{notice.id}.pdf"'},
    )


@bp.route("/notices/<int:notice_id>/letters/award.pdf")
@role_required("purchaser", "agency")
def award_letter(notice_id):
    notice = notice_or_404(notice_id)
    if not letters.letters_for(notice, current_user).award:
        abort(404)
    return _pdf(notice, lambda: letters.award_letter_pdf(notice), "award-letter")


@bp.route("/notices/<int:notice_id>/letters/outcome.pdf")
@role_required("agency")
def outcome_letter(notice_id):
    notice = notice_or_404(notice_id)
    bid = letters.own_losing_bid(notice, current_user)
    if bid is None:
        abort(404)
    return _pdf(notice, lambda: letters.outcome_letter_pdf(notice, bid), "outcome-letter")


@bp.route("/notices/<int:notice_id>/contract/preview.pdf")
@role_required("purchaser", "agency")
def contract_preview(notice_id):
    notice = notice_or_404(notice_id)
    contract = contract_text.previewable(notice, current_user)
    if contract is None:
        abort(404)
    if contract.document is not None:  # generated or uploaded already: the file both sign
        return redirect(url_for("library.download", document_id=contract.document.id))
    return _pdf(notice, lambda: contract_text.contract_pdf(contract)[0], "contract-preview")
