"""Jinja filters and globals shared by every template."""

from urllib.parse import urlencode

from flask import current_app, request, url_for

from .clock import local_today, to_local, utcnow
from .errors import format_size
from .money import format_bp, format_fen


def local_dt(value, fmt="%Y-%m-%d %H:%M"):
    if value is None:
        return "—"
    return to_local(value).strftime(fmt)


def page_links():
    """A function giving the current URL with `page` replaced, every other query argument
    kept as it was (the pager links every page number it shows: the arguments are encoded
    once)."""
    args = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page"])
    start = f"{request.path}?{args}&page=" if args else f"{request.path}?page="
    return lambda page: f"{start}{int(page)}"


#: a number no id reaches, written where an id goes (see url_pattern)
_MARKER = 987654321987


def url_pattern(endpoint: str, name: str):
    """A function giving url_for(endpoint, **{name: value}) for an integer value at the cost
    of one url_for: a list links each of its rows to the same page of another id."""
    prefix, _, suffix = url_for(endpoint, **{name: _MARKER}).rpartition(str(_MARKER))
    return lambda value: f"{prefix}{int(value)}{suffix}"


def external_url(endpoint: str, **values) -> str:
    """An absolute address for a link that leaves the site (a mail): on PUBLIC_URL when it is
    configured, never on the Host header a request happened to send."""
    base = current_app.config["PUBLIC_URL"]
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def register_templating(app):
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(format_fen, "yuan")
    app.add_template_filter(format_bp, "rate")
    app.add_template_filter(format_size, "filesize")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(local_today, "local_today")
    app.add_template_global(page_links, "page_links")
    app.add_template_global(url_pattern, "url_pattern")
