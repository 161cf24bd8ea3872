"""Signing, delivery, acceptance, evaluation and termination after the award."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..agencies.library_forms import uploads_of
from ..agencies.models import RATING_DIMENSIONS
from ..core.auth import role_required
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..extensions import db
from . import services
from .blueprint import (
    action,
    bp,
    detail_panel,
    form_action,
    notice_or_404,
    offered,
    render_detail,
)
from .contract_forms import (
    RATING_FORMS,
    AgencyRatingForm,
    DeliverForm,
    EvaluationReplyForm,
    ReturnForm,
    SignForm,
    TerminateForm,
)
from .contract_models import EVALUATION_DIRECTIONS
from .states import party_of


@detail_panel
def _contract(notice, user, forms, access):
    rating_form = RATING_FORMS.get(access.party)
    evaluations = services.visible_evaluations(notice, user)
    replyable = frozenset(e.id for e in evaluations if services.may_reply(e, notice, user))
    return {
        "sign_form": offered(access.may_sign, SignForm),
        "deliver_form": offered(access.may_deliver, DeliverForm),
        "accept_form": offered(access.may_accept, AgencyRatingForm),
        "return_form": offered(access.may_accept, ReturnForm),
        "evaluation_form": offered(access.may_evaluate and rating_form, rating_form),
        "terminate_form": offered(access.may_terminate, TerminateForm),
        "evaluations": evaluations,
        "replyable_evaluations": replyable,
        "evaluation_reply_form": offered(bool(replyable), EvaluationReplyForm),
        "rectifications": services.readable_rectifications(notice, user),
        "dimensions_for": services.dimensions_for,
        "directions": EVALUATION_DIRECTIONS,
    }


def _back(notice_id):
    return redirect(url_for(".detail", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/sign", methods=["POST"])
@role_required("purchaser", "agency")
def sign(notice_id):
    notice = notice_or_404(notice_id)
    form = SignForm()
    if form.validate_on_submit():
        uploads = uploads_of(form.file, "contract")
        try:
            contract = services.sign_contract(current_user, notice, uploads[0] if uploads else None)
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            both = contract.purchaser_signed_dt and contract.agency_signed_dt
            flash(
                _("双方均已签署，合同生效，服务开始") if both else _("已签署，等待对方确认签署"),
                "success",
            )
            return _back(notice.id)
    return render_detail(notice, sign_form=form), 422


@bp.route("/notices/<int:notice_id>/deliver", methods=["POST"])
@role_required("agency")
def deliver(notice_id):
    notice = notice_or_404(notice_id)
    services.check_deliverer(current_user, notice)  # before the form: 403 whatever it holds
    form = DeliverForm()

    def do(form):
        services.mark_delivered(
            current_user, notice, form.note.data or "", uploads_of(form.files, "deliverable")
        )

    return form_action(notice, form, "deliver_form", do, _("已提交交付，等待采购人验收"))


def _rates():
    """Whether the accept form carries a rating (验收并评价) rather than acceptance alone."""
    return any(request.form.get(key) for key in RATING_DIMENSIONS) or "evaluate" in request.form


@bp.route("/notices/<int:notice_id>/accept", methods=["POST"])
@role_required("purchaser")
def accept(notice_id):
    """Accept only, or accept and rate the agency in one go when scores are sent."""
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)  # before the form: 403 whatever it holds
    form = AgencyRatingForm()
    if not _rates():
        return action(
            notice_id,
            lambda n: services.accept_delivery(current_user, n),
            _("已验收。请在评价期内为服务机构评分"),
        )

    def do(form):
        scores = {key: getattr(form, key).data for key in RATING_DIMENSIONS}
        services.accept_and_evaluate(current_user, notice, scores, form.comment.data or "")

    return form_action(
        notice,
        form,
        "accept_form",
        do,
        _("已验收并提交评价。双方评价均提交后（或评价期结束时）一并公开"),
    )


@bp.route("/notices/<int:notice_id>/return", methods=["POST"])
@role_required("purchaser")
def return_delivery(notice_id):
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)  # before the form: 403 whatever it holds
    form = ReturnForm()

    def do(form):
        services.return_delivery(current_user, notice, form.reason.data or "")

    return form_action(notice, form, "return_form", do, _("已退回成果，等待机构修改后重新交付"))


@bp.route("/notices/<int:notice_id>/evaluate", methods=["POST"])
@role_required("purchaser", "agency")
def evaluate(notice_id):
    notice = notice_or_404(notice_id)
    form_class = RATING_FORMS.get(party_of(notice, current_user))
    if form_class is None:
        raise NotAllowed(_("只有合同双方可以评价"))
    form = form_class()

    def do(form):
        scores = {key: getattr(form, key).data for key in RATING_DIMENSIONS}
        services.evaluate(current_user, notice, scores, form.comment.data or "")

    return form_action(
        notice,
        form,
        "evaluation_form",
        do,
        _("评价已提交。双方评价均提交后（或评价期结束时）一并公开"),
    )


@bp.route("/notices/<int:notice_id>/evaluations/<int:evaluation_id>/reply", methods=["POST"])
@role_required("purchaser", "agency")
def reply_to_evaluation(notice_id, evaluation_id):
    notice = notice_or_404(notice_id)
    # Only the rated party: anyone else gets 403 whatever the form holds.
    try:
        services.check_replier(current_user, notice, evaluation_id)
    except NotAllowed:
        raise
    except ServiceError:
        abort(404)  # no such evaluation on this notice
    form = EvaluationReplyForm()

    def do(form):
        services.reply_to_evaluation(current_user, notice, evaluation_id, form.reply.data or "")

    return form_action(
        notice,
        form,
        "evaluation_reply_form",
        do,
        _("回复已公开显示在评价旁"),
        anchor="#evaluations",
        replying_id=evaluation_id,
    )


@bp.route("/notices/<int:notice_id>/terminate", methods=["POST"])
@role_required("purchaser", "regulator")
def terminate(notice_id):
    notice = notice_or_404(notice_id)
    services.check_terminator(current_user, notice)  # before the form: 403 whatever it holds
    form = TerminateForm()

    def do(form):
        services.terminate_contract(current_user, notice, form.reason.data or "")

    return form_action(notice, form, "terminate_form", do, _("已中止服务，中止原因已公开"))
