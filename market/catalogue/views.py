"""The catalogue's pages: the public list with both lists, each item with its change log and
versions, batches, what changed since a date, downloads; and the pages where a department's
regulators keep their items (edit, publish as a batch, take online, withdraw, import)."""

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.clock import local_today
from ..core.converters import as_id
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..core.paging import paginate
from ..extensions import db
from . import access, batches, imports, revisions, services, sheets
from .fields import LISTS, display, display_changes, limits_text, snapshot
from .forms import (
    ApplyImportForm,
    BatchForm,
    ImportForm,
    ItemForm,
    NewItemForm,
    OnlineForm,
    WithdrawForm,
)
from .models import CatalogueImport, ServiceItem
from .panels import panels_for
from .states import ITEM

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

#: the states the public list filters by (drafts stay with their department)
LISTED_STATES = {k: v for k, v in ITEM.labels().items() if k != "draft"}

#: the list shown by default on the changes page: the last 30 days
RECENT_DAYS = 30
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _date_arg(name: str) -> tuple[date | None, str]:
    """A date query argument and the message when it is not one ("" when fine or absent)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None, ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, _("日期格式应为 2026-11-01")
    if not 2000 <= day.year <= 2099:
        return None, _("日期应在 2000 年至 2099 年之间")
    return day, ""


# --- the public list ----------------------------------------------------------------------


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()[:100]
    category = request.args.get("category") or None
    list_kind = request.args.get("list") if request.args.get("list") in LISTS else None
    status = request.args.get("status") if request.args.get("status") in LISTED_STATES else None
    department = request.args.get("department") or None
    stmt = services.public_item_query(q, category, list_kind, status, department)
    return render_template(
        "catalogue/index.html",
        page=paginate(stmt),
        q=q,
        category=category,
        list_kind=list_kind,
        status=status,
        department=department,
        categories=services.categories(),
        departments=services.departments(),
        lists=LISTS,
        statuses=LISTED_STATES,
        today=local_today(),
        latest_batches=db.session.scalars(batches.public_batches().limit(3)).all(),
    )


def item_or_404(code: str) -> ServiceItem:
    item = services.get_item_by_code(code)
    if item is None or not access.may_read(current_user, item):
        abort(404)
    return item


@bp.route("/<code>")
def detail(code):
    item = item_or_404(code)
    pending = revisions.pending_of(item)
    keeps = access.keeps(current_user, item)
    return render_template(
        "catalogue/detail.html",
        item=item,
        history=revisions.history(item),
        # A draft's waiting changes stay with its department; a public item's are announced.
        pending=pending if (item.ever_public or keeps) else [],
        may=access.steps(current_user, item, revisions.pending_status(item)),
        panels=panels_for(item),
        display_changes=display_changes,
    )


@bp.route("/<code>/versions/<int:number>")
def version(code, number):
    item = item_or_404(code)
    revision = revisions.version_of(item, number)
    if revision is None:
        abort(404)
    return render_template(
        "catalogue/version.html",
        item=item,
        revision=revision,
        values=revision.snapshot,
        limits=limits_text(revision.snapshot),
        display_changes=display_changes,
        display=display,
    )


@bp.route("/batches/")
def batch_list():
    return render_template("catalogue/batches.html", page=paginate(batches.public_batches()))


@bp.route("/batches/<int:number>")
def batch(number):
    found = batches.get_batch(number)
    keeps = found is not None and access.department_of(current_user) == found.department
    if found is None or not (found.is_public or keeps):
        abort(404)
    may_go_online = keeps and found.may_go_online
    return render_template(
        "catalogue/batch.html",
        batch=found,
        revisions=batches.revisions_of(found),
        online_form=OnlineForm() if may_go_online else None,
        display_changes=display_changes,
    )


@bp.route("/changes")
def changes():
    since, error = _date_arg("since")
    if since is None:
        since = local_today() - timedelta(days=RECENT_DAYS)
    return render_template(
        "catalogue/changes.html",
        page=paginate(revisions.changes_since(since)),
        since=since,
        error=error,
        display_changes=display_changes,
    ), (400 if error else 200)


@bp.route("/export")
def export_version():
    """The past-version form: its choice of format leads to the file's address."""
    kind = request.args.get("format")
    if kind not in EXPORT_TYPES:
        kind = "xlsx"
    args = {k: request.args[k] for k in ("list", "as_of") if request.args.get(k)}
    return redirect(url_for("catalogue.export", kind=kind, **args))


@bp.route("/export.<kind>")
def export(kind):
    if kind not in EXPORT_TYPES:
        abort(404)
    list_kind = request.args.get("list") if request.args.get("list") in LISTS else None
    as_of, error = _date_arg("as_of")
    today = local_today()
    if error or (as_of and as_of > today):
        flash(error or _("只能导出今天及以前的清单版本"), "warning")
        return redirect(url_for("catalogue.index"))
    day = as_of or today
    entries = revisions.list_as_of(day, list_kind)
    # a published format: the list's Chinese title and headers, whatever the page's language
    title = LISTS[list_kind] if list_kind else "中介服务事项清单"  # i18n: data
    name = f"catalogue-{list_kind or 'all'}-{day:%Y%m%d}"
    if kind == "csv":
        content = sheets.as_csv(entries)
    elif kind == "json":
        meta = {"list": list_kind or "all", "title": title, "as_of": day.isoformat()}
        content = sheets.as_json(entries, meta)
    else:
        content = sheets.as_xlsx(entries, title, day)
    return Response(
        content,
        mimetype=EXPORT_TYPES[kind].split(";")[0],
        headers={
            "Content-Type": EXPORT_TYPES[kind],
            "Content-Disposition": f"attachment; filename={name}.{kind}",
        },
    )


# --- keeping the department's items -------------------------------------------------------


def _flash_errors(form) -> None:
    """A form posted from another page (the list, the batch page) answers there: its errors
    go back as messages."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "danger")


def _department() -> str:
    department = access.department_of(current_user)
    if not department:
        raise NotAllowed(_("您所在的监管单位未登记审批部门，不能维护事项清单"))
    return department


def kept_item(item_id: int) -> ServiceItem:
    item = db.session.get(ServiceItem, item_id)
    if item is None:
        abort(404)
    if not access.keeps(current_user, item):
        raise NotAllowed(
            _(
                "只有%(department)s的监管人员可以调整该事项",
                department=item.approving_department,
            )
        )
    return item


@bp.route("/manage/")
@role_required("regulator")
def manage():
    department = _department()
    stmt = services.department_item_query(department)
    return render_template(
        "catalogue/manage.html",
        department=department,
        items=db.session.scalars(stmt).all(),
        pending=services.pending_by_item(department),
        batches=db.session.scalars(batches.department_batches(department).limit(20)).all(),
        imports=services.recent_imports(department),
        form=BatchForm(),
    )


@bp.route("/manage/items/new", methods=["GET", "POST"])
@role_required("regulator")
def new_item():
    department = _department()
    form = NewItemForm(data={"approving_department": department})
    if form.validate_on_submit():
        try:
            values = services.values_of(form.data, department)
            item = revisions.create_item(values, form.reason.data, current_user)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "已录入「%(name)s」（梳理中），可在事项清单维护页选入批次公布",
                    name=item.name,
                ),
                "success",
            )
            return redirect(url_for("catalogue.detail", code=item.code))
    return render_template(
        "catalogue/item_form.html", form=form, item=None, department=department
    ), (400 if form.errors else 200)


@bp.route("/manage/items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required("regulator")
def edit_item(item_id):
    item = kept_item(item_id)
    department = _department()
    if request.method == "GET":
        form = ItemForm(obj=item, formdata=None)
        form.fee_limits.data = limits_text(snapshot(item))
        form.effective_on.data = local_today()
    else:
        form = ItemForm()
    if form.validate_on_submit():
        try:
            values = services.values_of(form.data, department)
            revision = revisions.edit_item(
                item, values, form.reason.data, form.effective_on.data, current_user
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            if revision.is_pending:
                flash(_("调整已登记，将于 %(day)s 生效", day=revision.effective_on), "success")
            else:
                flash(_("调整已生效（第 %(version)s 版）", version=revision.version), "success")
            return redirect(url_for("catalogue.detail", code=item.code))
    return render_template(
        "catalogue/item_form.html", form=form, item=item, department=department
    ), (400 if form.errors else 200)


@bp.route("/manage/items/<int:item_id>/withdraw", methods=["GET", "POST"])
@role_required("regulator")
def withdraw_item(item_id):
    item = kept_item(item_id)
    form = WithdrawForm()
    if request.method == "GET":
        form.effective_on.data = local_today()
    if form.validate_on_submit():
        try:
            revision = revisions.withdraw(
                item, form.reason.data, form.effective_on.data, current_user
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            if revision.is_pending:
                message = _(
                    "「%(name)s」将于 %(day)s 取消；已发布的采购公告继续进行，不能再发起新的采购",
                    name=item.name,
                    day=revision.effective_on,
                )
            else:
                message = _(
                    "「%(name)s」已取消；已发布的采购公告继续进行，不能再发起新的采购",
                    name=item.name,
                )
            flash(message, "success")
            return redirect(url_for("catalogue.detail", code=item.code))
    return render_template("catalogue/withdraw.html", form=form, item=item), (
        400 if form.errors else 200
    )


@bp.route("/manage/batches", methods=["POST"])
@role_required("regulator")
def publish_batch():
    department = _department()
    form = BatchForm()
    chosen = request.form.getlist("items")
    if form.validate_on_submit():
        try:
            ids = [as_id(i) for i in chosen]
        except ValueError:
            ids = None
        try:
            if ids is None:
                raise ServiceError(_("所选事项无效，请刷新后重新选择"), "items")
            batch = batches.publish_items(
                department, ids, form.title.data, form.publishes_on.data, current_user
            )
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(
                _("第 %(number)s 批：%(state)s", number=batch.number, state=batch.state_label),
                "success",
            )
            return redirect(url_for("catalogue.batch", number=batch.number))
    else:
        _flash_errors(form)
    return redirect(url_for("catalogue.manage"))


@bp.route("/manage/batches/<int:number>/online", methods=["POST"])
@role_required("regulator")
def batch_online(number):
    found = batches.get_batch(number)
    if found is None:
        abort(404)
    if access.department_of(current_user) != found.department:
        raise NotAllowed(
            _("只有%(department)s的监管人员可以安排该批次上线", department=found.department)
        )
    form = OnlineForm()
    if form.validate_on_submit():
        try:
            count = batches.take_online(found, form.online_on.data, current_user)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            db.session.commit()
            flash(
                _(
                    "第 %(number)s 批 %(count)s 个事项%(state)s",
                    number=found.number,
                    count=count,
                    state=found.state_label,
                ),
                "success",
            )
    else:
        _flash_errors(form)
    return redirect(url_for("catalogue.batch", number=number))


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required("regulator")
def import_upload():
    department = _department()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [*form.file.errors, _("请选择 Excel 文件")]
        else:
            try:
                size = upload.seek(0, 2) or 0
                upload.seek(0)
                job = imports.start(department, upload.stream, size, upload.filename, current_user)
            except ServiceError as err:
                apply_to_form(form, err)
            else:
                db.session.commit()
                return redirect(url_for("catalogue.import_preview", job_id=job.id))
    return render_template("catalogue/import.html", form=form, department=department), (
        400 if form.errors else 200
    )


def _job_or_404(job_id: int) -> CatalogueImport:
    job = db.session.get(CatalogueImport, job_id)
    if job is None or job.department != access.department_of(current_user):
        abort(404)
    return job


@bp.route("/manage/import/<int:job_id>")
@role_required("regulator")
def import_preview(job_id):
    job = _job_or_404(job_id)
    # Each look at an import still being checked checks one more chunk (the worker checks
    # the rest when nobody looks): bounded work per request, visible progress.
    if job.state == "checking":
        imports.check_chunk(job)
        db.session.commit()
    form = ApplyImportForm()
    if request.method == "GET" and form.publishes_on.data is None:
        form.publishes_on.data = local_today()
    return render_template(
        "catalogue/import_preview.html",
        job=job,
        counts=imports.counts(job) if job.state != "checking" else None,
        actions=imports.ACTIONS,
        form=form,
        display_changes=display_changes,
    )


@bp.route("/manage/import/<int:job_id>/apply", methods=["POST"])
@role_required("regulator")
def import_apply(job_id):
    job = _job_or_404(job_id)
    form = ApplyImportForm()
    if form.validate_on_submit():
        try:
            batch = imports.apply(job, form.title.data, form.publishes_on.data, current_user)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "已按第 %(number)s 批导入（%(state)s）",
                    number=batch.number,
                    state=batch.state_label,
                ),
                "success",
            )
            return redirect(url_for("catalogue.batch", number=batch.number))
    return render_template(
        "catalogue/import_preview.html",
        job=job,
        counts=imports.counts(job) if job.state != "checking" else None,
        actions=imports.ACTIONS,
        form=form,
        display_changes=display_changes,
    ), 400
