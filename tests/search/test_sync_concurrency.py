"""Two workers draining the outbox at once, on PostgreSQL with real commits (as two gunicorn
workers would after their requests): each row is claimed by one of them (SELECT … FOR UPDATE
SKIP LOCKED), every change reaches the index once, and nothing is left behind."""

import os
import threading

import pytest
from sqlalchemy import func, select

from market.extensions import db as _db
from market.search import engine, sync
from market.search.models import SearchOutbox

from .test_engine import agency

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""),
    reason="row locks and concurrent connections need PostgreSQL (scripts/with-postgres.sh)",
)
PATIENCE = 30


class Worker(threading.Thread):
    """One worker's `drain(limit)` in its own thread, session and connection."""

    def __init__(self, app, limit):
        super().__init__(daemon=True)
        self.app, self.limit = app, limit
        self.handled = self.error = None

    def run(self):
        with self.app.app_context():
            try:
                self.handled = sync.drain(self.limit)
            except Exception as err:  # handed to the test, which asserts on it
                self.error = err
            finally:
                _db.session.close()


def test_two_workers_share_the_outbox_without_losing_or_repeating(
    app, make, committed, monkeypatch
):
    users = [agency(make, f"重庆{'甲乙丙丁'[n]}环境科技有限公司") for n in range(4)]
    _db.session.commit()
    assert _db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 4
    first_claimed, first_may_go = threading.Event(), threading.Event()
    written = []
    real_write_many = engine.write_many

    def write_many(kind, ids):
        if threading.current_thread() is first:  # holds its claimed rows until released
            first_claimed.set()
            assert first_may_go.wait(PATIENCE)
        written.extend(ids)
        return real_write_many(kind, ids)

    monkeypatch.setattr(engine, "write_many", write_many)
    first = Worker(app, limit=2)
    first.start()
    assert first_claimed.wait(PATIENCE)
    second = Worker(app, limit=2)
    second.start()
    second.join(PATIENCE)  # does not wait for the first's locked rows: it skips them
    assert not second.is_alive() and second.error is None and second.handled == 2
    first_may_go.set()
    first.join(PATIENCE)
    assert first.error is None and first.handled == 2
    expected = sorted(u.organisation.id for u in users)
    assert sorted(written) == expected  # each document written once
    assert _db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    results = engine.search("agencies", "环评")
    assert sorted(h.id for h in results.hits) == expected and results.total == 4
    assert engine.check(["agencies"])["agencies"] == {"missing": [], "stale": [], "extra": []}
