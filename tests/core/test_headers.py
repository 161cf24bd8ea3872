"""Every response carries the site's security headers; cookies stay on this site."""

import re
from pathlib import Path

import pytest

from market import create_app

TEMPLATES = Path(__file__).parents[2] / "templates"


@pytest.mark.parametrize("path", ["/", "/notices/", "/no-such-page", "/login"])
def test_every_page_refuses_framing_and_sniffing(client, path):
    headers = client.get(path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Server"] == "market"  # not Werkzeug's and Python's versions
    assert "Strict-Transport-Security" not in headers  # served over plain HTTP here


def test_the_session_cookie_stays_on_this_site(client, auth, make):
    response = auth.login(make.purchaser())
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back


def test_over_https_cookies_are_secure_and_hsts_is_sent(app, tmp_path):
    https = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING")},
            "PREFERRED_URL_SCHEME": "https",
        }
    )
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    headers = https.test_client().get("/no-such-page", base_url="https://localhost").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_policy_runs_only_the_sites_own_scripts_and_styles(client):
    policy = dict(
        part.strip().split(" ", 1)
        for part in client.get("/").headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)


INLINE = re.compile(
    r"""\sstyle\s*=|<style|\son[a-z]+\s*=|javascript:|<script(?![^>]*\ssrc=)""", re.I
)


def test_no_template_carries_an_inline_style_script_or_handler():
    # The policy would silently drop them: whatever a page needs comes from static files.
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize("path", ["/", "/notices/", "/agencies/", "/credit/", "/login"])
def test_pages_as_served_carry_no_inline_style_or_script(client, auth, make, path):
    auth.login(make.purchaser())
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert INLINE.findall(page) == []
