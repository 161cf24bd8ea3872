"""Rectification after a poor evaluation (差评整改): the rated organisation answers on the
notice page; operators list the cases and record follow-up visits (回访)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..extensions import db
from . import services
from .blueprint import bp, checked, paginate
from .contract_forms import FollowupForm, RectificationAnswerForm
from .contract_models import RECTIFICATION_STATES, Rectification


@bp.route("/rectifications/<int:rectification_id>/answer", methods=["POST"])
@role_required("purchaser", "agency")
def answer_rectification(rectification_id):
    case = db.session.get(Rectification, rectification_id)
    if case is None:
        abort(404)
    # Who may answer first: anyone else gets 403 whatever the form holds.
    services.check_answerer(current_user, case)
    form = RectificationAnswerForm()
    try:
        checked(form)
        services.answer_rectification(current_user, case.id, form.answer.data or "")
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("整改说明已提交，平台运营方将进行回访"), "success")
    notice_id = case.evaluation.contract.notice_id
    return redirect(url_for(".detail", notice_id=notice_id) + "#rectification")


@bp.route("/operator/rectifications")
@role_required("operator")
def rectifications():
    status = request.args.get("status")
    status = status if status in RECTIFICATION_STATES else None
    cases, answered, followed = services.rectification_rates()
    return render_template(
        "procurement/rectifications.html",
        page=paginate(services.rectifications_query(status)),
        status=status,
        states=RECTIFICATION_STATES,
        counts=services.rectification_counts(),
        rates={"cases": cases, "answered": answered, "followed_up": followed},
        form=FollowupForm(),
        dimensions_for=services.dimensions_for,
    )


@bp.route("/rectifications/<int:rectification_id>/followup", methods=["POST"])
@role_required("operator")
def record_followup(rectification_id):
    form = FollowupForm()
    try:
        checked(form)
        services.record_followup(current_user, rectification_id, form.note.data or "")
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已记录回访"), "success")
    # Back to the list the operator was on (a known status only: no redirect elsewhere).
    status = request.form.get("status")
    return redirect(
        url_for(".rectifications", status=status if status in RECTIFICATION_STATES else None)
    )
