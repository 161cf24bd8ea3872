from flask import Blueprint, abort, render_template, request

from ..core.paging import paginate
from . import services
from .models import ITEM_LISTS

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()
    category = request.args.get("category") or None
    list_kind = request.args.get("list") if request.args.get("list") in ITEM_LISTS else None
    page = paginate(services.item_query(q, category, list_kind))
    return render_template(
        "catalogue/index.html",
        page=page,
        q=q,
        category=category,
        list_kind=list_kind,
        categories=services.categories(),
        lists=ITEM_LISTS,
    )


@bp.route("/<code>")
def detail(code):
    item = services.get_item_by_code(code)
    if item is None or item.status not in ("published", "online"):
        abort(404)
    return render_template("catalogue/detail.html", item=item)
