"""A live server on its own file database, real clock, real commits and CSRF, and Chromium.

The rollback fixtures in tests/conftest.py do not fit here: the server thread opens its own
database connection and only sees committed rows. So `db` and `frozen_clock` are replaced by
no-ops and the app under test is built from scratch on a temporary SQLite file.
"""

import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from market import create_app
from market.catalogue.services import load_items, seed_rows
from market.core import clock
from market.extensions import db as _db

from .. import factories
from ..conftest import install_command

CHROMIUM = "/usr/bin/chromium"
BROWSER_PACKAGES = ("chromium", "fonts-wqy-microhei")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def _chromium():
    """Skip, before any app is built, where Chromium is missing (scripts/system-packages.sh)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; install it with: {install_command(*BROWSER_PACKAGES)}")


@pytest.fixture(autouse=True)
def db():
    """No per-test rollback: the live server needs real commits."""
    yield None


@pytest.fixture(autouse=True)
def frozen_clock():
    """The server runs on the real clock."""
    clock.freeze(None)
    yield None


@pytest.fixture
def browser_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "WTF_CSRF_ENABLED": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite3'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        }
    )
    with app.app_context():
        upgrade()
        load_items(seed_rows())
        _db.session.commit()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def purchaser_user(browser_app):
    """A registered purchaser, committed: (email, password)."""
    with browser_app.app_context():
        user = factories.purchaser()
        _db.session.commit()
        email = user.email
        _db.session.remove()
    return email, factories.PASSWORD


@pytest.fixture
def live_server(browser_app):
    """The app served over HTTP from a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            yield page
            context.close()
        finally:
            browser.close()


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
