"""Objections during publicity: filing (bidders), answering (the purchaser), deciding (the
regulator of the item's department)."""

from flask import flash, redirect, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..extensions import db
from . import services
from .blueprint import bp, detail_panel, notice_or_404, render_detail
from .contract_forms import AnswerForm, DecisionForm, ObjectionForm, uploads_of
from .parties import check_regulator


def _may_decide(notice, user):
    if user is None or not notice.objections:
        return False
    try:
        check_regulator(user, notice)
    except NotAllowed:
        return False
    return True


@detail_panel
def _objections(notice, user, forms):
    return {
        "objection_form": ObjectionForm(),
        "answer_form": AnswerForm(),
        "decision_form": DecisionForm(),
        "may_object": services.may_object(notice, user),
        "may_decide": _may_decide(notice, user),
        "readable_objections": {
            o.id for o in notice.objections if services.can_read_objection(o, user)
        },
    }


def _back(notice_id):
    return redirect(url_for(".detail", notice_id=notice_id) + "#objections")


@bp.route("/notices/<int:notice_id>/objections", methods=["POST"])
@role_required("agency")
def object_to_result(notice_id):
    notice = notice_or_404(notice_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            services.file_objection(
                current_user, notice, form.reasons.data or "", uploads_of(form.files, "objection")
            )
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("异议已提交。采购人答复、监管部门处理前，本项目暂不确定中选", "success")
            return _back(notice.id)
    return render_detail(notice, objection_form=form), 422


@bp.route("/notices/<int:notice_id>/objections/<int:objection_id>/answer", methods=["POST"])
@role_required("purchaser")
def answer_objection(notice_id, objection_id):
    notice = notice_or_404(notice_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_objection(current_user, notice, objection_id, form.answer.data or "")
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("已答复异议，等待监管部门处理", "success")
            return _back(notice.id)
    return render_detail(notice, answer_form=form, answering_id=objection_id), 422


@bp.route("/notices/<int:notice_id>/objections/<int:objection_id>/decide", methods=["POST"])
@role_required("regulator")
def decide_objection(notice_id, objection_id):
    notice = notice_or_404(notice_id)
    form = DecisionForm()
    if form.validate_on_submit():
        upheld = form.outcome.data == "upheld"
        try:
            services.decide_objection(
                current_user,
                notice,
                objection_id,
                upheld,
                form.decision.data or "",
                exclude_winner=form.exclude_winner.data,
            )
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("异议成立，本项目重新选取" if upheld else "已处理：异议不成立", "success")
            return _back(notice.id)
    return render_detail(notice, decision_form=form, deciding_id=objection_id), 422
