"""The figures are kept per version of the data: a second visit counts nothing again, and
any change to what they read (a registration, a notice's step, a record) is counted at
once. Statistics are counted afresh in the other tests (STATISTICS_CACHE_ENTRIES = 0)."""

import pytest
from sqlalchemy import event

from market.statistics import cache
from market.statistics.cache import data_version

from .. import factories as make
from .pages import figure


@pytest.fixture
def kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "STATISTICS_CACHE_ENTRIES", 50)
    cache.clear()
    yield
    cache.clear()


def statements(db, client, path):
    count = []

    def seen(*_args, **_kwargs):
        count.append(1)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(count)


def test_a_second_visit_counts_nothing_again(client, db, kept):
    make.agency()
    first = statements(db, client, "/statistics/data.json")
    again = statements(db, client, "/statistics/data.json")
    # the filters' choices, the overview and the data's version: the figures are kept
    assert again < first and again <= 3


def test_any_change_is_counted_at_once(client, kept, frozen_clock):
    page = client.get("/statistics/").get_data(as_text=True)
    assert figure(page, "agencies_registered") == "0"
    make.agency()
    page = client.get("/statistics/").get_data(as_text=True)
    assert figure(page, "agencies_registered") == "1"
    notice = make.notice()
    assert figure(client.get("/statistics/").get_data(as_text=True), "notices_published") == "1"
    make.bid(make.agency(), notice)
    make.close_bidding(notice)  # opened: the notice's page version moves
    page = client.get("/statistics/").get_data(as_text=True)
    assert figure(page, "responses_mean") == "1.00"


def test_the_version_moves_with_every_change_but_a_sealed_quote(frozen_clock):
    bidder, rival = make.agency(), make.agency()
    registered = data_version()
    notice = make.notice(make.purchaser())
    published = data_version()
    assert published != registered
    make.bid(bidder, notice)
    make.bid(rival, notice)
    assert data_version() == published  # quotes before the deadline: nothing moves
    make.close_bidding(notice)
    closed = data_version()
    assert closed != published
    make.confirmed_record(agency_user=bidder)
    assert data_version() != closed
