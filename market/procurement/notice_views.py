"""Drafting, editing, publishing, cancelling and re-publishing notices (the purchaser's side)."""

import os

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from ..accounts.models import Organisation
from ..agencies.documents import Upload, held_documents, hold_uploads, library
from ..agencies.library_forms import document_choice
from ..catalogue.services import online_items
from ..core.auth import role_required
from ..core.clock import from_local, to_local
from ..core.converters import id_arg, optional_id
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..extensions import db
from . import services
from .blueprint import action, bp, checked, detail_panel, notice_or_404, offered
from .forms import NoticeForm, ReasonForm
from .models import Notice
from .notices import avoidance_candidates
from .selection import registered
from .states import NOTICE


@detail_panel
def _notice_forms(notice, user, forms, access):
    origin_id = notice.republished_from_id
    origin = db.session.get(Notice, origin_id) if origin_id else None
    republishable = NOTICE[notice.state].republishable
    return {
        "cancel_form": offered(access.may_cancel, ReasonForm),
        "republished_as": services.republished_as(notice) if republishable else None,
        "republished_from": origin,
    }


def _uploads(form) -> list[Upload]:
    uploads = []
    for storage in form.files.data or []:
        # a JSON body can put anything in the field: only uploaded files are files
        if isinstance(storage, FileStorage) and storage.filename:
            stem = os.path.splitext(os.path.basename(storage.filename))[0]
            title = stem or "采购文件"  # i18n: data (a stored title)
            uploads.append(Upload("notice", title, storage.filename, storage.read()))
    return uploads


def _notice_data(form, uploads):
    avoidances = [
        (entry.agency_org_id.data, entry.reason.data or "")
        for entry in form.avoidances
        if entry.agency_org_id.data or (entry.reason.data or "").strip()
    ]
    return services.NoticeData(
        item_id=form.item_id.data,
        title=form.title.data or "",
        scope=form.scope.data or "",
        ceiling_fen=form.ceiling.fen,
        service_days=form.service_days.data,
        deadline_dt=from_local(form.deadline.data),
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        invited_org_id=None if form.remove_invitation.data else form.invited_org_id.data,
        project_name=form.project_name.data or "",
        project_code=form.project_code.data or "",
        fiscal_share_pct=form.fiscal_share_pct.data or 0,
        floor_fen=form.floor.fen,
        method=form.method.data or "direct",
        method_reason=form.method_reason.data or "",
        weight_price=form.weight_price.data or 0,
        weight_credit=form.weight_credit.data or 0,
        weight_technical=form.weight_technical.data or 0,
        requires_qualification=form.requires_qualification.data,
        min_grade=form.min_grade.data or None,
        avoidances=avoidances,
        payment_plan=[
            (e.title.data, e.percent.data, e.event.data, e.days.data)
            for e in form.milestones
            if (e.title.data or "").strip() or e.percent.data is not None
        ],
        attachment_ids=form.attachment_ids.data or [],
        uploads=uploads,
        held_ids=form.held_ids.data or [],
    )


def _fill_plan(form, plan):
    """Show a stored plan in the form's milestone rows (the rest stay empty)."""
    for entry, milestone in zip(form.milestones, services.milestones_of(plan), strict=False):
        entry.title.data = milestone.label
        entry.percent.data = milestone.percent
        entry.event.data = milestone.event
        entry.days.data = milestone.days


def _prepare(form, notice=None):
    """Fill the form's choices and labels for the chosen item and method; returns the item."""
    items = online_items()
    form.item_id.choices = [SelectChoice(i.id, f"{i.code} {i.name}") for i in items]
    item = next((i for i in items if i.id == form.item_id.data), None)
    if item is None and notice is not None:
        item = notice.item
    if item is not None and item.implementing_requirement:
        form.requires_qualification.label.text = _(
            "要求具备：%(requirement)s", requirement=item.implementing_requirement
        )
    kept = [a.agency_org_id for a in notice.avoidances] if notice else []
    agencies = avoidance_candidates(item.id, kept) if item else []
    for entry in form.avoidances:
        entry.agency_org_id.choices = [
            SelectChoice("", _("（不回避）")),
            *(SelectChoice(org.id, org.name) for org in agencies),
        ]
    documents = library(current_user.organisation.id)
    # Files attached earlier stay choosable even if no longer in the library.
    documents += [d for d in (notice.attachments if notice else []) if d not in documents]
    form.attachment_ids.choices = [document_choice(d) for d in documents]
    fixed = [m.label for m in registered().values() if m.fixed_price]
    fixed_names = _("、").join(str(label) for label in fixed)
    form.floor.description = _("报价不得低于此价格；%(methods)s不设", methods=fixed_names)
    chosen = registered().get(form.method.data)
    if chosen is not None and chosen.fixed_price:
        form.ceiling.label.text = _("固定价格（元）")
        form.ceiling.description = _("%(methods)s按此价格报名，机构不另行报价", methods=fixed_names)
    return item


def _invited(form) -> Organisation | None:
    """The organisation the form invites, as typed: the form is shown again after a refusal
    or a refresh (not validated), so the id may be one no row can have."""
    try:
        invited_id = optional_id(form.invited_org_id.data)
    except ValueError:
        return None
    return db.session.get(Organisation, invited_id) if invited_id else None


def _hold(form, uploads) -> None:
    """The form is shown again (an error, or 更新表单): the files just chosen are held for it,
    pending, so the purchaser need not choose them again; committed."""
    if request.method != "POST":
        return
    held, refused = hold_uploads(current_user, "notice", uploads)
    form.held_ids.data = [*(form.held_ids.data or []), *(d.id for d in held)]
    if not form.files.errors:  # else the notice's own check has said what is wrong
        form.files.errors = refused
    db.session.commit()


def _render_form(form, notice, item):
    invited = _invited(form)
    if all(entry.agency_org_id.data for entry in form.avoidances):
        form.avoidances.append_entry()
    for entry in form.avoidances:
        entry.agency_org_id.choices = form.avoidances[0].agency_org_id.choices
    return render_template(
        "procurement/form.html",
        form=form,
        notice=notice,
        item=item,
        methods=registered(),
        # editing a published notice makes a new revision (the bids must be reconfirmed)
        revising=notice is not None and NOTICE[notice.state].takes_bids,
        invited=invited if invited is not None and invited.kind == "agency" else None,
        held=held_documents(current_user.organisation.id, form.held_ids.data),
    )


def _refreshing():
    # "更新表单" re-displays the form for a newly chosen item or method without saving.
    return request.method == "POST" and request.form.get("refresh")


@bp.route("/notices/new", methods=["GET", "POST"])
@role_required("purchaser")
def create():
    form = NoticeForm()
    if request.method == "GET":
        form.item_id.data = id_arg("item")
        form.invited_org_id.data = id_arg("invite")
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.organisation.contact_phone
        form.deadline.data = to_local(services.earliest_deadline()).replace(tzinfo=None)
        _fill_plan(form, services.default_plan())
    item = _prepare(form)
    uploads = _uploads(form)
    if not _refreshing() and form.validate_on_submit():
        try:
            notice = services.create_notice(current_user, _notice_data(form, uploads))
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("公告草稿已保存。确认无误后请点击“发布”。"), "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    _hold(form, uploads)
    return _render_form(form, None, item)


def _edited_message(notice, changed):
    if not changed:
        return _("公告内容没有变化"), "info"
    if notice.state == "draft":
        return _("公告已修改"), "success"
    return (
        _(
            "公告已修改（第 %(revision)s 版）；此前提交的报价均已失效，报价机构须重新确认",
            revision=notice.revision,
        ),
        "success",
    )


@bp.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@role_required("purchaser")
def edit(notice_id):
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)
    if not NOTICE[notice.state].before_closing:
        db.session.commit()  # a deadline applied while loading
        flash(_("公告当前为「%(state)s」，不能修改", state=notice.state_label), "warning")
        return redirect(url_for(".detail", notice_id=notice.id))
    form = NoticeForm(obj=notice)
    if request.method == "GET":
        form.ceiling.data = f"{notice.ceiling_fen / 100:.2f}"
        if notice.floor_fen:
            form.floor.data = f"{notice.floor_fen / 100:.2f}"
        form.deadline.data = to_local(notice.deadline_dt).replace(tzinfo=None)
        form.attachment_ids.data = [d.id for d in notice.attachments]
        _fill_plan(form, notice.payment_plan)
    item = _prepare(form, notice)
    uploads = _uploads(form)
    if not _refreshing() and form.validate_on_submit():
        try:
            changed = services.update_notice(
                current_user, notice, _notice_data(form, uploads), form.revision.data
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(*_edited_message(notice, changed))
            return redirect(url_for(".detail", notice_id=notice.id))
    _hold(form, uploads)
    return _render_form(form, notice, item)


@bp.route("/notices/<int:notice_id>/publish", methods=["POST"])
@role_required("purchaser")
def publish(notice_id):
    return action(
        notice_id,
        lambda n: services.publish_notice(current_user, n),
        _("公告已发布，符合条件的中介机构现在可以报价"),
    )


@bp.route("/notices/<int:notice_id>/cancel", methods=["POST"])
@role_required("purchaser")
def cancel(notice_id):
    form = ReasonForm()

    def do(notice):
        services.own_notice(current_user, notice)
        checked(form)
        services.cancel_notice(current_user, notice, form.reason.data)

    return action(notice_id, do, _("公告已撤销"))


@bp.route("/notices/<int:notice_id>/republish", methods=["POST"])
@role_required("purchaser")
def republish(notice_id):
    notice = notice_or_404(notice_id)
    try:
        copy = services.republish_notice(current_user, notice)
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for(".detail", notice_id=notice.id))
    db.session.commit()
    flash(
        _(
            "已重新发布为公告 %(id)s，报价截止时间 %(deadline)s",
            id=copy.id,
            deadline=to_local(copy.deadline_dt).strftime("%Y-%m-%d %H:%M"),
        ),
        "success",
    )
    return redirect(url_for(".detail", notice_id=copy.id))
