"""`flask market monthly-report YYYY-MM`: the month's figures as HTML and PDF, with charts."""

import builtins
import io

import pytest
from pypdf import PdfReader

from ..conftest import install_command
from . import world


def report(app, *args):
    return app.test_cli_runner().invoke(args=["market", "monthly-report", *args])


def test_the_report_is_written_as_html_and_pdf(app, tmp_path):
    try:
        import weasyprint  # noqa: F401
    except OSError:
        pytest.skip(
            "WeasyPrint's libraries are missing; install them with: "
            + install_command("libpango-1.0-0", "libpangoft2-1.0-0")
        )
    world.build()
    result = report(app, "2026-12", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    html_path = tmp_path / "monthly-report-2026-12.html"
    pdf_path = tmp_path / "monthly-report-2026-12.pdf"
    assert str(html_path) in result.output and str(pdf_path) in result.output
    html = html_path.read_text(encoding="utf-8")
    assert "网上中介超市统计月报" in html and "2026年12月" in html
    assert "16.0%" in html  # December's awards: 1 − 210,000 / 250,000
    assert html.count("<svg") == 9  # every chart drawn, the lottery's reasons a table
    assert "monthly-report.css" in html and (tmp_path / "monthly-report.css").exists()
    assert " style=" not in html and "<script" not in html
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pdf_path.read_bytes())).pages
    )
    assert "统计月报" in text and "节支率" in text and "16.0%" in text


def test_by_default_reports_go_under_the_instance_folder(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = report(app, "2026-11")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "monthly-report-2026-11.html").exists()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "月份的月份应在 01 至 12 之间"),
        ("November", "月份格式应为 YYYY-MM（年-月），例如 2026-01"),
        ("1999-12", "月份应在 2000-01 至 2100-12 之间"),
        ("2026-12", "2026-12 尚未开始，不能生成该月的统计月报"),  # the clock: 2026-11-24
    ],
)
def test_a_bad_month_is_refused(app, tmp_path, month, message):
    result = report(app, month, "--output", str(tmp_path))
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_host_without_pdf_libraries_gets_the_html_and_the_reason(app, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    result = report(app, "2026-11", "--output", str(tmp_path))
    assert result.exit_code == 1
    assert "未能生成 PDF" in result.output and "libpango" in result.output
    assert (tmp_path / "monthly-report-2026-11.html").exists()
    assert not (tmp_path / "monthly-report-2026-11.pdf").exists()
