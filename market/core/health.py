"""/healthz: what a load balancer or a monitor asks each app host, without logging in.

Each check is registered by the package that knows the thing checked (`register_check`): core
checks the database (a trivial SELECT) and the background worker's heartbeat, search checks its
indexes. A check returns what it found, or raises `Unhealthy` with what is wrong; any other
exception is logged here and answered as a bare failure, so that no error text (a database
address, a path, a version) reaches the response. The answer is 503 when a critical check
fails (the database, the worker), 200 otherwise, and is never cached.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import case, func, select, text

from ..extensions import db
from .clock import utcnow
from .models import WorkerHeartbeat

CHECKS_KEY = "market_health_checks"

bp = Blueprint("health", __name__)


class Unhealthy(Exception):
    """A check's finding that something is wrong; `details` are shown in the response."""

    def __init__(self, **details):
        super().__init__(details)
        self.details = details


@dataclass(frozen=True)
class Check:
    """One check: `run()` returns details to show (a dict) or raises."""

    name: str
    run: Callable[[], dict]
    #: a failure makes the answer 503 (a load balancer takes the host out)
    critical: bool
    #: skipped when the database check failed (it would wait for the same database)
    needs_database: bool


def register_check(app, name: str, run: Callable[[], dict], *, critical=True, needs_database=False):
    """Add a check to /healthz, run in the order registered."""
    app.extensions.setdefault(CHECKS_KEY, {})[name] = Check(name, run, critical, needs_database)


def check_database() -> dict:
    """The database answers a trivial query."""
    db.session.execute(text("SELECT 1"))
    return {}


def check_worker() -> dict:
    """Some worker, on any host sharing the database, completed a round lately."""
    stale = current_app.config["HEALTH_WORKER_STALE_SECONDS"]
    now = utcnow()
    # One row per worker process, those gone for a day deleted: a small table read whole.
    latest, recent = db.session.execute(
        select(
            func.max(WorkerHeartbeat.last_seen_dt),
            func.count(case((WorkerHeartbeat.last_seen_dt >= now - timedelta(seconds=stale), 1))),
        )
    ).one()
    if latest is None:
        raise Unhealthy(reason="never seen", stale_after_seconds=stale)
    age = max(int((now - latest).total_seconds()), 0)
    details = {"last_seen_seconds_ago": age, "stale_after_seconds": stale, "workers": recent}
    if age > stale:
        raise Unhealthy(reason="stale", **details)
    return details


def _run(check: Check) -> dict:
    """One check's result: {"status": "ok" | "fail", …details}."""
    try:
        return {"status": "ok", **check.run()}
    except Unhealthy as finding:
        return {"status": "fail", **finding.details}
    except Exception:
        # The error's text may name hosts, users or paths: it goes to the log only.
        current_app.logger.warning("health check %s failed", check.name, exc_info=True)
        if check.name == "database" or check.needs_database:
            db.session.rollback()
        return {"status": "fail"}


@bp.get("/healthz")
def healthz():
    """Every check's result as JSON: 200 when no critical check failed, 503 otherwise."""
    results, failing, critical = {}, [], False
    for check in current_app.extensions.get(CHECKS_KEY, {}).values():
        if check.needs_database and "database" in failing:
            results[check.name] = {"status": "skipped"}
            continue
        results[check.name] = _run(check)
        if results[check.name]["status"] == "fail":
            failing.append(check.name)
            critical = critical or check.critical
    status = "fail" if critical else "degraded" if failing else "ok"
    body = {"status": status, "checks": results}
    if failing:
        body["failing"] = failing
    response = jsonify(body)
    response.status_code = 503 if critical else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def register_health(app) -> None:
    """The /healthz endpoint and core's own checks (database, worker)."""
    app.register_blueprint(bp)
    register_check(app, "database", check_database)
    register_check(app, "worker", check_worker, needs_database=True)
