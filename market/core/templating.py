"""Jinja filters and globals shared by every template."""

from flask import request, url_for

from .clock import to_local, utcnow
from .money import format_fen


def local_dt(value, fmt="%Y-%m-%d %H:%M"):
    if value is None:
        return "—"
    return to_local(value).strftime(fmt)


def url_with_page(page):
    args = dict(request.args)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register_templating(app):
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(format_fen, "yuan")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(url_with_page, "url_with_page")
