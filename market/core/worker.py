"""The background worker: the work no request does. Each domain registers its periodic tasks
(`register_task` in its init_app): deadlines, reminders, expiries, the mail and search
outboxes. `flask market worker` runs them in a loop; `--once` runs each until it has nothing
left, then exits (a cron job, a test, a benchmark).

Several workers may run at once, on one host or several: on PostgreSQL each task runs under
an advisory lock, so one worker at a time does a given task (the others skip it that turn),
and the outboxes are claimed row by row with SKIP LOCKED besides. SQLite serialises writers
itself (one host only).

Each worker process records when it last completed a round (`record_heartbeat`: one row per
host and process id, at most every WORKER_HEARTBEAT_SECONDS): /healthz says whether any worker
has been seen lately.
"""

import os
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from .clock import utcnow
from .models import WorkerHeartbeat

TASKS_KEY = "market_worker_tasks"
#: heartbeats of workers not seen for this long are deleted when a new process first writes one
FORGET_HEARTBEATS_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Task:
    """One kind of background work: `run()` does a bounded round of it, commits what it did
    and returns how much it did (0: nothing was waiting, or only work that failed and waits
    for a later round)."""

    name: str
    run: Callable[[], int]
    #: seconds between two rounds (the longest a change waits for this work)
    every: float


def register_task(app, name: str, run: Callable[[], int], every: float) -> Task:
    task = Task(name, run, every)
    app.extensions.setdefault(TASKS_KEY, {})[name] = task
    return task


def tasks(app=None) -> list[Task]:
    app = app or current_app
    return list(app.extensions.get(TASKS_KEY, {}).values())


def _lock_key(name: str) -> int:
    # A stable 32-bit key per task (PostgreSQL advisory locks take a bigint).
    return zlib.crc32(f"market-worker:{name}".encode())


def run_task(task: Task) -> int:
    """One round of `task`, unless another worker holds it (PostgreSQL); returns its count.
    A failing round is logged and rolled back: the next round tries again."""
    lock = None
    try:
        if db.engine.dialect.name == "postgresql":
            lock = db.engine.connect()
            if not lock.scalar(select(func.pg_try_advisory_lock(_lock_key(task.name)))):
                return 0
        return task.run() or 0
    except Exception:
        db.session.rollback()
        current_app.logger.exception("worker task %s failed; retrying next round", task.name)
        return 0
    finally:
        if lock is not None:
            lock.scalar(select(func.pg_advisory_unlock(_lock_key(task.name))))
            lock.close()
        db.session.remove()


def record_heartbeat() -> None:
    """Record that this process (host, pid) completed a round now. A failure is logged and
    never stops the worker: the next heartbeat tries again."""
    key = (socket.gethostname()[:255], os.getpid())
    now = utcnow()
    try:
        row = db.session.get(WorkerHeartbeat, key)
        if row is None:
            # A process's first heartbeat: rows of workers long gone are dropped, so the table
            # (read whole by /healthz) holds about as many rows as processes running.
            db.session.execute(
                delete(WorkerHeartbeat).where(
                    WorkerHeartbeat.last_seen_dt < now - FORGET_HEARTBEATS_AFTER
                )
            )
            row = WorkerHeartbeat(hostname=key[0], pid=key[1], last_seen_dt=now)
            db.session.add(row)
        row.last_seen_dt = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("worker heartbeat not recorded; retrying next round")
    finally:
        db.session.remove()


def run_once(app=None, max_rounds: int = 1000) -> dict[str, int]:
    """Run every task until it reports nothing left to do; returns what each did."""
    done = {}
    for task in tasks(app):
        total = 0
        for _ in range(max_rounds):
            count = run_task(task)
            total += count
            if not count:
                break
        done[task.name] = total
    # A cron job running `worker --once` counts as a worker seen (/healthz).
    record_heartbeat()
    return done


def run_forever(app=None, stop: Callable[[], bool] = lambda: False, tick: float = 0.1) -> None:
    """Run each task every `task.every` seconds (at once again while it finds work) until
    `stop()` says so; a heartbeat after a round, at most every WORKER_HEARTBEAT_SECONDS."""
    beat_every = (app or current_app).config["WORKER_HEARTBEAT_SECONDS"]
    next_at = dict.fromkeys((t.name for t in tasks(app)), 0.0)
    next_beat = 0.0
    while not stop():
        now = time.monotonic()
        for task in tasks(app):
            if now >= next_at.get(task.name, 0.0):
                busy = run_task(task)
                # More may be waiting: come back at once rather than after the interval.
                next_at[task.name] = time.monotonic() + (0 if busy else task.every)
        if time.monotonic() >= next_beat:
            record_heartbeat()
            next_beat = time.monotonic() + beat_every
        wait = min(next_at.values(), default=time.monotonic() + tick) - time.monotonic()
        time.sleep(min(max(wait, 0.0), tick))
