"""The background worker: the work no request does. Each domain registers its periodic tasks
(`register_task` in its init_app): deadlines, reminders, expiries, the mail and search
outboxes. `flask market worker` runs them in a loop; `--once` runs each until it has nothing
left, then exits (a cron job, a test, a benchmark).

Several workers may run at once, on one host or several: on PostgreSQL each task runs under
an advisory lock, so one worker at a time does a given task (the others skip it that turn),
and the outboxes are claimed row by row with SKIP LOCKED besides. SQLite serialises writers
itself (one host only).
"""

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db

TASKS_KEY = "market_worker_tasks"


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
    return done


def run_forever(app=None, stop: Callable[[], bool] = lambda: False, tick: float = 0.1) -> None:
    """Run each task every `task.every` seconds (at once again while it finds work) until
    `stop()` says so."""
    next_at = dict.fromkeys((t.name for t in tasks(app)), 0.0)
    while not stop():
        now = time.monotonic()
        for task in tasks(app):
            if now >= next_at.get(task.name, 0.0):
                busy = run_task(task)
                # More may be waiting: come back at once rather than after the interval.
                next_at[task.name] = time.monotonic() + (0 if busy else task.every)
        wait = min(next_at.values(), default=time.monotonic() + tick) - time.monotonic()
        time.sleep(min(max(wait, 0.0), tick))
