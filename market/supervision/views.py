from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.services import organisation_names
from ..core.auth import role_required
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.failures import mark_handled
from ..core.failures import unhandled_query as unhandled_failures
from ..core.i18n import _
from ..core.pagecache import public_page
from ..core.paging import paginate
from ..core.transactions import commit_if_written
from ..extensions import db
from ..procurement import services as procurement
from ..statistics import services as statistics
from . import services, workspaces
from .failures import describe, subject_link

bp = Blueprint("portal", __name__)


@bp.route("/")
def home():
    notices = services.latest_notices()
    if procurement.apply_due_shown(notices, limit=current_app.config["DUE_ON_READ_LIMIT"]):
        db.session.commit()
        notices = services.latest_notices()  # as they are now
    figures = services.live_figures()
    # Rendered once per content for visitors who are not signed in, as the notice list is:
    # the key is what the page shows, read by the queries that run anyway.
    rows = tuple(notices)
    return public_page(
        ("home", rows, tuple(row.awaiting_update for row in rows), tuple(figures.items())),
        lambda: render_template(
            "home.html",
            figures=figures,
            overview_labels=statistics.overview_labels(),
            notices=notices,
        ),
    )


@bp.route("/dashboard")
@login_required
def dashboard():
    build = workspaces.WORKSPACES.get(current_user.role)
    if build is None:
        return redirect(url_for("portal.home"))
    org = current_user.organisation
    # An agency or a purchaser sees its own notices that came due applied (bounded): counted
    # with the workspace's lists, and applied only when there are some.
    workspace = build(org, due_limit=current_app.config["DUE_ON_READ_LIMIT"])
    # One commit for the deadlines just applied and an agency profile created on first visit;
    # none when nothing was written (a commit would expire every object the page shows).
    commit_if_written()
    return render_template(
        f"supervision/workspace_{current_user.role}.html",
        org=org,
        ws=workspace,
        states=procurement.state_labels(),
        now=utcnow(),
        describe=describe,
    )


@bp.route("/supervision/audit")
@role_required("regulator", "operator")
def audit_log():
    filters, notes = services.parse_audit_filters(request.args)
    stmt, params = services.audit_list(filters)
    page = paginate(stmt, params=params)
    names = organisation_names({e.actor_org_id for e in page.items if e.actor_org_id})
    return render_template(
        "supervision/audit.html",
        page=page,
        names=names,
        filters=filters,
        notes=notes,
        subject_type=filters.subject_type,
        subjects=services.SUBJECT_LABELS,
        actions=services.ACTION_LABELS,
        state_labels=services.state_labels_by_subject(),
        state_label=services.state_label,
    )


@bp.route("/supervision/failures")
@role_required("regulator", "operator")
def failures():
    """The system's follow-up work that failed, for someone to look into."""
    page = paginate(unhandled_failures())
    return render_template(
        "supervision/failures.html", page=page, describe=describe, subject_link=subject_link
    )


@bp.route("/supervision/failures/<int:failure_id>/handled", methods=["POST"])
@role_required("regulator", "operator")
def failure_handled(failure_id):
    try:
        mark_handled(current_user, failure_id)
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("已标记为已处理"), "success")
    return redirect(url_for(".failures"))
