from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..catalogue.services import get_item_by_code, item_query
from ..core.auth import role_required
from ..core.clock import local_today, utcnow
from ..core.converters import id_arg
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..core.money import fen_to_yuan, format_bp
from ..core.pagecache import changes_at, public_page
from ..core.paging import paginate
from ..extensions import db
from . import services, shelves
from .directory import DirectoryRow, browsable_items, directory_query
from .forms import DescriptionForm, OfferingForm
from .models import GRADE_LABELS, QUALIFICATION_GRADES, RATING_DIMENSIONS

bp = Blueprint("agencies", __name__)


@bp.route("/agencies/")
def directory():
    q = request.args.get("q", "").strip()
    item_id = id_arg("item")
    if q:
        # Searching by words is the search page's job (credit-aware ranking, synonyms, facets);
        # old links with ?q= land there. The endpoint is named, not imported: search depends
        # on agencies, not the reverse.
        return redirect(url_for("search.results", type="agencies", q=q))
    page = paginate(directory_query(item_id=item_id), make=DirectoryRow)
    items = db.session.execute(browsable_items()).all()
    # Rendered once per content for visitors who are not signed in, as the notice list is:
    # the key is what the page shows (its rows, the pager's figures, the items to filter
    # by), read by the queries that run anyway.
    content = ("directory", page.total, page.capped, page.more, tuple(page.items), tuple(items))
    return public_page(
        content,
        lambda: render_template("agencies/directory.html", page=page, item_id=item_id, items=items),
    )


@bp.route("/agencies/<int:org_id>")
def profile(org_id):
    # Rendered once per version of the agency and per day (qualifications lapse by date) for
    # visitors who are not signed in, and kept no later than a measure on it ends.
    def version():
        number = services.page_version(org_id)
        if number is None:
            abort(404)
        return ("agency", org_id, number, local_today())

    return public_page(version, lambda: _render_profile(org_id))


def _render_profile(org_id: int) -> str:
    agency = shelves.storefront(org_id)
    if agency is None:
        abort(404)
    now = utcnow()
    allowed, reason = services.can_bid(agency, now)
    changes_at(agency.suspended_until)
    changes_at(agency.blacklisted_until)
    return render_template(
        "agencies/profile.html",
        agency=agency,
        dimensions=RATING_DIMENSIONS,
        can_bid=allowed,
        standing_reason=reason,
        qualifications=shelves.shown_qualifications(agency),
        practitioners=[p for p in agency.practitioners if p.active],
        performances=services.past_performance(agency.org_id),
    )


@bp.route("/shelves/", endpoint="shelves")
def shelves_index():
    return render_template("agencies/shelves.html", entries=shelves.shelves())


@bp.route("/shelves/<code>")
def shelf(code):
    item = get_item_by_code(code)
    if item is None or item.status not in ("published", "online"):
        abort(404)
    if not item.is_online:
        return render_template("agencies/shelf.html", item=item)
    sort = request.args.get("sort") if request.args.get("sort") in shelves.SORTS else "credit"
    region = request.args.get("region", "").strip()
    grade = request.args.get("grade") if request.args.get("grade") in QUALIFICATION_GRADES else ""
    page = paginate(shelves.shelf_query(item, sort, region, grade))
    return render_template(
        "agencies/shelf.html",
        item=item,
        page=page,
        rows=shelves.shelf_rows(item, page.items),
        sort=sort,
        sorts=shelves.SORTS,
        region=region,
        regions=shelves.shelf_regions(item),
        grade=grade,
        grades=QUALIFICATION_GRADES,
        grade_labels=GRADE_LABELS,
    )


@bp.route("/agency/offerings", methods=["GET", "POST"])
@role_required("agency")
def offerings():
    agency = services.agency_of(current_user)
    form = OfferingForm()
    taken = {o.item_id for o in agency.offerings}
    form.item_id.choices = [
        SelectChoice(item.id, f"{item.code} {item.name}")
        for item in db.session.scalars(item_query())
        if item.id not in taken
    ]
    if form.validate_on_submit():
        data = offering_data(form, form.item_id.data)
        try:
            offering = services.declare_offering(current_user, data)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已添加服务「%(name)s」", name=offering.item.name), "success")
            return redirect(url_for(".offerings"))
    return render_template("agencies/offerings.html", agency=agency, form=form)


def offering_data(form, item_id):
    return services.OfferingData(
        item_id=item_id,
        fee_kind=form.fee_kind.data,
        promised_days=form.promised_days.data,
        fee_min_fen=form.fee_min.fen,
        fee_max_fen=form.fee_max.fen,
        fee_rate_bp=form.fee_rate.bp,
        fee_note=form.fee_note.data or "",
        description=form.description.data or "",
        service_area=form.service_area.data or "",
        commitment_signed=form.commitment.data,
    )


@bp.route("/agency/offerings/<int:offering_id>/edit", methods=["GET", "POST"])
@role_required("agency")
def edit_offering(offering_id):
    offering = services.own_offering(current_user, offering_id)
    form = OfferingForm(obj=offering)
    form.item_id.choices = [SelectChoice(offering.item_id, offering.item.name)]
    if request.method == "GET":
        form.fee_min.data = fen_to_yuan(offering.fee_min_fen) if offering.fee_min_fen else ""
        form.fee_max.data = fen_to_yuan(offering.fee_max_fen) if offering.fee_max_fen else ""
        form.fee_rate.data = (
            format_bp(offering.fee_rate_bp).rstrip("%") if offering.fee_rate_bp else ""
        )
        form.commitment.data = False
    if form.validate_on_submit():
        try:
            services.update_offering(
                current_user, offering_id, offering_data(form, offering.item_id)
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已更新服务「%(name)s」", name=offering.item.name), "success")
            return redirect(url_for(".offerings"))
    return render_template("agencies/offering_edit.html", offering=offering, form=form)


@bp.route("/agency/offerings/<int:offering_id>/withdraw", methods=["GET", "POST"])
@role_required("agency")
def withdraw(offering_id):
    if request.method == "GET":
        offering = services.own_offering(current_user, offering_id)
        return render_template(
            "confirm.html",
            heading=_("确认撤下服务"),
            subject=f"{offering.item.code} {offering.item.name}",
            warning=_(
                "撤下后，本机构不再出现在该事项的中介超市和机构列表中，也不再收到该事项的"
                "新公告；已提交的报价和进行中的合同不受影响。之后可以重新发布该服务。"
            ),
            action=url_for(".withdraw", offering_id=offering.id),
            button=_("确认撤下"),
            back=url_for(".offerings"),
        )
    services.withdraw_offering(current_user, offering_id)
    db.session.commit()
    flash(_("已撤下该服务"), "info")
    return redirect(url_for(".offerings"))


def description_panel(org, user):
    """The organisation page's section for an agency: its introduction (机构简介)."""
    if org.kind != "agency" or not user.is_org_admin:
        return None
    form = DescriptionForm(data={"description": services.agency_of(user).description or ""})
    return "agencies/_description_form.html", {"form": form}


@bp.route("/agency/description", methods=["GET", "POST"])
@role_required("agency")
def description():
    """The agency's introduction: shown on the organisation page; here again after an error."""
    if not current_user.is_org_admin:
        raise NotAllowed(_("只有单位管理员可以修改机构简介"))
    form = DescriptionForm()
    if request.method == "GET":
        form.description.data = services.agency_of(current_user).description or ""
    if form.validate_on_submit():
        try:
            changed = services.update_description(current_user, form.description.data or "")
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            if changed:
                flash(_("机构简介已保存。"), "success")
            else:
                flash(_("机构简介没有变化。"), "info")
            return redirect(url_for("members.org_data") + "#description")
    return render_template("agencies/description.html", form=form)
