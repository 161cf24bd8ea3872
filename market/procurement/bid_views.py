"""Quoting on a notice (with its receipt), choosing the winner, technical scores, and the
public pages of the opening (commitments) and of the selection (draw and its re-run)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..agencies.documents import library
from ..agencies.qualifications import usable_qualifications
from ..core.auth import role_required
from ..core.errors import ServiceError, apply_to_form
from ..extensions import db
from . import services
from .bid_forms import BidForm, SelectBidForm, scores_form
from .bids import canonical_json
from .blueprint import action, bp, detail_panel, notice_or_404, render_detail
from .models import METHODS
from .states import SEALED_STATES, party_of

#: who sees every opened bid (and may check every commitment) once bidding has closed
SUPERVISING = ("purchaser", "regulator", "operator")


def _user():
    return current_user if current_user.is_authenticated else None


def _attachable(notice, user):
    """What the bid form offers an agency: its usable qualifications for the item and its
    library, or nothing when it cannot quote here."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency" or notice.state != "published":
        return [], []
    return usable_qualifications(org.id, notice.item_id), library(org.id)


def _reconfirm_form(own):
    """The bid form filled with the invalidated bid, to confirm or change it."""
    form = BidForm()
    if own is not None and not form.is_submitted():
        form.amount.data = f"{own.amount_fen // 100}.{own.amount_fen % 100:02d}"
        form.plan.data = own.plan
        form.qualification_ids.data = [q.id for q in own.qualifications]
        form.document_ids.data = [d.id for d in own.documents]
    return form


def _awaits_scores(notice, user):
    return (
        notice.method == "scored"
        and notice.state == "bidding_closed"
        and party_of(notice, user) == "purchaser"
    )


@detail_panel
def _bids(notice, user, forms):
    qualifications, documents = _attachable(notice, user)
    own = services.own_bid(notice, user)
    eligible = services.eligible_bids(notice)
    return {
        "bids": services.visible_bids(notice, user),
        "bid_count": services.visible_bid_count(notice),
        "own_bid": own,
        "receipt": canonical_json(services.commitment_payload(own)) if own else "",
        "bid_form": BidForm(),
        "reconfirm_form": _reconfirm_form(own if own and own.status == "invalidated" else None),
        "select_form": SelectBidForm(),
        "scores_form": scores_form(eligible) if _awaits_scores(notice, user) else None,
        "eligible_ids": {b.id for b in eligible},
        "attachable_qualifications": qualifications,
        "attachable_documents": documents,
    }


def _bid_arguments(form):
    return (
        form.amount.fen,
        form.plan.data or "",
        form.qualification_ids.data or (),
        form.document_ids.data or (),
    )


def _received(notice):
    word = "报名" if notice.is_fixed_price else "报价"
    return f"{word}已密封提交。截止前任何人（包括采购人）都看不到；请保存下方的承诺值回执。"


@bp.route("/notices/<int:notice_id>/bid", methods=["POST"])
@role_required("agency")
def bid(notice_id):
    notice = notice_or_404(notice_id)
    form = BidForm()
    if form.validate_on_submit():
        try:
            services.submit_bid(
                current_user, notice, *_bid_arguments(form), ip=request.remote_addr or ""
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_received(notice), "success")
            return redirect(url_for(".detail", notice_id=notice.id, _anchor="receipt"))
    return render_detail(notice, bid_form=form), 422


@bp.route("/notices/<int:notice_id>/bid/reconfirm", methods=["POST"])
@role_required("agency")
def reconfirm(notice_id):
    notice = notice_or_404(notice_id)
    form = BidForm()
    if form.validate_on_submit():
        try:
            services.reconfirm_bid(
                current_user, notice, *_bid_arguments(form), ip=request.remote_addr or ""
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash("已按修改后的公告重新确认，新的承诺值回执见下方。", "success")
            return redirect(url_for(".detail", notice_id=notice.id, _anchor="receipt"))
    return render_detail(notice, reconfirm_form=form), 422


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
    return action(
        notice_id,
        lambda n: services.select_bid(current_user, n, bid_id, form.reason.data),
        "已选定中选机构，结果进入公示期",
    )


@bp.route("/notices/<int:notice_id>/scores", methods=["POST"])
@role_required("purchaser")
def scores(notice_id):
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)
    form = scores_form(services.eligible_bids(notice))
    if form.validate_on_submit():
        values = {
            int(name.removeprefix("score_")): field.data
            for name, field in form._fields.items()
            if name.startswith("score_")
        }
        try:
            selection = services.score_bids(current_user, notice, values)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            if selection.winner_bid_id:
                flash("技术评分已录入，系统已计算综合得分并选定中选机构，结果进入公示期", "success")
            else:
                flash(f"技术评分已录入，本次选取未能产生结果：{selection.failure}", "warning")
            return redirect(url_for(".detail", notice_id=notice.id))
    return render_detail(notice, scores_form=form), 422


@bp.route("/notices/<int:notice_id>/commitments")
def commitments(notice_id):
    """The commitments published at the deadline; a bidder checks its own (supervisors and
    the purchaser, who see every quote anyway, check all)."""
    notice = notice_or_404(notice_id)
    db.session.commit()
    user = _user()
    sealed = notice.state in SEALED_STATES
    own = services.own_bid(notice, user)
    rows = []
    for b in [] if sealed else services.opened_bids(notice):
        checks = (own is not None and b is own) or party_of(notice, user) in SUPERVISING
        rows.append((b, services.commitment_matches(b) if checks else None))
    return render_template(
        "procurement/commitments.html",
        notice=notice,
        sealed=sealed,
        rows=rows,
        own_bid=own,
    )


@bp.route("/notices/<int:notice_id>/draw")
def draw(notice_id):
    """Every selection round with its candidates, seed, algorithm, parameters and result,
    re-run on the spot."""
    notice = notice_or_404(notice_id)
    db.session.commit()
    rounds = [(sel, services.verify_selection(sel)) for sel in notice.selections]
    return render_template("procurement/draw.html", notice=notice, rounds=rounds, methods=METHODS)
