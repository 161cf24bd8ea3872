"""Quoting on a notice and choosing the winner (the agency's and the purchaser's side)."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ..agencies.documents import library
from ..agencies.qualifications import usable_qualifications
from ..core.auth import role_required
from ..core.errors import ServiceError, apply_to_form
from ..extensions import db
from . import services
from .bid_forms import BidForm, SelectBidForm
from .blueprint import action, bp, detail_panel, notice_or_404, render_detail


def _attachable(notice, user):
    """What the bid form offers an agency: its usable qualifications for the item and its
    library, or nothing when it cannot quote here."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency" or notice.state != "published":
        return [], []
    return usable_qualifications(org.id, notice.item_id), library(org.id)


@detail_panel
def _bids(notice, user, forms):
    qualifications, documents = _attachable(notice, user)
    return {
        "bids": services.visible_bids(notice, user),
        "bid_count": services.visible_bid_count(notice),
        "bid_form": BidForm(),
        "select_form": SelectBidForm(),
        "attachable_qualifications": qualifications,
        "attachable_documents": documents,
    }


@bp.route("/notices/<int:notice_id>/bid", methods=["POST"])
@role_required("agency")
def bid(notice_id):
    notice = notice_or_404(notice_id)
    form = BidForm()
    if form.validate_on_submit():
        try:
            services.submit_bid(
                current_user,
                notice,
                form.amount.fen,
                form.plan.data or "",
                form.qualification_ids.data or (),
                form.document_ids.data or (),
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("报价已密封提交。截止前任何人（包括采购人）都看不到您的报价。", "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    return render_detail(notice, bid_form=form), 422


@bp.route("/notices/<int:notice_id>/select", methods=["POST"])
@role_required("purchaser")
def select(notice_id):
    form = SelectBidForm()
    if not form.validate_on_submit():
        flash("请选择一家报价机构并填写选取理由", "danger")
        return redirect(url_for(".detail", notice_id=notice_id))
    try:
        bid_id = int(form.bid_id.data)
    except ValueError:
        abort(400)
    return action(
        notice_id,
        lambda n: services.select_bid(current_user, n, bid_id, form.reason.data),
        "已选定中选机构，结果进入公示期",
    )
