"""/healthz answers load balancers and monitors without a login: the database, the search
indexes and the worker's heartbeat, as JSON; 503 naming the failing check when the database is
unreachable or no worker has been seen lately; never cached, never an error's text."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from market.core.clock import utcnow
from market.core.models import WorkerHeartbeat
from market.search import engine


@pytest.fixture
def heartbeats(db):
    """No worker seen yet; `seen(seconds)` records one last seen that long before now."""
    db.session.execute(delete(WorkerHeartbeat))

    def seen(seconds, hostname="worker-1", pid=4242):
        """A worker process last seen `seconds` ago."""
        row = WorkerHeartbeat(
            hostname=hostname,
            pid=pid,
            last_seen_dt=utcnow() - timedelta(seconds=seconds),
        )
        db.session.add(row)
        db.session.flush()
        return row

    return seen


def test_all_good_is_200_with_every_check(client, heartbeats):
    heartbeats(30)
    heartbeats(500, hostname="worker-2")  # stopped since: not counted among those running
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok" and "failing" not in body
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["worker"] == {
        "status": "ok",
        "last_seen_seconds_ago": 30,
        "stale_after_seconds": 120,
        "workers": 1,
    }
    search = body["checks"]["search"]
    assert search["status"] == "ok"
    assert set(search["documents"]) == {"agencies", "notices", "items"}
    assert all(isinstance(n, int) for n in search["documents"].values())


def test_a_worker_not_seen_for_longer_than_the_limit_is_503(app, client, heartbeats, monkeypatch):
    heartbeats(121)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail" and body["failing"] == ["worker"]
    assert body["checks"]["worker"] == {
        "status": "fail",
        "reason": "stale",
        "last_seen_seconds_ago": 121,
        "stale_after_seconds": 120,
        "workers": 0,
    }
    assert body["checks"]["database"]["status"] == "ok"

    monkeypatch.setitem(app.config, "HEALTH_WORKER_STALE_SECONDS", 300)
    assert client.get("/healthz").status_code == 200


def test_the_limit_is_read_on_the_frozen_clock(client, heartbeats, frozen_clock):
    heartbeats(0)
    frozen_clock.advance(seconds=120)
    assert client.get("/healthz").status_code == 200
    frozen_clock.advance(seconds=1)
    assert client.get("/healthz").status_code == 503


def test_a_worker_never_seen_is_503(client, heartbeats):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"] == {
        "status": "fail",
        "reason": "never seen",
        "stale_after_seconds": 120,
    }


def test_an_unreachable_database_is_503_and_its_error_stays_in_the_log(
    client, db, heartbeats, monkeypatch, caplog
):
    heartbeats(5)

    def unreachable(*args, **kwargs):
        """The driver's error, naming the server and the user, as a real one does."""
        raise OperationalError(
            "SELECT 1", {}, Exception('connection to server at "10.0.0.5", user "market" failed')
        )

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/healthz", headers={"X-Request-ID": "lb-probe-1"})
    assert response.status_code == 503  # not a 500 page
    body = response.get_json()
    assert body["status"] == "fail" and body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "fail"}
    # It would wait for the same database: not asked.
    assert body["checks"]["worker"] == {"status": "skipped"}
    assert body["checks"]["search"]["status"] == "ok"
    text = response.get_data(as_text=True)
    assert "10.0.0.5" not in text and "market" not in text and "SELECT" not in text
    [logged] = [r for r in caplog.records if r.getMessage() == "health check database failed"]
    assert logged.levelno == logging.WARNING and "10.0.0.5" in caplog.text
    assert logged.request_id == "lb-probe-1"


def test_an_outdated_index_is_reported_without_taking_the_host_out(client, heartbeats, monkeypatch):
    heartbeats(5)

    def outdated(kind):
        """The index on disk was built by an older version."""
        raise engine.IndexOutdated(kind)

    monkeypatch.setattr(engine, "searcher", outdated)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["failing"] == ["search"]
    assert body["checks"]["search"]["status"] == "fail"
    assert body["checks"]["search"]["outdated"] == ["agencies", "notices", "items"]


def test_no_login_and_nothing_to_reveal(client, heartbeats):
    heartbeats(5)
    response = client.get("/healthz")
    assert response.status_code == 200  # no redirect to the login page
    text = response.get_data(as_text=True)
    for secret in ("test-secret", "sqlite", "/tmp", "python", "flask", "worker-1"):
        assert secret not in text.lower()
    assert response.headers["Server"] == "market"
