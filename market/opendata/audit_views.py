"""The audit pack of a notice and the daily chain heads (docs/opendata.md "Audit pack"):
public, no login."""

from datetime import date

from flask import Blueprint, Response, abort, render_template, request, url_for

from ..core.clock import local_today
from ..extensions import db
from ..procurement.models import Notice
from . import auditpack

bp = Blueprint("auditpack", __name__)

#: the months the chain-heads page may name
YEARS = (2000, 2099)


@bp.route("/notices/<int:notice_id>/audit-pack.zip")
def pack(notice_id):
    """The notice's audit pack; a 404 like any missing notice until a selection was run."""
    notice = db.session.get(Notice, notice_id)
    if not auditpack.available(notice):
        abort(404)
    built = auditpack.build(notice, url_for(".chain_heads", _external=True))
    return Response(
        built.data,
        mimetype="application/zip",
        headers={"Content-Disposition": f"attachment; filename={built.filename}"},
    )


def _month() -> tuple[int, int] | None:
    """The month the query names (YYYY-MM), this month when absent; None if it is no month."""
    text = request.args.get("month", "").strip()
    if not text:
        today = local_today()
        return today.year, today.month
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        return None
    year, month = int(parts[0]), int(parts[1])
    if not (YEARS[0] <= year <= YEARS[1] and 1 <= month <= 12):
        return None
    return year, month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.route("/audit/chain-heads")
def chain_heads():
    """Per day (Asia/Shanghai) that is over, the last audit event's id and hash; a month a
    page."""
    month = _month()
    if month is None:
        return render_template("opendata/chain_heads.html", error=True, heads=[]), 400
    year, number = month
    today = local_today()
    later = date(year, number, 1) <= today.replace(day=1) and (year, number) != (
        today.year,
        today.month,
    )
    return render_template(
        "opendata/chain_heads.html",
        error=False,
        heads=auditpack.month_heads(year, number),
        month=f"{year:04d}-{number:02d}",
        previous=_shift(year, number, -1) if year * 12 + number - 1 > YEARS[0] * 12 else None,
        following=_shift(year, number, 1) if later else None,
    )
