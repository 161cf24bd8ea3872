from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..accounts.models import Organisation
from ..agencies.documents import library
from ..agencies.models import RATING_DIMENSIONS
from ..agencies.qualifications import usable_qualifications
from ..catalogue.services import online_items
from ..core.audit import events_for
from ..core.auth import role_required
from ..core.clock import from_local, to_local
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..extensions import db
from . import services
from .forms import BidForm, DeliverForm, EvaluationForm, NoticeForm, ReasonForm, SelectBidForm
from .runner import run_due
from .states import NOTICE_STATES, TIMELINE_LABELS, party_of

bp = Blueprint("procurement", __name__)


def _paginate(stmt):
    return db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)


def _notice_or_404(notice_id):
    notice = services.load_notice(notice_id)
    if notice is None:
        abort(404)
    if notice.state == "draft" and party_of(notice, current_user) != "purchaser":
        abort(404)
    # A deadline applied while loading is committed with the request's one commit; if the
    # request fails instead, the next read applies it again (apply_due is idempotent).
    return notice


def _attachable(notice, user):
    """What the bid form offers an agency: its usable qualifications for the item and its
    library, or nothing when it cannot quote here."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency" or notice.state != "published":
        return [], []
    return usable_qualifications(org.id, notice.item_id), library(org.id)


def _render_detail(notice, **forms):
    user = current_user if current_user.is_authenticated else None
    qualifications, documents = _attachable(notice, user)
    forms.setdefault("bid_form", BidForm())
    forms.setdefault("select_form", SelectBidForm())
    forms.setdefault("cancel_form", ReasonForm())
    forms.setdefault("deliver_form", DeliverForm())
    forms.setdefault("evaluation_form", EvaluationForm())
    return render_template(
        "procurement/detail.html",
        notice=notice,
        party=party_of(notice, user),
        bids=services.visible_bids(notice, user),
        bid_count=services.visible_bid_count(notice),
        events=events_for("notice", notice.id),
        timeline_labels=TIMELINE_LABELS,
        dimensions=RATING_DIMENSIONS,
        attachable_qualifications=qualifications,
        attachable_documents=documents,
        **forms,
    )


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


@bp.route("/notices/")
def index():
    run_due()
    db.session.commit()
    state = request.args.get("state") if request.args.get("state") in NOTICE_STATES else None
    page = _paginate(services.public_notices_query(state))
    return render_template(
        "procurement/index.html",
        page=page,
        state=state,
        states={k: v for k, v in NOTICE_STATES.items() if k != "draft"},
    )


@bp.route("/notices/<int:notice_id>")
def detail(notice_id):
    notice = _notice_or_404(notice_id)
    db.session.commit()
    return _render_detail(notice)


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
    notice = _notice_or_404(notice_id)
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


def _action(notice_id, do, success):
    """Run a one-button action on a notice: service → commit → redirect, or flash the error."""
    notice = _notice_or_404(notice_id)
    try:
        do(notice)
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for(".detail", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>/publish", methods=["POST"])
@role_required("purchaser")
def publish(notice_id):
    return _action(
        notice_id,
        lambda n: services.publish_notice(current_user, n),
        "公告已发布，符合条件的中介机构现在可以报价",
    )


@bp.route("/notices/<int:notice_id>/cancel", methods=["POST"])
@role_required("purchaser")
def cancel(notice_id):
    form = ReasonForm()
    reason = form.reason.data or ""
    return _action(
        notice_id, lambda n: services.cancel_notice(current_user, n, reason), "公告已撤销"
    )


@bp.route("/notices/<int:notice_id>/bid", methods=["POST"])
@role_required("agency")
def bid(notice_id):
    notice = _notice_or_404(notice_id)
    form = BidForm()
    if form.validate_on_submit():
        try:
            services.submit_bid(
                current_user,
                notice,
                form.amount.fen,
                form.plan.data or "",
                form.qualification_ids.data or (),
                form.document_ids.data or (),
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("报价已密封提交。截止前任何人（包括采购人）都看不到您的报价。", "success")
            return redirect(url_for(".detail", notice_id=notice.id))
    return _render_detail(notice, bid_form=form), 422


@bp.route("/notices/<int:notice_id>/select", methods=["POST"])
@role_required("purchaser")
def select(notice_id):
    form = SelectBidForm()
    if not form.validate_on_submit():
        flash("请选择一家报价机构并填写选取理由", "danger")
        return redirect(url_for(".detail", notice_id=notice_id))
    try:
        bid_id = int(form.bid_id.data)
    except ValueError:
        abort(400)
    return _action(
        notice_id,
        lambda n: services.select_bid(current_user, n, bid_id, form.reason.data),
        "已选定中选机构，结果进入公示期",
    )


@bp.route("/notices/<int:notice_id>/deliver", methods=["POST"])
@role_required("agency")
def deliver(notice_id):
    form = DeliverForm()
    note = form.note.data or ""
    return _action(
        notice_id,
        lambda n: services.mark_delivered(current_user, n, note),
        "已提交交付，等待采购人验收",
    )


@bp.route("/notices/<int:notice_id>/accept", methods=["POST"])
@role_required("purchaser")
def accept(notice_id):
    notice = _notice_or_404(notice_id)
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
    return _render_detail(notice, evaluation_form=form), 422


@bp.route("/purchaser/notices")
@role_required("purchaser")
def my_notices():
    run_due()
    db.session.commit()
    state = request.args.get("state") if request.args.get("state") in NOTICE_STATES else None
    page = _paginate(services.purchaser_notices_query(current_user.organisation.id, state))
    return render_template(
        "procurement/my_notices.html", page=page, state=state, states=NOTICE_STATES
    )


@bp.route("/agency/opportunities")
@role_required("agency")
def opportunities():
    run_due()
    db.session.commit()
    page = _paginate(services.opportunities_query(current_user.organisation.id))
    return render_template("procurement/opportunities.html", page=page)


@bp.route("/agency/bids")
@role_required("agency")
def my_bids():
    run_due()
    db.session.commit()
    page = _paginate(services.agency_bids_query(current_user.organisation.id))
    return render_template("procurement/my_bids.html", page=page)
