"""The bulk downloads' pages (docs/opendata.md): /opendata/ lists the latest day's files,
/opendata/files/<day>/<name> serves one, /opendata/files/<day>/manifest.json the day's
manifest. Public; a name the day's manifest does not list is a 404."""

import os

from flask import Blueprint, abort, render_template, send_from_directory

from ..core.errors import format_size
from ..core.i18n import _l
from . import bulk

bp = Blueprint("opendata", __name__, url_prefix="/opendata")

#: the page's names of the data sets (the files and their manifest keep their Chinese titles)
TITLES = {
    "notices": _l("采购公告"),
    "awards": _l("中选结果"),
    "contracts": _l("合同"),
    "payments": _l("合同付款"),
    "credit-disclosures": _l("信用公示（不良行为记录）"),
    bulk.OCDS_FILE: _l("OCDS 发布（全部）"),
}


def title_of(listed: dict) -> str:
    """The title of a file the manifest lists, in the page's language."""
    name = listed.get("name", "")
    title = TITLES.get(name) or TITLES.get(name.split(".", 1)[0])
    return str(title) if title is not None else listed.get("title", "")


@bp.route("/")
def index():
    days = bulk.days()
    latest = bulk.manifest(days[0]) if days else None
    return render_template(
        "opendata/index.html",
        manifest=latest,
        days=days,
        format_size=format_size,
        title_of=title_of,
    )


def _day_folder(day: str) -> str:
    if bulk.manifest(day) is None:
        abort(404)
    return os.path.join(bulk.folder(), day)


@bp.route("/files/<day>/manifest.json")
def manifest(day):
    return send_from_directory(_day_folder(day), bulk.MANIFEST, mimetype="application/json")


@bp.route("/files/<day>/<name>")
def file(day, name):
    listed = {f["name"] for f in (bulk.manifest(day) or {}).get("files", ())}
    if name not in listed or name not in bulk.FILE_NAMES:
        abort(404)
    return send_from_directory(
        _day_folder(day),
        name,
        mimetype=bulk.MIMETYPES[os.path.splitext(name)[1]],
        as_attachment=True,
        download_name=f"market-{day}-{name}",
    )
