"""Every request has an id (a sane incoming X-Request-ID, or a new one) that is sent back, carried
by each log record of the request and shown on the 500 page; one access line per request; JSON
lines with no query string, token, body or cookie in them."""

import io
import json
import logging
import re
from datetime import datetime

import pytest

from market import create_app
from market.core import logs

GENERATED = re.compile(r"[0-9a-f]{32}")


def _access(caplog):
    """The access lines captured so far."""
    return [r for r in caplog.records if r.name == "market.access"]


def test_an_incoming_request_id_comes_back(client):
    response = client.get("/", headers={"X-Request-ID": "lb-0a1B.2_c-3"})
    assert response.headers["X-Request-ID"] == "lb-0a1B.2_c-3"


def test_without_one_each_request_gets_a_new_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


@pytest.mark.parametrize(
    "incoming", ["", "a" * 65, "two words", "id;rm -rf", "<script>", "编号-1", "a/b", "x%00"]
)
def test_an_insane_incoming_id_is_replaced(client, incoming):
    returned = client.get("/", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert GENERATED.fullmatch(returned)


def test_the_longest_sane_id_is_kept(client):
    sane = "A" * 64
    assert client.get("/", headers={"X-Request-ID": sane}).headers["X-Request-ID"] == sane


def test_one_access_line_per_request_carrying_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="market.access")
    client.get("/notices/", headers={"X-Request-ID": "trace-1"})
    client.get("/no-such-page", headers={"X-Request-ID": "trace-2"})
    first, second = _access(caplog)
    assert first.levelno == logging.INFO
    assert (first.request_id, first.method, first.path, first.status) == (
        "trace-1",
        "GET",
        "/notices/",
        200,
    )
    assert (second.request_id, second.path, second.status) == ("trace-2", "/no-such-page", 404)
    assert isinstance(first.duration_ms, float) and first.duration_ms >= 0
    assert first.getMessage() == "GET /notices/ 200"


def test_a_log_record_outside_a_request_has_no_id(caplog):
    logging.getLogger("market.probe").warning("no request here")
    [record] = caplog.records
    assert record.request_id is None


def test_neither_query_strings_nor_tokens_in_paths_are_logged(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/notices/?q=x&token=s3cr3t-query")
    client.get("/invite/s3cr3t-path-token")
    notices, invite = _access(caplog)
    assert notices.path == "/notices/" and invite.path == "/invite/<token>"
    assert "s3cr3t" not in caplog.text


@pytest.fixture
def probe_app(tmp_path):
    """An app outside the test settings (errors render as pages), whose views log."""
    app = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
            "LOG_JSON": False,
            "WTF_CSRF_ENABLED": False,
        }
    )

    @app.route("/said")
    def said():
        """A view that logs, as any service may."""
        logging.getLogger("market.probe").warning("something to say")
        return "ok"

    @app.route("/boom", methods=["GET", "POST"])
    def boom():
        """A view that fails."""
        raise RuntimeError("boom")

    return app


def test_a_record_logged_during_a_request_carries_its_id(probe_app, caplog):
    response = probe_app.test_client().get("/said", headers={"X-Request-ID": "said-1"})
    [record] = [r for r in caplog.records if r.name == "market.probe"]
    assert record.request_id == "said-1" == response.headers["X-Request-ID"]


def test_an_unhandled_error_is_logged_with_the_id_the_page_shows(probe_app, caplog):
    response = probe_app.test_client().get("/boom?password=hunter2")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == request_id and record.exc_info[0] is RuntimeError
    assert record.getMessage() == "Exception on /boom [GET]"
    assert request_id in response.get_data(as_text=True)
    assert "hunter2" not in caplog.text


@pytest.fixture
def json_lines(probe_app):
    """Logging set up as outside tests, into a buffer; the loggers restored afterwards."""
    root, flask_logger = logging.getLogger(), probe_app.logger
    saved = (root.level, list(root.handlers), list(flask_logger.handlers))
    buffer = io.StringIO()
    logs.configure_logging(probe_app, logging.StreamHandler(buffer))
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        flask_logger.handlers[:] = saved[2]


def test_json_lines_with_the_request_id_and_the_access_fields(probe_app, json_lines):
    client = probe_app.test_client()
    client.get("/said", headers={"X-Request-ID": "json-1", "Cookie": "session=c00kie"})
    client.post("/boom?token=t0ken", data={"password": "hunter2"})
    said, access, error, failed = json_lines()
    assert said == {
        "timestamp": said["timestamp"],
        "level": "WARNING",
        "logger": "market.probe",
        "message": "something to say",
        "request_id": "json-1",
    }
    assert said["timestamp"].endswith("Z")
    assert datetime.fromisoformat(said["timestamp"]).utcoffset().total_seconds() == 0
    assert access["logger"] == "market.access" and access["level"] == "INFO"
    assert {k: access[k] for k in ("request_id", "method", "path", "status")} == {
        "request_id": "json-1",
        "method": "GET",
        "path": "/said",
        "status": 200,
    }
    assert isinstance(access["duration_ms"], float)
    assert error["level"] == "ERROR" and "RuntimeError: boom" in error["exception"]
    assert error["request_id"] == failed["request_id"] and failed["status"] == 500
    assert failed["method"] == "POST" and failed["path"] == "/boom"
    everything = json.dumps(json_lines())
    for secret in ("c00kie", "t0ken", "hunter2"):
        assert secret not in everything


def test_json_lines_are_not_set_up_for_tests_unless_asked(app):
    assert app.testing
    assert not any(getattr(h, "market_json", False) for h in logging.getLogger().handlers)
