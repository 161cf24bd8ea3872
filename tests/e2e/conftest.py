"""The end-to-end suite: a real server (gunicorn, one process) on a loopback port, its own
database (a SQLite file, or a fresh database on the PostgreSQL server the suite runs against
when MARKET_TEST_DATABASE_URL is set), the real mail outbox written to files, and Chromium
driven by Playwright as people would use it.

The server is built with TESTING_HOOKS (core/testing_hooks.py): the tests move its clock past
deadlines and run a round of the worker's tasks inside it. Data the scenario does not build
through the pages (staff accounts, which no one registers; other agencies) are made once
with the application's own services on the same database.

Screenshots of every page the scenario passes go to tests/e2e/artifacts/ (git-ignored), at
1366 and 375 px.
"""

import email
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from market import create_app
from market.extensions import db as _db

from ..browser.conftest import BROWSER_PACKAGES, CHROMIUM, CHROMIUM_ARGS
from ..conftest import install_command

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
BIN = Path(sys.executable).parent
PASSWORD = "Lijia-Park-2026!"


@pytest.fixture(autouse=True)
def db():
    """No per-test rollback: the server commits."""
    yield None


@pytest.fixture(autouse=True)
def frozen_clock():
    """This process's clock is not the server's (the server's moves through its hook)."""
    yield None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(tmp_path) -> str:
    """A SQLite file, or a new empty database beside the suite's PostgreSQL one."""
    base = os.environ.get("MARKET_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    url = make_url(base)
    name = f"market_e2e_{os.getpid()}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class Server:
    """The running site: its address, its environment (for `flask` commands on the same
    data), and the hooks."""

    def __init__(self, url, env, mail_folder):
        self.url, self.env, self.mail_folder = url, env, mail_folder

    @contextmanager
    def seeding(self):
        """An application context on the server's database and files, for what the scenario
        does not build through the pages; the caller commits."""
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": self.env["MARKET_SECRET_KEY"],
                "SQLALCHEMY_DATABASE_URI": self.env["MARKET_SQLALCHEMY_DATABASE_URI"],
                "SEARCH_INDEX_DIR": self.env["MARKET_SEARCH_INDEX_DIR"],
                "UPLOAD_FOLDER": self.env["MARKET_UPLOAD_FOLDER"],
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            }
        )
        with app.app_context():
            try:
                yield app
            finally:
                _db.session.remove()
                _db.engine.dispose()

    def post(self, path, **fields):
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(self.url + path, data=data, timeout=120) as answer:
            return answer.read().decode()

    def move_clock(self, moment):
        """The server's clock set to `moment` (aware), or the real time with None."""
        self.post("/_testing/clock", to=moment.isoformat() if moment else "")

    def run_worker(self):
        """One round of every worker task in the server (mail, search index, deadlines…)."""
        self.post("/_testing/worker")

    def flask(self, *args) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "market", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise AssertionError(f"flask {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def mails_to(self, address) -> list:
        """The messages sent to `address` so far (the worker writes them as .eml files)."""
        found = []
        for path in sorted(Path(self.mail_folder).glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in message.get("To", ""):
                found.append(message)
        return found

    def link_in_mail(self, address, pattern) -> str:
        """The path of the last link matching `pattern` in a mail to `address`."""
        self.run_worker()
        for message in reversed(self.mails_to(address)):
            body = message.get_body(preferencelist=("plain",)).get_content()
            match = re.search(rf"https?://[^/\s]+({pattern}\S*)", body)
            if match:
                return match[1]
        raise AssertionError(f"no mail to {address} with a link like {pattern}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; install it with: {install_command(*BROWSER_PACKAGES)}")
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_APP": "market",
        "MARKET_TESTING": "true",
        "MARKET_TESTING_HOOKS": "true",
        "MARKET_SECRET_KEY": "e2e-secret",
        "MARKET_SQLALCHEMY_DATABASE_URI": _database(tmp),
        "MARKET_SEARCH_INDEX_DIR": str(tmp / "search"),
        "MARKET_UPLOAD_FOLDER": str(tmp / "uploads"),
        "MARKET_OPENDATA_FOLDER": str(tmp / "opendata"),
        "MARKET_ARRIVAL_JOURNAL_FOLDER": str(tmp / "arrivals"),
        "MARKET_MAIL_BACKEND": "file",
        "MARKET_MAIL_FOLDER": str(tmp / "mail"),
        "MARKET_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MARKET_RATELIMIT_ENABLED": "false",
        "MARKET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MARKET_LOG_LEVEL": "WARNING",
        # quotes count when received; the scenario moves the clock past the deadline at once
        "MARKET_QUOTE_GRACE_SECONDS": "0",
        # the scenario moves the clock by weeks while people stay signed in
        "MARKET_LOGIN_SESSION_HOURS": str(24 * 3650),
    }
    env.pop("MARKET_TEST_DATABASE_URL", None)
    site = Server(f"http://127.0.0.1:{port}", env, tmp / "mail")
    site.flask("db", "upgrade")
    site.flask("market", "load-catalogue")
    site.flask("search", "rebuild")
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "1",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "market:create_app()",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(site.url + "/healthz", process, tmp / "server.log")
        yield site
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        if "MARKET_TEST_DATABASE_URL" in os.environ:
            _drop(env["MARKET_SQLALCHEMY_DATABASE_URI"])
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for(url, process, log_path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped:\n{Path(log_path).read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering (503 until a worker has been seen)
        except OSError:
            time.sleep(0.2)  # not listening yet: waiting for a process to start, not ordering
    raise AssertionError("the server did not start within 60 s")


def _drop(url):
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Person:
    """One person's browser (its own cookies), on the server."""

    def __init__(self, browser, server, name):
        self.server, self.name = server, name
        self.context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}
        )
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.csp_blocked = []
        self.page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.csp_blocked.append(m.text),
        )

    def goto(self, path):
        answer = self.page.goto(self.server.url + path)
        assert answer.status < 400, f"{path}: {answer.status}"
        return self.page

    def login(self, address, password=PASSWORD):
        from playwright.sync_api import expect

        self.goto("/login")
        self.page.fill("#email", address)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("button", name="退出")).to_be_visible()
        return self

    def shoot(self, name):
        """Screenshots of the page at 1366 and 375 px; asserts it does not scroll sideways
        on the phone."""
        ARTIFACTS.mkdir(exist_ok=True)
        page = self.page
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 800})
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}-375.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{name} scrolls sideways at 375 px ({width} px)"
        finally:
            page.set_viewport_size({"width": 1366, "height": 900})

    def close(self):
        assert self.csp_blocked == [], self.csp_blocked
        self.context.close()


@pytest.fixture(scope="module")
def people(browser, server):
    """people("name") → that person's browser, made once per module."""
    made = {}

    def person(name):
        if name not in made:
            made[name] = Person(browser, server, name)
        return made[name]

    yield person
    for one in made.values():
        one.close()
