"""The search results page (/search) for agencies and notices: query box, sort, facets with
counts, highlighted snippets, pagination, "did you mean" and tips on an empty result. Bad
parameters never fail the page: each falls back to its default with a note shown above the
results."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote_plus

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..agencies.models import Agency, Offering
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.i18n import _, _l
from ..core.pagecache import changes_at, public_page
from ..extensions import db
from ..procurement.services import state_labels
from . import engine

bp = Blueprint("search", __name__)

TYPES = {"agencies": _l("机构"), "notices": _l("公告")}
SORT_LABELS = {
    "relevance": _l("相关度"),
    "credit": _l("信用"),
    "rating": _l("评价"),
    "newest": _l("最新"),
}
#: notices carry no credit or rating: only these sorts make sense for them
TYPE_SORTS = {"agencies": tuple(SORT_LABELS), "notices": ("relevance", "newest")}
FACET_LABELS = {
    "category": _l("服务类别"),
    "region": _l("地区"),
    "grade": _l("信用等级"),
    "state": _l("公告状态"),
}
GRADES = ("A", "B", "C", "D")
MAX_QUERY = 100
MAX_FACET_VALUE = 50
MAX_PAGE = 10_000


@dataclass
class Params:
    """The request's search parameters once checked, with a note for each one replaced."""

    kind: str = "agencies"
    q: str = ""
    sort: str = "relevance"
    page: int = 1
    filters: dict = field(default_factory=dict)
    can_bid: bool = False
    notes: list = field(default_factory=list)

    def args(self, **changes):
        """Query arguments for a link to this search with some parameters changed (None
        removes one); the page goes back to 1 unless given."""
        values = {"type": self.kind, "q": self.q, "sort": self.sort, **self.filters}
        if self.can_bid:
            values["can_bid"] = "1"
        values["page"] = None
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", "relevance")}

    def url(self, **changes):
        # As urlencode() would write it; a results page links every facet value and page
        # from the same few parameters, each encoded once per process.
        query = "&".join(_encoded(k, v) for k, v in self.args(**changes).items())
        return f"{request.path}?{query}"


@lru_cache(maxsize=4096)
def _encoded(name: str, value) -> str:
    return f"{quote_plus(name)}={quote_plus(str(value))}"


def _categories() -> set[str]:
    return set(db.session.scalars(select(ServiceItem.category).distinct()))


def _facet_ok(name: str, value: str) -> bool:
    if name == "grade":
        return value in GRADES
    if name == "state":
        return value in state_labels()
    if name == "category":
        return value in _categories()
    return len(value) <= MAX_FACET_VALUE  # region: any name the index may hold


def parse_params(args) -> Params:
    """Check every parameter; an unknown or malformed one falls back to its default."""
    p = Params()
    kind = args.get("type", "agencies")
    if kind not in TYPES:
        p.notes.append(_("未知的搜索类别，已显示机构搜索结果。"))
    else:
        p.kind = kind
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY:
        p.notes.append(_("搜索词过长，只按前 %(count)s 个字搜索。", count=MAX_QUERY))
        q = q[:MAX_QUERY]
    p.q = q
    sort = args.get("sort") or ("relevance" if q else _browse_sort(p.kind))
    if sort not in TYPE_SORTS[p.kind]:
        p.notes.append(_("不支持该排序方式，已按默认方式排序。"))
        sort = "relevance" if q else _browse_sort(p.kind)
    p.sort = sort
    raw_page = args.get("page", "1")
    try:
        p.page = int(raw_page)
        if not 1 <= p.page <= MAX_PAGE:
            raise ValueError
    except ValueError:
        p.notes.append(_("页码无效，已显示第 1 页。"))
        p.page = 1
    for name in engine.FACETS[p.kind]:
        value = args.get(name, "").strip()
        if not value:
            continue
        if _facet_ok(name, value):
            p.filters[name] = value
        else:
            p.notes.append(_("筛选条件「%(facet)s」的取值无效，已忽略。", facet=FACET_LABELS[name]))
    p.can_bid = p.kind == "agencies" and args.get("can_bid") in ("1", "on", "true")
    return p


def _browse_sort(kind: str) -> str:
    # Without words there is no relevance: agencies by credit, notices by date.
    return "credit" if kind == "agencies" else "newest"


def _run(p: Params):
    per_page = current_app.config["PER_PAGE"]

    def run(page):
        return engine.search(
            p.kind,
            p.q,
            filters=p.filters,
            sort=p.sort,
            page=page,
            per_page=per_page,
            can_bid_only=p.can_bid,
        )

    results = run(p.page)
    if p.page > 1 and (results.total == 0 or p.page > results.pages):
        p.notes.append(_("页码超出范围，已显示第 %(page)s 页。", page=results.pages))
        p.page = results.pages
        results = run(p.page)
    labels = state_labels() if p.kind == "notices" else {}
    for hit in results.hits:
        state = hit.fields.get("state")
        if state in labels:
            # the index keeps the label in Chinese: the page names the state in its language
            hit.fields["state_label"] = labels[state]
        created = hit.fields.get("created")
        if isinstance(created, datetime) and created.tzinfo is None:
            # the index keeps naive UTC: make it aware so local_dt shows Beijing time
            hit.fields["created"] = created.replace(tzinfo=UTC)
    return results


@dataclass
class Pagination:
    """What templates/macros/ui.html's pager needs, over a SearchResults."""

    page: int
    pages: int
    total: int

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1

    def iter_pages(self, left=2, around=2, right=2):
        last = 0
        for n in range(1, self.pages + 1):
            if n <= left or abs(n - self.page) <= around or n > self.pages - right:
                if last and n - last > 1:
                    yield None
                yield n
                last = n


def _invitations(hits) -> dict[int, list[ServiceItem]]:
    """For a purchaser: each agency's online items, to invite it to quote for one."""
    ids = [h.id for h in hits]
    if not ids:
        return {}
    offerings = db.session.scalars(
        select(Offering)
        .where(Offering.agency_id.in_(ids))
        .options(selectinload(Offering.item))
        .order_by(Offering.item_id)
    )
    out: dict[int, list[ServiceItem]] = {}
    for offering in offerings:
        if offering.item.is_online:
            out.setdefault(offering.agency_id, []).append(offering.item)
    return out


def _blacklisted(hits) -> set[int]:
    """The hits' agencies on the serious dishonesty list now (shown as listed, not by their
    grade: the list outranks it). One query for the page's hits."""
    ids = [h.id for h in hits]
    if not ids:
        return set()
    now = utcnow()
    return set(
        db.session.scalars(
            select(Agency.org_id).where(
                Agency.org_id.in_(ids),
                Agency.blacklisted.is_(True),
                or_(Agency.blacklisted_until.is_(None), Agency.blacklisted_until > now),
            )
        )
    )


def _facet_value_label(name: str, value: str) -> str:
    if name == "state":
        return state_labels().get(value, value)
    if name == "grade":
        return _("%(grade)s 级", grade=value)
    return value


@bp.route("/search")
def results():
    p = parse_params(request.args)
    try:
        version = engine.version(p.kind)
    except engine.IndexOutdated:
        return _results_page(p)
    # Rendered once per version of the index for visitors who are not signed in, and kept
    # no later than an agency's measure ends (its badge, the "may bid" filter).
    return public_page(("search", p.kind, version), lambda: _results_page(p))


def _results_page(p: Params):
    status = 200
    try:
        found = _run(p)
    except engine.IndexOutdated:  # until `flask search sync` (cron) has rebuilt it
        current_app.logger.exception("search index outdated")
        p.notes.append(_("搜索索引正在更新，请稍后再试。"))
        found, status = engine.SearchResults([], 0, 1, 1, {}), 503
    changes_at(found.changes_at)
    is_purchaser = current_user.is_authenticated and current_user.role == "purchaser"
    invitations = _invitations(found.hits) if is_purchaser and p.kind == "agencies" else {}
    blacklisted = _blacklisted(found.hits) if p.kind == "agencies" else set()
    page = render_template(
        "search/results.html",
        p=p,
        found=found,
        pagination=Pagination(found.page, found.pages, found.total),
        types=TYPES,
        sorts={k: SORT_LABELS[k] for k in TYPE_SORTS[p.kind]},
        facet_labels=FACET_LABELS,
        facet_value_label=_facet_value_label,
        now_epoch=int(utcnow().timestamp()),
        is_purchaser=is_purchaser,
        invitations=invitations,
        blacklisted=blacklisted,
    )
    return page if status == 200 else (page, status)
