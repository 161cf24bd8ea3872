"""Jinja filters and globals shared by every template."""

from urllib.parse import urlencode

from flask import request

from .clock import local_today, to_local, utcnow
from .money import format_bp, format_fen


def local_dt(value, fmt="%Y-%m-%d %H:%M"):
    if value is None:
        return "—"
    return to_local(value).strftime(fmt)


def url_with_page(page):
    """The current URL with `page` replaced, every other query argument kept as it was."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return f"{request.path}?{urlencode([*args, ('page', page)])}"


def register_templating(app):
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(format_fen, "yuan")
    app.add_template_filter(format_bp, "rate")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(local_today, "local_today")
    app.add_template_global(url_with_page, "url_with_page")
