"""Delivery, acceptance and evaluation after the contract."""

from flask import flash, redirect, url_for
from flask_login import current_user

from ..agencies.models import RATING_DIMENSIONS
from ..core.auth import role_required
from ..core.errors import ServiceError, apply_to_form
from ..extensions import db
from . import services
from .blueprint import action, bp, detail_panel, notice_or_404, render_detail
from .contract_forms import DeliverForm, EvaluationForm


@detail_panel
def _contract(notice, user, forms):
    return {
        "deliver_form": DeliverForm(),
        "evaluation_form": EvaluationForm(),
        "dimensions": RATING_DIMENSIONS,
    }


@bp.route("/notices/<int:notice_id>/deliver", methods=["POST"])
@role_required("agency")
def deliver(notice_id):
    form = DeliverForm()
    note = form.note.data or ""
    return action(
        notice_id,
        lambda n: services.mark_delivered(current_user, n, note),
        "已提交交付，等待采购人验收",
    )


@bp.route("/notices/<int:notice_id>/accept", methods=["POST"])
@role_required("purchaser")
def accept(notice_id):
    notice = notice_or_404(notice_id)
    form = EvaluationForm()
    if form.validate_on_submit():
        scores = {key: getattr(form, key).data for key in RATING_DIMENSIONS}
        try:
            services.accept_and_evaluate(current_user, notice, scores, form.comment.data or "")
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("已验收并完成评价，感谢您的反馈", "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    return render_detail(notice, evaluation_form=form), 422
