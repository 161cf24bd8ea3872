"""The background worker: every domain's periodic work, run in rounds; several workers at
once share it (on PostgreSQL one worker at a time per task)."""

import os
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from market.core import worker
from market.core.mail import outbox
from market.core.models import OutgoingMail, WorkerHeartbeat
from market.extensions import db as _db
from market.search.models import SearchOutbox

from ..conftest import FROZEN_NOW


def test_each_domain_registers_its_work_with_how_often_it_runs(app):
    every = {task.name: task.every for task in worker.tasks(app)}
    assert every == {
        "mail": 1,
        "login-sessions": 3600,
        "arrival-journal": 3600,
        "search": 0.5,
        "deadlines": 2,
        "reminders": 60,
        "qualifications": 60,
        "held-uploads": 3600,
        "credit-expiries": 60,
        "credit-nightly": 300,
        "payments": 60,
        "payments-reconcile": 3600,
        "catalogue": 60,
        "opendata-bulk": 300,
        "alerts": 60,
    }


def test_one_pass_applies_every_overdue_deadline(app, make, frozen_clock):
    notices = [make.notice() for _ in range(3)]
    make.bid(make.agency(), notices[0])
    frozen_clock.set(max(n.deadline_dt for n in notices) + timedelta(minutes=1))
    done = worker.run_once(app)
    assert done["deadlines"] == 3
    assert [n.state for n in notices] == ["bidding_closed", "failed", "failed"]
    assert worker.run_once(app)["deadlines"] == 0  # nothing left


def test_the_cli_runs_one_pass_and_says_what_each_task_did(app, make, frozen_clock):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["market", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "deadlines 1" in result.output and notice.state == "failed"


def test_the_loop_runs_every_task_until_told_to_stop(app, monkeypatch):
    rounds = []
    monkeypatch.setattr(worker, "run_task", lambda task: rounds.append(task.name) or 0)
    worker.run_forever(app, stop=lambda: len(rounds) >= 7)
    assert sorted(rounds) == sorted(task.name for task in worker.tasks(app))


def _heartbeats(db):
    """Every worker heartbeat row, as (hostname, pid, last seen)."""
    rows = db.session.scalars(db.select(WorkerHeartbeat))
    return [(row.hostname, row.pid, row.last_seen_dt) for row in rows]


def test_the_loop_records_a_heartbeat_at_most_every_few_seconds(app, db, monkeypatch):
    db.session.execute(db.delete(WorkerHeartbeat))
    monkeypatch.setattr(worker, "run_task", lambda task: 0)
    beats, loops = [], []
    real = worker.record_heartbeat
    monkeypatch.setattr(worker, "record_heartbeat", lambda: beats.append(1) or real())
    worker.run_forever(app, stop=lambda: loops.append(1) or len(loops) > 5, tick=0.01)
    assert len(beats) == 1  # five rounds well within WORKER_HEARTBEAT_SECONDS
    assert _heartbeats(db) == [(socket.gethostname(), os.getpid(), FROZEN_NOW)]


def test_a_heartbeat_updates_its_row_and_forgets_workers_gone_for_a_day(app, db, frozen_clock):
    db.session.execute(db.delete(WorkerHeartbeat))
    now = frozen_clock.now
    db.session.add_all(
        [
            WorkerHeartbeat(
                hostname="gone", pid=1, last_seen_dt=now - timedelta(days=1, seconds=1)
            ),
            WorkerHeartbeat(hostname="stopped", pid=2, last_seen_dt=now - timedelta(hours=23)),
        ]
    )
    worker.run_once(app)  # a cron job's `worker --once` is a worker seen too
    frozen_clock.advance(seconds=30)
    worker.record_heartbeat()
    assert set(_heartbeats(db)) == {
        (socket.gethostname(), os.getpid(), now + timedelta(seconds=30)),
        ("stopped", 2, now - timedelta(hours=23)),
    }


def test_a_failed_heartbeat_never_stops_the_worker(app, db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        """The database is gone for a moment."""
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "get", broken)
    worker.record_heartbeat()
    assert "worker heartbeat not recorded" in caplog.text


def test_a_request_neither_sends_mail_nor_indexes(app, make, db):
    """What a request changes waits in the outboxes for the worker (the test transaction
    stands for the commit)."""
    notice = make.notice(publish=False)
    make.agency(items=("ZJ012",))
    db.session.execute(SearchOutbox.__table__.delete())
    outbox().clear()
    client = app.test_client()
    client.post("/login", data={"email": notice.created_by.email, "password": make.PASSWORD})
    assert client.post(f"/notices/{notice.id}/publish").status_code == 302
    assert outbox() == []
    unsent = db.session.scalars(db.select(OutgoingMail).where(OutgoingMail.sent_dt.is_(None)))
    assert [m.subject for m in unsent] == [f"【网上中介超市】新的匹配公告：{notice.title}"]
    assert db.session.scalar(db.select(db.func.count(SearchOutbox.id))) == 1


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""),
    reason="advisory locks and concurrent connections need PostgreSQL (scripts/with-postgres.sh)",
)
def test_two_workers_never_run_the_same_task_at_once(app, committed):
    started, may_finish = threading.Event(), threading.Event()
    runs = []

    def slow():
        runs.append(threading.current_thread().name)
        started.set()
        assert may_finish.wait(30)
        return 1

    task = worker.Task("test-slow", slow, 1)
    result = {}

    def first():
        with app.app_context():
            result["first"] = worker.run_task(task)

    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert started.wait(30)
    # The second worker finds the task taken and skips it this round, without waiting.
    assert worker.run_task(task) == 0 and runs == ["first"]
    may_finish.set()
    thread.join(30)
    assert result["first"] == 1
    assert worker.run_task(task) == 1 and runs == ["first", "MainThread"]  # free again
    _db.session.remove()
