"""Objections during publicity: filing (bidders), answering (the purchaser), deciding (the
regulator of the item's department)."""

from flask_login import current_user

from ..agencies.library_forms import uploads_of
from ..core.auth import role_required
from ..core.i18n import _
from . import services
from .blueprint import bp, detail_panel, form_action, notice_or_404, offered
from .contract_forms import AnswerForm, DecisionForm, ObjectionForm


@detail_panel
def _objections(notice, user, forms, access):
    return {
        "objection_form": offered(access.may_object, ObjectionForm),
        "answer_form": offered(bool(access.answerable_objections), AnswerForm),
        "decision_form": offered(access.may_decide_objections, DecisionForm),
        "readable_objections": {
            o.id for o in notice.objections if services.can_read_objection(o, user)
        },
    }


@bp.route("/notices/<int:notice_id>/objections", methods=["POST"])
@role_required("agency")
def object_to_result(notice_id):
    notice = notice_or_404(notice_id)
    services.check_bidder(current_user, notice)  # before the form: 403 whatever it holds
    form = ObjectionForm()

    def do(form):
        services.file_objection(
            current_user, notice, form.reasons.data or "", uploads_of(form.files, "objection")
        )

    return form_action(
        notice,
        form,
        "objection_form",
        do,
        _("异议已提交。采购人答复、监管部门处理前，本项目暂不确定中选"),
        anchor="#objections",
    )


@bp.route("/notices/<int:notice_id>/objections/<int:objection_id>/answer", methods=["POST"])
@role_required("purchaser")
def answer_objection(notice_id, objection_id):
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)  # before the form: 403 whatever it holds
    form = AnswerForm()

    def do(form):
        services.answer_objection(current_user, notice, objection_id, form.answer.data or "")

    return form_action(
        notice,
        form,
        "answer_form",
        do,
        _("已答复异议，等待监管部门处理"),
        anchor="#objections",
        answering_id=objection_id,
    )


@bp.route("/notices/<int:notice_id>/objections/<int:objection_id>/decide", methods=["POST"])
@role_required("regulator")
def decide_objection(notice_id, objection_id):
    notice = notice_or_404(notice_id)
    services.check_regulator(current_user, notice)  # before the form: 403 whatever it holds
    form = DecisionForm()
    upheld = form.outcome.data == "upheld"

    def do(form):
        services.decide_objection(
            current_user,
            notice,
            objection_id,
            upheld,
            form.decision.data or "",
            exclude_winner=form.exclude_winner.data,
        )

    return form_action(
        notice,
        form,
        "decision_form",
        do,
        _("异议成立，本项目重新选取") if upheld else _("已处理：异议不成立"),
        anchor="#objections",
        deciding_id=objection_id,
    )
