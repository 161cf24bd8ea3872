"""The OCDS endpoints (docs/opendata.md): release and record packages of the published
notices, paged by notice and filtered by publication date; read-only and public."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from sqlalchemy import func, select

from ..core.clock import from_local, utcnow
from ..extensions import db
from ..procurement.models import Notice
from . import ocds, ocds_ids
from .records import record

bp = Blueprint("ocds", __name__, url_prefix="/api/ocds")

#: notices per page (their releases or records): a page stays a few hundred KB
PAGE_SIZE = 100
#: the publication dates a query may name
YEARS = (2000, 2099)
MAX_PAGE = 100_000


class QueryError(ValueError):
    """A query the endpoints refuse, with the Chinese message the caller gets."""


def _day(name: str) -> date | None:
    """The date the query names under `name` (YYYY-MM-DD), or None when absent."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise QueryError(f"{name} 应为日期，格式 YYYY-MM-DD，例如 2026-03-01")  # i18n: data
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise QueryError(f"{name} 的年份应在 {YEARS[0]} 至 {YEARS[1]} 之间")  # i18n: data
    return day


def _query() -> tuple:
    """(UTC lower bound, UTC upper bound, page) from the query string; QueryError if bad."""
    start, end = _day("published_from"), _day("published_to")
    if start and end and start > end:
        raise QueryError("published_from 不能晚于 published_to")  # i18n: data
    text = request.args.get("page", "1").strip()
    if not text.isdigit() or len(text) > 7 or not 1 <= int(text) <= MAX_PAGE:
        raise QueryError(f"page 应为 1 至 {MAX_PAGE} 之间的整数")  # i18n: data
    # Dates are Beijing dates: published_to includes its whole day.
    lower = from_local(datetime.combine(start, time())) if start else None
    upper = from_local(datetime.combine(end + timedelta(days=1), time())) if end else None
    return lower, upper, int(text)


def _page():
    """(this page's notices, whether a next page exists, the page number); 400 on bad input."""
    try:
        lower, upper, page = _query()
    except QueryError as err:
        abort(_refusal(str(err)))
    stmt = ocds.public_notices(lower, upper).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    notices = list(db.session.scalars(stmt))
    return notices[:PAGE_SIZE], len(notices) > PAGE_SIZE, page


def _refusal(message: str):
    """A 400 answer in JSON with the Chinese message."""
    response = jsonify({"error": message})
    response.status_code = 400
    return response


def _package(kind: str, items: list, more: bool, page: int) -> dict:
    """A release or record package around `items`, with its paging links."""
    args = {k: v for k, v in request.args.items() if k in ("published_from", "published_to")}
    dates = [r["date"] for r in _releases_in(kind, items)]
    package = {
        "uri": url_for(request.endpoint, _external=True, **request.view_args, **args, page=page),
        # the latest change the package holds: the same bytes as long as nothing public changed
        "publishedDate": max(dates) if dates else ocds_ids.iso(_latest_publication()),
        "publisher": {"name": current_app.config["OCDS_PUBLISHER"]},
        "license": current_app.config["OCDS_LICENSE"] or None,
        "version": "1.1",
        "extensions": [ocds_ids.BID_EXTENSION],
        kind: items,
    }
    package = {k: v for k, v in package.items() if v is not None}
    if more:
        package["links"] = {
            "next": url_for(request.endpoint, _external=True, **args, page=page + 1)
        }
    return package


@bp.errorhandler(400)
def _bad_request(error):
    """Any other refusal of a query (the site's own checks, e.g. a NUL) in JSON too."""
    if error.response is not None:
        return error.response  # our own refusal, already in JSON
    return _refusal("请求参数不正确")  # i18n: data


@bp.errorhandler(404)
def _not_found(error):
    """An ocid the platform did not publish, in JSON."""
    response = jsonify({"error": "未找到该 ocid 的公开记录"})  # i18n: data
    response.status_code = 404
    return response


def _releases_in(kind: str, items: list) -> list[dict]:
    return items if kind == "releases" else [r for rec in items for r in rec["releases"]]


def _latest_publication() -> datetime:
    """When the latest notice was published (an empty page's date), or now if none was."""
    return db.session.scalar(select(func.max(Notice.published_dt))) or utcnow()


@bp.route("/releases")
def releases():
    notices, more, page = _page()
    per_notice = ocds.releases_for(notices)
    items = [r for n in notices for r in per_notice[n.id]]
    return jsonify(_package("releases", items, more, page))


@bp.route("/records")
def records():
    notices, more, page = _page()
    per_notice = ocds.releases_for(notices)
    items = [record(per_notice[n.id]) for n in notices if per_notice[n.id]]
    return jsonify(_package("records", items, more, page))


@bp.route("/records/<ocid>")
def one_record(ocid):
    notice_id = ocds_ids.notice_id_of(ocid)
    notice = db.session.get(Notice, notice_id) if notice_id else None
    if notice is None or notice.published_dt is None:
        abort(404)
    found = ocds.releases_for([notice])[notice.id]
    if not found:
        abort(404)
    return jsonify(_package("records", [record(found)], False, 1))
