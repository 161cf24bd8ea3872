"""The public statistics page, its JSON and one CSV file per table; the filters are the
query string's (a GET form), checked before anything is counted."""

from datetime import timedelta

from flask import Blueprint, abort, jsonify, render_template, request

from ..core.audit import day_head
from ..core.clock import local_today
from ..core.csvfile import csv_download
from ..core.i18n import _
from ..core.pagecache import public_page
from . import services
from .cache import data_version

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


def _filters():
    """The filters asked for, or (None, the Chinese messages saying what is wrong)."""
    try:
        return services.read_filters(request.args), []
    except services.FilterError as err:
        return None, err.messages


def _choices() -> dict:
    return {"departments": services.departments(), "items": services.items()}


@bp.route("/")
def index():
    filters, errors = _filters()
    if errors:
        page = render_template(
            "statistics/index.html", errors=errors, asked=request.args, **_choices()
        )
        return page, 400
    overview = services.overview(filters)
    # The audit chain's head at the end of yesterday, published here too (docs/opendata.md):
    # a day that is over, so no event of today (a quote) changes it.
    yesterday = local_today() - timedelta(days=1)
    head = day_head(yesterday)
    # Kept for visitors not signed in per filters, overview and version of the data: the
    # figures themselves are kept the same way (cache.py), the rendering is saved here.
    return public_page(
        lambda: ("statistics", filters.key, tuple(overview.items()), data_version(), head),
        lambda: render_template(
            "statistics/index.html",
            stats=services.statistics(filters),
            overview=overview,
            overview_labels=services.overview_labels(),
            filters=filters,
            asked=filters.args,
            errors=[],
            chain_day=yesterday,
            chain_head=head,
            **_choices(),
        ),
    )


@bp.route("/data.json")
def data_json():
    filters, errors = _filters()
    if errors:
        return jsonify({"errors": errors}), 400
    stats = services.statistics(filters)
    return jsonify(stats.to_json(services.overview(filters)))


@bp.route("/<table>.csv")
def table_csv(table):
    filters, errors = _filters()
    if errors:
        return _("；").join(errors), 400, {"Content-Type": "text/plain; charset=utf-8"}
    stats = services.statistics(filters)
    if table not in stats.tables:
        abort(404)
    period = f"{filters.start:%Y%m}-{filters.end:%Y%m}"
    return csv_download(stats.csv(table), f"statistics-{table}-{period}")
