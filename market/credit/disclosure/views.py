"""Public credit pages (双公示): disclosed records, the blacklist and the red list, each with
JSON and CSV exports; regulators add agencies to the red list and remove them here."""

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from ...core.auth import role_required
from ...core.clock import to_local, utcnow
from ...core.csvfile import csv_download
from ...core.errors import NotAllowed, ServiceError, apply_to_form
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from ...extensions import db
from ..blueprint import bp, paginate
from ..criteria_views import whole_number
from ..models import PARTIES
from . import redlist as red_list
from . import services as disclosure


class RedListForm(BaseForm):
    agency = StringField(
        _l("中介机构"),
        validators=[Length(max=200)],
        description=_l("填写统一社会信用代码或机构名称"),
    )
    reason = TextAreaField(_l("列入事由"), validators=[Length(max=2000)])
    decision_number = StringField(_l("决定书文号"), validators=[Length(max=60)])
    bonus = whole_number(_l("信用加分"), description=_l("1–10 分"))
    months = whole_number(_l("列入期限（月）"), _l("请填写列入期限"), description=_l("1–36 个月"))


class RemoveForm(BaseForm):
    reason = StringField(_l("移出原因"), validators=[Length(max=500)])


def _filters() -> disclosure.Filters:
    return disclosure.Filters(
        party=request.args.get("party", ""),
        code=request.args.get("code", ""),
        department=request.args.get("department", ""),
        keyword=request.args.get("q", ""),
    )


def _json(text: str) -> Response:
    return Response(text, mimetype="application/json")


# --- disclosed records ----------------------------------------------------------------------


@bp.route("/disclosures")
def disclosures():
    filters = _filters()
    now = utcnow()
    return render_template(
        "credit/disclosure_index.html",
        page=paginate(disclosure.disclosures(filters, now)),
        filters=filters,
        parties=PARTIES,
        codes=disclosure.criterion_codes(),
        departments=disclosure.disclosed_departments(now),
        measure_text=disclosure.measure_text,
        args={k: v for k, v in request.args.items() if k != "page" and v},
    )


def _disclosure_rows():
    records = db.session.scalars(disclosure.disclosures(_filters())).all()
    return [disclosure.disclosure_row(r) for r in records]


@bp.route("/disclosures.json")
def disclosures_json():
    return _json(disclosure.to_json(_disclosure_rows(), disclosure.DISCLOSURE_COLUMNS))


@bp.route("/disclosures.csv")
def disclosures_csv():
    rows = _disclosure_rows()
    return csv_download(
        disclosure.to_csv(rows, disclosure.DISCLOSURE_COLUMNS, disclosure.DISCLOSURE_HEADERS),
        "credit-disclosures",
    )


# --- blacklist ------------------------------------------------------------------------------


@bp.route("/blacklist")
def blacklist():
    return render_template("credit/blacklist.html", agencies=disclosure.blacklisted_agencies())


def _blacklist_rows():
    return [disclosure.blacklist_row(a) for a in disclosure.blacklisted_agencies()]


@bp.route("/blacklist.json")
def blacklist_json():
    return _json(disclosure.to_json(_blacklist_rows(), disclosure.BLACKLIST_COLUMNS))


@bp.route("/blacklist.csv")
def blacklist_csv():
    return csv_download(
        disclosure.to_csv(_blacklist_rows(), disclosure.BLACKLIST_COLUMNS), "credit-blacklist"
    )


# --- red list -------------------------------------------------------------------------------


def _department():
    if current_user.is_authenticated and current_user.role == "regulator":
        return (current_user.organisation.department or "").strip()
    return None


def _red_list_page(form=None, remove_form=None, removing_id=None, status=200):
    if form is None:
        form = RedListForm(formdata=None)
        form.bonus.data = current_app.config["CREDIT_RED_LIST_BONUS"]
        form.months.data = 12
    return (
        render_template(
            "credit/redlist.html",
            page=paginate(red_list.current_entries()),
            form=form,
            remove_form=remove_form or RemoveForm(formdata=None),
            removing_id=removing_id,
            department=_department(),
        ),
        status,
    )


def _status(err: ServiceError) -> int:
    return 403 if isinstance(err, NotAllowed) else 400


@bp.route("/redlist")
def redlist():
    return _red_list_page()


@bp.route("/redlist", methods=["POST"])
@role_required("regulator")
def add_to_red_list():
    form = RedListForm()
    if not form.validate_on_submit():
        return _red_list_page(form=form, status=400)
    data = red_list.RedListData(
        agency=form.agency.data or "",
        reason=form.reason.data or "",
        decision_number=form.decision_number.data or "",
        bonus=form.bonus.data,
        months=form.months.data,
    )
    try:
        entry = red_list.add_to_red_list(current_user, data)
    except ServiceError as err:
        apply_to_form(form, err)
        return _red_list_page(form=form, status=_status(err))
    db.session.commit()
    flash(
        _(
            "已将「%(name)s」列入红名单至 %(end)s，期间信用分加 %(bonus)s 分",
            name=entry.agency.name,
            end=f"{to_local(entry.end_dt):%Y-%m-%d}",
            bonus=entry.bonus,
        ),
        "success",
    )
    return redirect(url_for(".redlist"))


@bp.route("/redlist/<int:entry_id>/remove", methods=["POST"])
@role_required("regulator")
def remove_from_red_list(entry_id):
    # Another department: the 403 page, whatever the form holds.
    red_list.check_remover(current_user, entry_id)
    form = RemoveForm()
    if not form.validate_on_submit():
        return _red_list_page(remove_form=form, removing_id=entry_id, status=400)
    try:
        entry = red_list.remove_from_red_list(current_user, entry_id, form.reason.data or "")
    except ServiceError as err:
        apply_to_form(form, err)
        return _red_list_page(remove_form=form, removing_id=entry_id, status=_status(err))
    db.session.commit()
    flash(_("已将「%(name)s」移出红名单", name=entry.agency.name), "success")
    return redirect(url_for(".redlist"))


def _red_list_rows():
    entries = db.session.scalars(red_list.current_entries()).all()
    return [disclosure.red_list_row(e) for e in entries]


@bp.route("/redlist.json")
def redlist_json():
    return _json(disclosure.to_json(_red_list_rows(), disclosure.RED_LIST_COLUMNS))


@bp.route("/redlist.csv")
def redlist_csv():
    return csv_download(
        disclosure.to_csv(_red_list_rows(), disclosure.RED_LIST_COLUMNS), "credit-redlist"
    )
