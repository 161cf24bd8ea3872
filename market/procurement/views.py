"""Public notice lists and the notice page; the purchaser's and agency's own lists.

A list applies the deadlines of the rows it shows, and nothing else: the worker applies the
rest (`flask market worker`)."""

from flask import current_app, render_template, request
from flask_login import current_user

from ..core.auth import role_required
from ..core.pagecache import may_keep, public_page
from ..extensions import db
from . import notice_filters, services
from .blueprint import bp, detail_panel, paginate, read_or_404, render_detail
from .listing import NoticeRow
from .runner import apply_due_shown
from .states import state_labels
from .timeline import public_timeline


@detail_panel
def _timeline(notice, user, forms, access):
    return {"timeline": public_timeline(notice)}


def shown(load, notices_of=lambda items: items):
    """`load()`'s page, its notices brought up to date first: those due among them (at most
    DUE_ON_READ_LIMIT) are applied and committed, and the page read again as it now is."""
    page = load()
    limit = current_app.config["DUE_ON_READ_LIMIT"]
    if apply_due_shown(notices_of(page.items), limit=limit):
        db.session.commit()
        page = load()
    return page


def _state_filter(states):
    state = request.args.get("state")
    return state if state in states else None


@bp.route("/notices/")
def index():
    states = state_labels(include_drafts=False)
    parsed = notice_filters.parse(request.args, states)
    filters = parsed.filters
    stmt, params = notice_filters.list_query(filters)
    page = shown(lambda: paginate(stmt, make=notice_filters.ListedNotice, params=params))

    # Rendered once per content for visitors who are not signed in: the key is what the list
    # shows (its filters and notes, its rows' values, whether each awaits its update, the
    # pager's figures), read by the query that runs anyway, so a kept list is never older than
    # its rows. (The address, every query argument with it, is part of the key too.) The
    # filters' choices are read only when the page is rendered: at most PUBLIC_PAGE_SECONDS old.
    def content():
        rows = tuple(page.items)
        shown_with = (filters.key, tuple(parsed.notes))
        return ("notices", *shown_with, page.total, page.capped, page.more, rows, _awaiting(rows))

    return public_page(
        content,
        lambda: render_template(
            "procurement/index.html",
            page=page,
            state=filters.state,
            states=states,
            filters=filters,
            notes=parsed.notes,
            choices=notice_filters.choices(),
            sorts=notice_filters.SORTS,
        ),
    )


def _awaiting(rows) -> tuple[bool, ...]:
    """Which rows show 「状态更新中」 now (it changes with time alone)."""
    return tuple(row.awaiting_update for row in rows)


@bp.route("/notices/<int:notice_id>")
def detail(notice_id):
    if may_keep():
        # Rendered once per version of the notice for visitors who are not signed in: a
        # published notice with nothing due is served its kept page after one small query.
        head = services.public_head(notice_id)
        if head is not None and head.published and not head.due:
            version = ("notice", notice_id, head.page_version)
            return public_page(
                version, lambda: render_detail(read_or_404(notice_id, reading=True).notice)
            )
    # Signed in, or a notice that is not public or has a deadline to apply (its version is
    # about to change): rendered as it now is.
    return render_detail(read_or_404(notice_id, reading=True).notice)


@bp.route("/purchaser/notices")
@role_required("purchaser")
def my_notices():
    states = state_labels()
    state = _state_filter(states)
    query, params = services.purchaser_notices_query(current_user.organisation.id, state)
    page = shown(lambda: paginate(query, make=NoticeRow, params=params))
    return render_template("procurement/my_notices.html", page=page, state=state, states=states)


@bp.route("/agency/opportunities")
@role_required("agency")
def opportunities():
    org_id = current_user.organisation.id
    query = services.opportunities_query(org_id)
    page = shown(lambda: paginate(query, make=NoticeRow))
    quoted = services.quoted_notice_ids(org_id, (n.id for n in page.items))
    return render_template("procurement/opportunities.html", page=page, quoted=quoted)


@bp.route("/agency/bids")
@role_required("agency")
def my_bids():
    query, params = services.agency_bids_query(current_user.organisation.id)
    page = shown(lambda: paginate(query, params=params), lambda bids: [b.notice for b in bids])
    return render_template("procurement/my_bids.html", page=page)
