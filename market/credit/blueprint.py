"""The credit blueprint (`/credit/...`); each view module adds its routes to it."""

from flask import Blueprint, abort, current_app

from ..extensions import db

bp = Blueprint("credit", __name__, url_prefix="/credit")


def paginate(stmt):
    return db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)


def regulator_org(user):
    """The regulator organisation of the user, or 403."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "regulator":
        abort(403)
    return org
