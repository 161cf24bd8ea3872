"""Drafting, editing, publishing and cancelling notices (the purchaser's side)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..accounts.models import Organisation
from ..catalogue.services import online_items
from ..core.auth import role_required
from ..core.clock import from_local, to_local
from ..core.errors import ServiceError, apply_to_form
from ..extensions import db
from . import services
from .blueprint import action, bp, detail_panel, notice_or_404
from .forms import NoticeForm, ReasonForm


@detail_panel
def _notice_forms(notice, user, forms):
    return {"cancel_form": ReasonForm()}


def _notice_data(form):
    return services.NoticeData(
        item_id=form.item_id.data,
        title=form.title.data,
        scope=form.scope.data,
        ceiling_fen=form.ceiling.fen,
        service_days=form.service_days.data,
        deadline_dt=from_local(form.deadline.data),
        contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data,
        invited_org_id=None if form.remove_invitation.data else form.invited_org_id.data,
    )


def _item_choices(form):
    form.item_id.choices = [SelectChoice(i.id, f"{i.code} {i.name}") for i in online_items()]


def _render_form(form, notice):
    invited_id = form.invited_org_id.data
    invited = db.session.get(Organisation, invited_id) if invited_id else None
    return render_template(
        "procurement/form.html",
        form=form,
        notice=notice,
        invited=invited if invited is not None and invited.kind == "agency" else None,
    )


@bp.route("/notices/new", methods=["GET", "POST"])
@role_required("purchaser")
def create():
    form = NoticeForm()
    _item_choices(form)
    if request.method == "GET":
        form.item_id.data = request.args.get("item", type=int)
        form.invited_org_id.data = request.args.get("invite", type=int)
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.organisation.contact_phone
        form.deadline.data = to_local(services.earliest_deadline()).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            notice = services.create_notice(current_user, _notice_data(form))
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("公告草稿已保存。确认无误后请点击“发布”。", "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    return _render_form(form, None)


@bp.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@role_required("purchaser")
def edit(notice_id):
    notice = notice_or_404(notice_id)
    form = NoticeForm(obj=notice)
    _item_choices(form)
    if request.method == "GET":
        form.ceiling.data = f"{notice.ceiling_fen / 100:.2f}"
        form.deadline.data = to_local(notice.deadline_dt).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            services.update_notice(current_user, notice, _notice_data(form))
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("公告已修改", "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    return _render_form(form, notice)


@bp.route("/notices/<int:notice_id>/publish", methods=["POST"])
@role_required("purchaser")
def publish(notice_id):
    return action(
        notice_id,
        lambda n: services.publish_notice(current_user, n),
        "公告已发布，符合条件的中介机构现在可以报价",
    )


@bp.route("/notices/<int:notice_id>/cancel", methods=["POST"])
@role_required("purchaser")
def cancel(notice_id):
    form = ReasonForm()
    reason = form.reason.data or ""
    return action(
        notice_id, lambda n: services.cancel_notice(current_user, n, reason), "公告已撤销"
    )
