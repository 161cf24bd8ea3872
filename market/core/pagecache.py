"""Public pages rendered once per version of what they show, for visitors not signed in.

A page whose data has a version (a notice's or an agency's page_version, raised in the
transaction of every change to what its page shows; the search index's version; or, for a
list, the very rows its query read) is rendered for the first anonymous visitor of that
version and served from memory to the next ones, for at most PUBLIC_PAGE_SECONDS (what the
page shows from outside its data, such as an organisation's name on a notice page, is at most
that old). A page that reads differently from some moment on by time alone (a measure that
ends, a publication period that runs out) says so while it renders (`changes_at`), and is not
served from that moment on. Signed-in users always get a page rendered for them: what they
see and may do depends on who they are. Only pages that wrote nothing into the visitor's
session (no flashed message, no token) are kept, so a kept page holds nothing of any one
visitor. Each process keeps at most PUBLIC_PAGE_ENTRIES pages, the least recently served
dropped first; PUBLIC_PAGE_SECONDS = 0 turns the cache off.
"""

import threading
import time
from collections import OrderedDict

from flask import current_app, g, request, session
from flask_login import current_user

from .clock import utcnow
from .i18n import current_language

KEY = "market_page_cache"


class _Pages:
    def __init__(self):
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()


def _pages() -> _Pages:
    return current_app.extensions.setdefault(KEY, _Pages())


def clear() -> None:
    """Forget every kept page (tests; a process that reloaded its data)."""
    pages = _pages()
    with pages.lock:
        pages.entries.clear()


def may_keep() -> bool:
    """Whether this request's page may be served from, and kept for, visitors not signed in."""
    return (
        current_app.config["PUBLIC_PAGE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def changes_at(moment) -> None:
    """Note, while a page renders, that it reads differently from `moment` (UTC) on even if
    its data do not change (a measure ends, a publication period runs out); a kept page is
    served no later than that."""
    if moment is None or moment <= utcnow():  # passed already: changes nothing to come
        return
    bound = g.get("page_changes_at")
    if bound is None or moment < bound:
        g.page_changes_at = moment


def public_page(version, render):
    """`render()`'s page for an anonymous visitor, kept for the next ones while `version`
    (what the page shows, e.g. ("notice", id, page_version); or a function giving it, called
    only when the page may be kept) is unchanged."""
    if not may_keep():
        return render()
    key = (request.full_path, current_language(), *(version() if callable(version) else version))
    pages, now = _pages(), time.monotonic()
    with pages.lock:
        entry = pages.entries.get(key)
        # Kept while young enough and before the moment it would read differently (that
        # moment on the application's clock, which tests move).
        if entry is not None and entry[0] > now and (entry[2] is None or utcnow() < entry[2]):
            pages.entries.move_to_end(key)
            return entry[1]
    g.pop("page_changes_at", None)
    page = render()
    changes = g.pop("page_changes_at", None)
    config = current_app.config
    if isinstance(page, str) and not session.modified and (changes is None or utcnow() < changes):
        with pages.lock:
            pages.entries[key] = (now + config["PUBLIC_PAGE_SECONDS"], page, changes)
            pages.entries.move_to_end(key)
            while len(pages.entries) > config["PUBLIC_PAGE_ENTRIES"]:
                pages.entries.popitem(last=False)
    return page
