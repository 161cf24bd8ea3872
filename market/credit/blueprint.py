"""The credit blueprint (`/credit/...`); each view module adds its routes to it."""

from flask import Blueprint, abort

from ..core.paging import paginate  # noqa: F401 (the views' pager)

bp = Blueprint("credit", __name__, url_prefix="/credit")


def regulator_org(user):
    """The regulator organisation of the user, or 403."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "regulator":
        abort(403)
    return org
