"""An agency's credit page (信用档案): its score explained line by line, its measures, its
history as a chart and its disclosed records; and the panel its storefront shows."""

from functools import cache

from flask import abort, current_app, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select

from ..agencies.services import page_version, public_agency
from ..core.clock import local_today, utcnow
from ..core.pagecache import changes_at, public_page
from ..extensions import db
from .blueprint import bp
from .chart import score_chart
from .disclosure.services import disclosed_condition
from .models import ConductRecord, ViolationCriterion
from .standing import history_of, standing_of


def _sees_everything(org_id: int) -> bool:
    org = getattr(current_user, "organisation", None) if current_user.is_authenticated else None
    return org is not None and (org.id == org_id or org.kind in ("regulator", "operator"))


@cache
def _disclosed_ids():
    return select(ConductRecord.id).where(
        ConductRecord.subject_org_id == bindparam("org_id"), disclosed_condition(bindparam("now"))
    )


def disclosed_ids(org_id: int, now) -> set[int]:
    """The agency's records the public may see: confirmed, disclosed, publication running."""
    return set(db.session.scalars(_disclosed_ids(), {"org_id": org_id, "now": now}))


@bp.route("/agencies/<int:org_id>")
def agency(org_id):
    # Rendered once per version of the agency (and per day: the chart ends today) for
    # visitors who are not signed in, and kept no later than the standing changes by itself.
    def version():
        number = page_version(org_id)
        if number is None:
            abort(404)
        return ("credit", org_id, number, local_today())

    return public_page(version, lambda: _render(org_id))


def _render(org_id: int) -> str:
    agency = public_agency(org_id)
    if agency is None:
        abort(404)
    now = utcnow()
    standing = standing_of(org_id, now)
    changes_at(standing.changes_at)
    history = history_of(org_id)
    return render_template(
        "credit/agency.html",
        agency=agency,
        standing=standing,
        now=now,
        full=_sees_everything(org_id),
        disclosed=disclosed_ids(org_id, now),
        chart=score_chart(history, agency.organisation.created_dt, standing.score, now),
        history=history,
    )


@cache
def _warnings():
    now = bindparam("now")
    return (
        select(
            ViolationCriterion.code,
            ViolationCriterion.behaviour,
            ConductRecord.publication_end_dt,
        )
        .join(ViolationCriterion, ViolationCriterion.id == ConductRecord.criterion_id)
        .where(
            ConductRecord.subject_org_id == bindparam("org_id"),
            disclosed_condition(now),
            ConductRecord.decided_dt <= now,
            ViolationCriterion.measure == "warning",
        )
        .order_by(ConductRecord.decided_dt, ConductRecord.id)
    )


def disclosed_warnings(org_id: int, now):
    """The agency's disclosed warnings in force (code, behaviour, publication end), oldest
    first: what its storefront shows, in one query (its statement built once)."""
    return db.session.execute(_warnings(), {"org_id": org_id, "now": now}).all()


def profile_panel(org_id: int) -> Markup:
    """The credit block on an agency's storefront: warnings in force and a link to the page.
    (Rendered inside the storefront's template: its own context needs nothing from the
    request's, so the template is rendered directly.)"""
    template = current_app.jinja_env.get_template("credit/_profile_panel.html")
    warnings = disclosed_warnings(org_id, utcnow())
    for warning in warnings:  # a page showing it is kept no longer than it is disclosed
        changes_at(warning.publication_end_dt)
    return Markup(template.render(org_id=org_id, warnings=warnings))
