"""Concurrency on PostgreSQL with real commits: a quote racing the deadline, and two
purchasers selecting at once. Each party works in its own thread, session and connection.

The notice row lock orders quoting, closing and selecting on one notice: whatever the
interleaving, a quote is either refused or part of the opening, and one selection wins while
the other gets a message. Quotes share it (FOR SHARE): they do not wait for each other, while
closing, editing and selecting (FOR UPDATE) wait for them.
"""

import os
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from market.accounts.models import User
from market.core.audit import events_for, verify_chain
from market.core.errors import ServiceError
from market.extensions import db as _db
from market.procurement import services
from market.procurement.models import Bid, Notice
from market.procurement.runner import run_due

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""),
    reason="row locks and concurrent connections need PostgreSQL (scripts/with-postgres.sh)",
)
#: no step of these tests should take anywhere near this long
PATIENCE = 30


class Party(threading.Thread):
    """One person's transaction in its own thread: run `work`, signal `ready`, and commit
    when released (so that the test decides who holds the notice lock and for how long)."""

    def __init__(self, app, work):
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.ready, self.release = threading.Event(), threading.Event()
        self.result = self.error = None

    def run(self):
        with self.app.app_context():
            session = _db.session()
            try:
                self.result = self.work()
                self.ready.set()
                self.release.wait(PATIENCE)
                session.commit()
            except Exception as err:  # handed to the test, which asserts on it
                session.rollback()
                self.error = err
                self.ready.set()
            finally:
                session.close()

    def finish(self):
        self.release.set()
        self.join(PATIENCE)
        assert not self.is_alive()


def _wait_until_blocked(party):
    """Until the party's connection waits for a lock (or it finished without waiting)."""
    deadline = time.monotonic() + PATIENCE
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with _db.engine.connect() as conn:
        while not party.ready.is_set():
            if conn.execute(query).scalar():
                return
            assert time.monotonic() < deadline, "the party never reached the lock"


@pytest.fixture
def racing(make, frozen_clock, committed):
    """A published notice with one quote in, committed; the clock one microsecond before the
    deadline (the bidder's clock); the runner acts as if its clock said the deadline."""
    notice = make.notice()
    make.bid(make.agency(), notice, 70_000_00)
    late = make.agency()
    _db.session.commit()
    frozen_clock.set(notice.deadline_dt - timedelta(microseconds=1))
    return notice.id, late.id, notice.deadline_dt


def _quote(notice_id, user_id):
    def work():
        notice = _db.session.get(Notice, notice_id)
        return services.submit_bid(_db.session.get(User, user_id), notice, 65_000_00, "方案").id

    return work


def _close(notice_id, deadline):
    return lambda: run_due(deadline)


def _opening(notice_id):
    """What the opening published, and the quotes stored: they must agree."""
    _db.session.expire_all()
    notice = _db.session.get(Notice, notice_id)
    published = [e for e in events_for("notice", notice_id) if e.action == "commitments_published"]
    assert notice.state == "bidding_closed" and len(published) == 1
    stored = _db.session.scalars(select(Bid.commitment).where(Bid.notice_id == notice_id)).all()
    assert sorted(stored) == published[0].data["commitments"]
    return len(stored)


def test_runner_first_holding_the_lock_refuses_the_late_quote(app, racing):
    notice_id, user_id, deadline = racing
    runner = Party(app, _close(notice_id, deadline))
    runner.start()
    assert runner.ready.wait(PATIENCE) and runner.error is None
    bidder = Party(app, _quote(notice_id, user_id))
    bidder.start()
    _wait_until_blocked(bidder)
    runner.finish()
    bidder.finish()
    assert isinstance(bidder.error, ServiceError) and "已截止报价" in bidder.error.message
    assert _opening(notice_id) == 1


def test_bidder_first_holding_the_lock_is_part_of_the_opening(app, racing):
    notice_id, user_id, deadline = racing
    bidder = Party(app, _quote(notice_id, user_id))
    bidder.start()
    assert bidder.ready.wait(PATIENCE) and bidder.error is None
    runner = Party(app, _close(notice_id, deadline))
    runner.start()
    _wait_until_blocked(runner)
    bidder.finish()
    runner.finish()
    assert runner.error is None and runner.result == 1
    assert _opening(notice_id) == 2


def test_released_together_a_quote_is_refused_or_opened_never_lost(app, racing):
    notice_id, user_id, deadline = racing
    parties = [Party(app, _quote(notice_id, user_id)), Party(app, _close(notice_id, deadline))]
    for party in parties:
        party.release.set()  # commit as soon as done: the database orders them
        party.start()
    for party in parties:
        party.finish()
    bidder, runner = parties
    assert runner.error is None
    assert _opening(notice_id) == (1 if bidder.error else 2)


def test_at_the_deadline_instant_the_quote_is_refused_in_either_order(app, racing, frozen_clock):
    notice_id, user_id, deadline = racing
    frozen_clock.set(deadline)
    bidder = Party(app, _quote(notice_id, user_id))
    bidder.start()
    bidder.finish()
    assert "已截止报价" in bidder.error.message
    runner = Party(app, _close(notice_id, deadline))
    runner.start()
    runner.finish()
    # The refused request may have applied the deadline itself: closing happens exactly once.
    assert _opening(notice_id) == 1


def test_two_simultaneous_selections_give_one_winner_and_a_message(app, make, committed):
    notice, (low, high) = make.opened_notice("direct", (70_000_00, 76_000_00))
    colleague = make.member(notice.created_by)
    # Plain ids: the threads must not touch this session's objects.
    notice_id, low_id, high_id = notice.id, low.id, high.id
    people = {"buyer": notice.created_by.email, "colleague": colleague.email}
    _db.session.commit()
    outcomes = {}

    def choose(who, bid_id, reason):
        client = app.test_client()
        client.post("/login", data={"email": people[who], "password": make.PASSWORD})
        response = client.post(
            f"/notices/{notice_id}/selection",
            data={"bid_id": bid_id, "reason": reason},
            follow_redirects=True,
        )
        outcomes[reason] = response

    first = Party(app, lambda: choose("buyer", low_id, "报价更低"))
    second = Party(app, lambda: choose("colleague", high_id, "业绩更好"))
    for party in (first, second):
        party.release.set()
        party.start()
    for party in (first, second):
        party.finish()
        assert party.error is None
    assert sorted(r.status_code for r in outcomes.values()) == [200, 422]  # the late one refused
    pages = [r.get_data(as_text=True) for r in outcomes.values()]
    assert sum("已选定中选机构，结果进入公示期" in p for p in pages) == 1
    assert sum("该公告已选定中选机构，不能再次选取" in p for p in pages) == 1
    _db.session.expire_all()
    selected = _db.session.scalars(
        select(Bid).where(Bid.notice_id == notice_id, Bid.status == "selected")
    ).all()
    assert len(selected) == 1
    assert len(_db.session.get(Notice, notice_id).selections) == 1


# --- quotes side by side ------------------------------------------------------------------


@pytest.fixture
def open_notice(make, frozen_clock, committed):
    """A published notice and two agencies, committed; the clock an hour before the deadline."""
    notice = make.notice()
    first, second = make.agency(), make.agency()
    _db.session.commit()
    frozen_clock.set(notice.deadline_dt - timedelta(hours=1))
    return notice.id, first.id, second.id


def test_two_agencies_quote_at_once_without_waiting_for_each_other(app, open_notice):
    """Quotes share the notice's lock: the second is stored while the first is still open."""
    notice_id, first_id, second_id = open_notice
    first = Party(app, _quote(notice_id, first_id))
    first.start()
    assert first.ready.wait(PATIENCE) and first.error is None
    second = Party(app, _quote(notice_id, second_id))
    second.start()
    # With an exclusive lock the second would wait here until the first commits.
    assert second.ready.wait(10) and second.error is None
    first.finish()
    second.finish()
    _db.session.expire_all()
    assert len(_db.session.scalars(select(Bid).where(Bid.notice_id == notice_id)).all()) == 2
    ok, _, _ = verify_chain()
    assert ok


def test_an_edit_of_the_notice_waits_for_a_quote_in_progress(app, open_notice):
    notice_id, first_id, _ = open_notice
    bidder = Party(app, _quote(notice_id, first_id))
    bidder.start()
    assert bidder.ready.wait(PATIENCE) and bidder.error is None

    def cancel():
        notice = _db.session.get(Notice, notice_id)
        services.cancel_notice(notice.created_by, notice, "项目取消")
        _db.session.flush()  # the notice's row is written: that waits for the quote

    editor = Party(app, cancel)
    editor.start()
    _wait_until_blocked(editor)
    assert not editor.ready.is_set()
    bidder.finish()
    editor.finish()
    assert editor.error is None


def test_the_same_agency_twice_at_once_is_stored_once_and_told_so(app, make, open_notice):
    """A double click: the second request, whose insert met the first one's uncommitted bid,
    is answered that the agency's quote counts."""
    notice_id, first_id, _ = open_notice
    holder = Party(app, _quote(notice_id, first_id))
    holder.start()
    assert holder.ready.wait(PATIENCE) and holder.error is None
    email = _db.session.get(User, first_id).email
    answers = {}

    def click_again():
        client = app.test_client()
        client.post("/login", data={"email": email, "password": make.PASSWORD})
        answers["page"] = client.post(
            f"/notices/{notice_id}/bid", data={"amount": "64000", "plan": "方案"}
        )

    again = Party(app, click_again)
    again.release.set()
    again.start()
    _wait_until_blocked(again)
    holder.finish()
    again.finish()
    assert again.error is None
    assert answers["page"].status_code == 422
    assert "报价有效" in answers["page"].get_data(as_text=True)
    _db.session.expire_all()
    stored = _db.session.scalars(select(Bid.amount_fen).where(Bid.notice_id == notice_id)).all()
    assert stored == [65_000_00]
