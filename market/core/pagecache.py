"""Public pages rendered once per version of what they show, for visitors not signed in.

A page whose data has a version (a notice's page_version, raised in the transaction of every
change to it) is rendered for the first anonymous visitor of that version and served from
memory to the next ones, for at most PUBLIC_PAGE_SECONDS (what the page shows from outside
its data, such as an organisation's name, is at most that old). Signed-in users always get a
page rendered for them: what they see and may do depends on who they are. Only pages that
wrote nothing into the visitor's session (no flashed message, no token) are kept, so a kept
page holds nothing of any one visitor. Each process keeps at most PUBLIC_PAGE_ENTRIES pages,
the least recently served dropped first; PUBLIC_PAGE_SECONDS = 0 turns the cache off.
"""

import threading
import time
from collections import OrderedDict

from flask import current_app, request, session
from flask_login import current_user

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


def _cacheable() -> bool:
    return (
        current_app.config["PUBLIC_PAGE_SECONDS"] > 0
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def public_page(version: tuple, render):
    """`render()`'s page for an anonymous visitor, kept for the next ones while `version`
    (what the page shows, e.g. ("notice", id, page_version)) is unchanged."""
    if not _cacheable():
        return render()
    key = (request.full_path, *version)
    pages, now = _pages(), time.monotonic()
    with pages.lock:
        entry = pages.entries.get(key)
        if entry is not None and entry[0] > now:
            pages.entries.move_to_end(key)
            return entry[1]
    page = render()
    if isinstance(page, str) and not session.modified:
        config = current_app.config
        with pages.lock:
            pages.entries[key] = (now + config["PUBLIC_PAGE_SECONDS"], page)
            pages.entries.move_to_end(key)
            while len(pages.entries) > config["PUBLIC_PAGE_ENTRIES"]:
                pages.entries.popitem(last=False)
    return page
