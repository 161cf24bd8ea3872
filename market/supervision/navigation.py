"""The header's menus, declared per role: what each kind of organisation's members work with.
The template renders whatever this gives (it never compares roles itself)."""

from dataclasses import dataclass, field

from flask import current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import Markup

from ..core.i18n import _l, current_language


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    #: builds the URL's arguments from the user (their organisation's own pages)
    args: object = None

    def url(self, user) -> str:
        return url_for(self.endpoint, **(self.args(user) if self.args else {}))


@dataclass(frozen=True)
class Menu:
    """A dropdown; None in `links` draws a divider."""

    label: str
    links: tuple = field(default_factory=tuple)


def _own_org(user) -> dict:
    return {"org_id": user.organisation.id}


PUBLIC = (
    Link(_l("采购公告"), "procurement.index"),
    Link(_l("服务超市"), "agencies.shelves"),
    Link(_l("服务事项清单"), "catalogue.index"),
    Link(_l("中介机构"), "agencies.directory"),
    Link(_l("信用公示"), "credit.disclosures"),
)
#: for visitors not signed in only: a signed-in user's header is full with their own menus
#: (every page's footer links the statistics, and operators' workspace shows them)
VISITORS = (*PUBLIC, Link(_l("统计"), "statistics.index"))
BY_ROLE = {
    "purchaser": (
        Link(_l("我的采购"), "procurement.my_notices"),
        Link(_l("发布采购"), "procurement.create"),
        Link(_l("信用记录"), "credit.record_list"),
    ),
    "agency": (
        Link(_l("可报价公告"), "procurement.opportunities"),
        Link(_l("我的报价"), "procurement.my_bids"),
        Menu(
            _l("机构资料"),
            (
                Link(_l("我的服务"), "agencies.offerings"),
                Link(_l("我的资质"), "library.qualifications"),
                Link(_l("从业人员"), "library.practitioners"),
                Link(_l("资料库"), "library.documents"),
                None,
                Link(_l("查看本机构店铺"), "agencies.profile", _own_org),
                Link(_l("信用档案"), "credit.agency", _own_org),
                Link(_l("信用记录"), "credit.record_list"),
            ),
        ),
    ),
    "regulator": (
        Menu(
            _l("事项资质"),
            (Link(_l("维护事项清单"), "catalogue.manage"), Link(_l("资质核验"), "library.pending")),
        ),
        Link(_l("付款"), "payments.payments_list"),
        Menu(
            _l("信用监管"),
            (
                Link(_l("不良行为记录"), "credit.record_list"),
                Link(_l("风险预警"), "credit.risks"),
                Link(_l("双随机抽查"), "credit.inspections"),
                Link(_l("守信激励名单"), "credit.redlist"),
                Link(_l("认定标准"), "credit.criteria_index"),
            ),
        ),
        Link(_l("操作日志"), "portal.audit_log"),
    ),
    "operator": (
        Link(_l("整改回访"), "procurement.rectifications"),
        Link(_l("付款"), "payments.payments_list"),
        Link(_l("信用记录"), "credit.record_list"),
        Link(_l("操作日志"), "portal.audit_log"),
    ),
}
#: what the header's search box looks for first, by role (agencies look for notices)
SEARCH_FIRST = {"agency": "notices"}


def navigation(user) -> tuple:
    """The header's entries for `user` (None or anonymous: the public ones)."""
    if user is None or not user.is_authenticated:
        return VISITORS
    return (*PUBLIC, Link(_l("工作台"), "portal.dashboard"), *BY_ROLE.get(user.role, ()))


def search_first(user) -> str:
    role = user.role if user is not None and user.is_authenticated else None
    return SEARCH_FIRST.get(role, "agencies")


#: how many signed-in headers a process keeps (user × page); past it, it starts again
KEPT_SIGNED_IN_HEADERS = 4096
#: stands for the logout form's CSRF token in a kept signed-in header (the token is the
#: session's, filled in for each request)
_TOKEN_SLOT = "\x00csrf-token\x00"


def _signed_in_key(user) -> tuple:
    # Everything the header shows of a signed-in user: the menus follow the role (and the
    # organisation, for its own pages), the badge the unread count.
    org = user.organisation
    shown = {}
    current_app.update_template_context(shown)  # what the context processors give the page
    unread = shown.get("unread_notifications", 0)
    return (
        request.endpoint,
        current_language(),
        user.id,
        user.name,
        user.role,
        org.id if org is not None else None,
        org.kind_label if org is not None else None,
        unread,
    )


def site_header() -> Markup:
    """The header (templates/_header.html). It depends only on the page's endpoint and, for a
    signed-in user, on who they are and their unread count: each process renders it once per
    endpoint for visitors and once per user, endpoint and count for the signed-in (their
    logout form's token filled in for each request). Search pages, which echo the query,
    get it rendered."""
    if request.endpoint == "search.results":
        return Markup(render_template("_header.html"))
    if not current_user.is_authenticated:
        kept = current_app.extensions.setdefault("market_public_headers", {})
        key = (request.endpoint, current_language())
        header = kept.get(key)
        if header is None:
            header = kept[key] = Markup(render_template("_header.html"))
        return header
    kept = current_app.extensions.setdefault("market_signed_in_headers", {})
    key = _signed_in_key(current_user)
    header = kept.get(key)
    if header is None:
        if len(kept) >= KEPT_SIGNED_IN_HEADERS:
            kept.clear()
        header = kept[key] = render_template("_header.html", csrf_token=lambda: _TOKEN_SLOT)
    return Markup(header.replace(_TOKEN_SLOT, csrf_token()))
