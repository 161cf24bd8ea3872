"""Public notice lists and the notice page; the purchaser's and agency's own lists."""

from flask import render_template, request
from flask_login import current_user

from ..core.auth import role_required
from ..extensions import db
from . import services
from .blueprint import bp, detail_panel, notice_or_404, paginate, render_detail
from .runner import run_due
from .states import NOTICE_STATES
from .timeline import public_timeline


@detail_panel
def _timeline(notice, user, forms):
    return {"timeline": public_timeline(notice)}


@bp.route("/notices/")
def index():
    run_due()
    db.session.commit()
    state = request.args.get("state") if request.args.get("state") in NOTICE_STATES else None
    page = paginate(services.public_notices_query(state))
    return render_template(
        "procurement/index.html",
        page=page,
        state=state,
        states={k: v for k, v in NOTICE_STATES.items() if k != "draft"},
    )


@bp.route("/notices/<int:notice_id>")
def detail(notice_id):
    notice = notice_or_404(notice_id)
    db.session.commit()
    return render_detail(notice)


@bp.route("/purchaser/notices")
@role_required("purchaser")
def my_notices():
    run_due()
    db.session.commit()
    state = request.args.get("state") if request.args.get("state") in NOTICE_STATES else None
    page = paginate(services.purchaser_notices_query(current_user.organisation.id, state))
    return render_template(
        "procurement/my_notices.html", page=page, state=state, states=NOTICE_STATES
    )


@bp.route("/agency/opportunities")
@role_required("agency")
def opportunities():
    run_due()
    db.session.commit()
    page = paginate(services.opportunities_query(current_user.organisation.id))
    return render_template("procurement/opportunities.html", page=page)


@bp.route("/agency/bids")
@role_required("agency")
def my_bids():
    run_due()
    db.session.commit()
    page = paginate(services.agency_bids_query(current_user.organisation.id))
    return render_template("procurement/my_bids.html", page=page)
