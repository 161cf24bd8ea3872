"""Every response carries the site's security headers; cookies stay on this site."""

import pytest

from market import create_app


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
