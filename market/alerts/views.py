"""The subscriptions page (订阅) and the follow buttons on item and notice pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..catalogue.models import ServiceItem
from ..catalogue.services import public_item_query
from ..core.errors import ServiceError, apply_to_form
from ..core.i18n import _
from ..extensions import db
from ..procurement.models import Notice
from . import services
from .forms import ButtonForm, FollowItemForm, SearchForm

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


def _item_choices(form: SearchForm) -> None:
    items = db.session.scalars(public_item_query()).all()
    form.item_id.choices = [SelectChoice("", _("全部服务事项"))] + [
        SelectChoice(i.id, f"{i.code} {i.name}") for i in items
    ]


def _page(search_form, status=200):
    _item_choices(search_form)
    return render_template(
        "alerts/index.html",
        subscriptions=services.subscriptions_of(current_user),
        search_form=search_form,
        delete_form=ButtonForm(),
        limit=services.MAX_PER_USER,
    ), status


@bp.route("/")
@login_required
def index():
    form = SearchForm(formdata=None)
    form.words.data = request.args.get("words", "")[:100]
    return _page(form)


@bp.route("/searches", methods=["POST"])
@login_required
def save_search():
    form = SearchForm()
    _item_choices(form)
    if form.validate_on_submit():
        try:
            services.save_search(
                current_user, form.words.data, form.item_id.data, form.frequency.data
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已保存订阅：有符合的新公告发布时将发邮件通知您"), "success")
            return redirect(url_for("alerts.index"))
    return _page(form, 422)


@bp.route("/items/<int:item_id>", methods=["POST"])
@login_required
def follow_item(item_id):
    item = db.session.get(ServiceItem, item_id)
    if item is None:
        abort(404)
    form = FollowItemForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError(_("请选择发送方式：立即发送或每日汇总"))
        services.follow_item(current_user, item, form.frequency.data)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(
            _("已关注「%(name)s」：该事项有新公告发布时将发邮件通知您", name=item.name), "success"
        )
    return redirect(url_for("catalogue.detail", code=item.code))


@bp.route("/notices/<int:notice_id>", methods=["POST"])
@login_required
def follow_notice(notice_id):
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.published_dt is None:
        abort(404)
    form = ButtonForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError(_("页面已过期，请刷新后重试"))
        services.follow_notice(current_user, notice)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已关注该公告：报价截止前一个工作日将发邮件提醒您"), "success")
    return redirect(url_for("procurement.detail", notice_id=notice.id))


@bp.route("/<int:subscription_id>/delete", methods=["POST"])
@login_required
def delete(subscription_id):
    form = ButtonForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试"), "danger")
        return redirect(url_for("alerts.index"))
    services.unsubscribe(current_user, subscription_id)
    db.session.commit()
    flash(_("已删除该订阅"), "success")
    back = request.form.get("next", "")
    return redirect(
        back if back.startswith("/") and not back.startswith("//") else url_for("alerts.index")
    )
