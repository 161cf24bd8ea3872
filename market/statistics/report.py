"""The monthly report (`flask market monthly-report YYYY-MM`): the month's figures, with the
twelve months up to it for the monthly series, as an HTML file and a PDF (WeasyPrint, Chinese
fonts; the charts drawn as SVG on the server, the same series the page's charts draw)."""

import logging
import os
import shutil
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from flask import current_app

from ..core.clock import to_local, utcnow
from . import services
from .filters import FIRST_MONTH, Filters, month_filters
from .svg import chart_svg

# WeasyPrint reports each step of every rendering at INFO: noise in the command's output.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
STYLESHEET = os.path.join(os.path.dirname(__file__), "report.css")
#: the stylesheet's name beside the HTML file
STYLESHEET_NAME = "monthly-report.css"
#: months of history drawn for each monthly series
TREND_MONTHS = 12


class ReportUnavailable(Exception):
    """This host cannot make PDFs (WeasyPrint's system libraries are missing)."""


@dataclass
class Block:
    """A table of the report and its chart (SVG), over the month or the trend."""

    table: object
    svg: object
    trend: bool


@dataclass
class ReportSection:
    title: str
    intro: str
    figures: list
    blocks: list[Block]


@dataclass
class WrittenReport:
    month: str
    html_path: str
    pdf_path: str | None
    #: why there is no PDF (this host lacks WeasyPrint's libraries), if so
    pdf_error: str = ""


def report_sections(month: Filters) -> tuple[list[ReportSection], Filters]:
    """The month's key figures and tables; the monthly series over the twelve months up to
    it (the month alone would be one bar)."""
    trend = Filters(
        max(month.start - relativedelta(months=TREND_MONTHS - 1), FIRST_MONTH), month.end
    )
    of_month = services.statistics(month)
    over_year = services.statistics(trend)
    yearly = over_year.tables
    found = []
    for section in of_month.sections:
        blocks = []
        for table in section.tables:
            monthly = table.category == "month"
            shown = yearly[table.name] if monthly else table
            blocks.append(Block(shown, chart_svg(shown.chart_spec()), monthly))
        found.append(ReportSection(section.title, section.intro, section.figures, blocks))
    return found, trend


def report_html(month: Filters, stylesheet_href: str | None) -> str:
    """The report as one HTML document (its stylesheet linked, or given to WeasyPrint)."""
    found, trend = report_sections(month)
    # Rendered without a request (the command line): no context processor applies.
    template = current_app.jinja_env.get_template("statistics/report.html")
    return template.render(
        month=month,
        trend=trend,
        sections=found,
        home_region=services.home_region(),
        generated=to_local(utcnow()),
        stylesheet_href=stylesheet_href,
    )


def report_pdf(month: Filters) -> bytes:
    """The report as a PDF; ReportUnavailable on a host without WeasyPrint's libraries."""
    try:
        # Loaded on first use: nothing else needs pango, which a bare host may lack.
        from weasyprint import CSS, HTML
    except OSError as err:
        raise ReportUnavailable(str(err)) from err
    html = report_html(month, None)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=STYLESHEET)])


def default_folder() -> str:
    """Where reports are written unless told otherwise: instance/reports."""
    return os.path.join(current_app.instance_path, "reports")


def write_monthly_report(month_text: str, folder: str | None = None) -> WrittenReport:
    """Write the report of `month_text` (YYYY-MM) as HTML and PDF into `folder`; FilterError
    for a month that is not one, out of range or not begun. A host that cannot make PDFs
    gets the HTML and the reason (pdf_error)."""
    month = month_filters(month_text)
    folder = folder or default_folder()
    os.makedirs(folder, exist_ok=True)
    name = f"monthly-report-{month.start:%Y-%m}"
    html_path = os.path.join(folder, f"{name}.html")
    shutil.copyfile(STYLESHEET, os.path.join(folder, STYLESHEET_NAME))
    html = report_html(month, STYLESHEET_NAME)
    with open(html_path, "w", encoding="utf-8") as fh:
        fh.write(html)
    written = WrittenReport(f"{month.start:%Y-%m}", html_path, None)
    try:
        pdf = report_pdf(month)
    except ReportUnavailable as err:
        written.pdf_error = str(err)
        return written
    written.pdf_path = os.path.join(folder, f"{name}.pdf")
    with open(written.pdf_path, "wb") as fh:
        fh.write(pdf)
    return written
