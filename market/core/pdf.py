"""Documents as PDF: a template rendered to HTML and printed by WeasyPrint with the Chinese
fonts the host has (WenQuanYi or Noto CJK, installed by scripts/system-packages.sh)."""

import logging
import os

from flask import current_app

# WeasyPrint reports each step of every rendering at INFO: noise in the site's logs.
logging.getLogger("weasyprint").setLevel(logging.WARNING)


#: the rules every document shares, before its own stylesheet
BASE_STYLESHEET = os.path.join(os.path.dirname(__file__), "document.css")


class PdfUnavailable(Exception):
    """This host cannot make PDFs (WeasyPrint's system libraries are missing)."""


def render_pdf(template: str, stylesheet: str, **context) -> bytes:
    """`template` rendered with `context`, printed to PDF with the shared rules and the CSS
    file `stylesheet`."""
    try:
        # Loaded on first use: nothing else needs pango, which a bare host may lack.
        from weasyprint import CSS, HTML
    except OSError as err:
        raise PdfUnavailable(str(err)) from err
    # The template alone, without the pages' context processors (the signed-in user, the
    # header's counts): a document is the same whoever prints it, and the worker or a
    # command may print one outside any request.
    html = current_app.jinja_env.get_template(template).render(**context)
    sheets = [CSS(filename=BASE_STYLESHEET), CSS(filename=stylesheet)]
    return HTML(string=html).write_pdf(stylesheets=sheets)
