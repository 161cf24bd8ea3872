"""Session-scoped app and schema, per-test rollback, a frozen clock, factories, auth helper,
and a real Redis server for the tests that need one."""

import ipaddress
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import g, template_rendered
from flask_migrate import upgrade
from sqlalchemy import text

from market import create_app
from market.catalogue.services import load_items, seed_rows
from market.core import clock, limits, pagecache
from market.core.audit import append_pending
from market.core.failures import SEEN_KEY
from market.extensions import db as _db

from . import factories

#: Tuesday 2026-11-24 10:00 in Shanghai: every test starts here unless it moves the clock.
FROZEN_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests create many users
    "MAIL_BACKEND": "memory",
    "LIVE_FIGURES_SECONDS": 0,  # counted afresh: tests read them right after changing data
    # Statistics counted afresh too: ids repeat across tests (each rolled back), so a version
    # of the data seen in one test may come again with other rows in the next; the tests of
    # the cache itself switch it on (tests/statistics/test_cache.py).
    "STATISTICS_CACHE_ENTRIES": 0,
    # Tests move the clock by days and months while signed in; tests/accounts/test_sessions.py
    # puts back the real lifetimes.
    "LOGIN_SESSION_HOURS": 24 * 3650,
    # Tests set the clock to a deadline and expect the bidding closed there;
    # tests/procurement/test_arrival.py puts back the real grace.
    "QUOTE_GRACE_SECONDS": 0,
    "REMEMBER_COOKIE_DURATION": timedelta(days=3650),
}


def database_url(tmp_path_factory):
    url = os.environ.get("MARKET_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_schema():
    """Empty the database and build it with the real migrations."""
    _db.drop_all()
    with _db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


#: connections a test tried to open to anything but this machine (the suite never touches the
#: network: Stripe is a local stand-in, mail is kept in memory)
OUTSIDE_CONNECTIONS = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _checked(connect):
    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            OUTSIDE_CONNECTIONS.append(address)
            raise ConnectionRefusedError(f"tests may not connect outside this machine: {address}")
        return connect(sock, address)

    return guarded


@pytest.fixture(scope="session", autouse=True)
def _loopback_only():
    """Any connection to a non-loopback address is refused, and fails the test that tried it
    (even if the code under test swallowed the error)."""
    socket.socket.connect = _checked(_real_connect)
    socket.socket.connect_ex = _checked(_real_connect_ex)
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True)
def _no_outside_connection():
    OUTSIDE_CONNECTIONS.clear()
    yield
    assert not OUTSIDE_CONNECTIONS, f"the test connected outside: {OUTSIDE_CONNECTIONS}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("search")),
        }
    )

    @app.before_request
    def _forget_cached_login():
        # Tests keep one app context open, so g outlives a request: drop what Flask-Login and
        # Flask-WTF keep there for one request (the user; the form token of its session).
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    with app.app_context():
        reset_schema()
        load_catalogue()
        _db.session.commit()
        yield app
        _db.session.remove()
        _db.engine.dispose()  # close pooled connections (psycopg warns about unclosed ones)


@pytest.fixture(autouse=True)
def rate_limits(app):
    """The abuse limits, off unless a test asks for this fixture's limiter and switches it on
    (`rate_limits.enabled = True`); counts start from zero in every test."""
    limiter = limits.limiter(app)
    limiter.reset()
    limiter.enabled = False
    yield limiter
    limiter.enabled = False


def commit_in_test():
    """What a commit does, inside the test's transaction that is rolled back at its end:
    append the audit events recorded (core.audit appends them as a transaction commits),
    then flush."""
    append_pending()
    _db.session.flush()


@pytest.fixture(autouse=True)
def db(app, monkeypatch):
    """Each test runs in one transaction that is rolled back: commits only flush."""
    monkeypatch.setattr(_db.session, "commit", commit_in_test)
    monkeypatch.setattr(_db.session, "remove", lambda: None)
    yield _db
    _db.session.rollback()
    _db.session.expunge_all()


@pytest.fixture(autouse=True)
def _own_arrival_journal(app, tmp_path, monkeypatch):
    """Each test its own quote arrival journal: ids start again with every test's rollback,
    and one test's unanswered arrival must not lend its time to another's quote."""
    monkeypatch.setitem(app.config, "ARRIVAL_JOURNAL_FOLDER", str(tmp_path / "arrivals"))


@pytest.fixture(autouse=True)
def _own_opendata_folder(app, tmp_path, monkeypatch):
    """Each test its own folder of bulk download files (written by the worker's round)."""
    monkeypatch.setitem(app.config, "OPENDATA_FOLDER", str(tmp_path / "opendata"))


@pytest.fixture(autouse=True)
def _no_listener_failure(app, request):
    """A failing listener is recorded and left undone, never raised (core.listeners): so that
    no test passes over one, a test fails if any was recorded, unless it asks for
    `listener_failures` (the failures it expects)."""
    seen = app.extensions.setdefault(SEEN_KEY, [])
    seen.clear()
    yield
    if "listener_failures" not in request.fixturenames:
        assert not seen, [f"{f.event} {f.listener}: {f.message}" for f in seen]


@pytest.fixture(autouse=True)
def _no_kept_pages(app):
    """Every test starts with no public page kept (core.pagecache): ids repeat across tests,
    whose transactions are rolled back."""
    with app.test_request_context():
        pagecache.clear()


@pytest.fixture
def kept_page(client, app, monkeypatch):
    """The public page a visitor not signed in gets now (kept or not: core.pagecache),
    checked against the same page rendered afresh."""

    def get(path):
        kept = client.get(path).get_data(as_text=True)
        monkeypatch.setitem(app.config, "PUBLIC_PAGE_SECONDS", 0)
        fresh = client.get(path).get_data(as_text=True)
        monkeypatch.setitem(app.config, "PUBLIC_PAGE_SECONDS", 60)
        assert kept == fresh, f"the kept page of {path} differs from what it shows now"
        return kept

    return get


@pytest.fixture
def templates_rendered(app):
    """`with templates_rendered() as names:` lists the templates rendered inside the block
    (a kept page renders none)."""

    @contextmanager
    def watch():
        names = []

        def record(sender, template, context, **extra):
            names.append(template.name)

        template_rendered.connect(record, app)
        try:
            yield names
        finally:
            template_rendered.disconnect(record, app)

    return watch


@pytest.fixture
def listener_failures(app):
    """The listener failures this test records (it expects some)."""
    return app.extensions.setdefault(SEEN_KEY, [])


#: the day the shipped catalogue took effect in every test's database
CATALOGUE_LOADED = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def load_catalogue():
    """The shipped list, in force since CATALOGUE_LOADED (before any day a test freezes)."""
    with clock.travel(CATALOGUE_LOADED):
        load_items(seed_rows())


class FrozenClock:
    def __init__(self, moment):
        self.set(moment)

    @property
    def now(self):
        return clock.utcnow()

    def set(self, moment):
        clock.freeze(moment)

    def advance(self, **kwargs):
        clock.freeze(clock.utcnow() + timedelta(**kwargs))


@pytest.fixture(autouse=True)
def frozen_clock():
    yield FrozenClock(FROZEN_NOW)
    clock.freeze(None)


@pytest.fixture
def committed(app, db, monkeypatch):
    """Real commits for this test (threads cannot see a rolled-back transaction), and a
    freshly built database afterwards so that no other test sees what was committed."""
    monkeypatch.delattr(_db.session, "commit")
    monkeypatch.delattr(_db.session, "remove")
    yield
    _db.session.rollback()
    _db.session.close()
    reset_schema()
    load_catalogue()
    _db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=factories.PASSWORD):
        response = self.client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make():
    return factories


def install_command(*packages: str) -> str:
    """The command installing Debian packages a skipped test needs (scripts/system-packages.sh
    runs it when it may)."""
    return f"sudo apt-get install -y --no-install-recommends {' '.join(packages)}"


def _free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port for the session, keeping nothing on disk;
    yields its URL (redis://127.0.0.1:PORT/0). Skipped where redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(f"redis-server not found; install it with: {install_command('redis-server')}")
    folder = tmp_path_factory.mktemp("redis")
    for _ in range(5):  # another process may take the port between the probe and the start
        port = _free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],  # nothing written to disk
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _answers_ping(port, server):
            break
        server.kill()
        server.wait()
    else:
        pytest.fail("redis-server did not start on a free loopback port")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answers_ping(port: int, server: subprocess.Popen, timeout: float = 10.0) -> bool:
    """Whether the server started on `port` answers PING before `timeout` (and did not exit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False
