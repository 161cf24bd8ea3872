"""Sealed means sealed: a quote on a notice still taking quotes changes no figure, nowhere
(the page, its JSON, any CSV file, whatever the filters), nor the version the figures are
kept by; once the bidding has closed, it counts."""

import json
from datetime import timedelta

from market.procurement.runner import apply_due
from market.statistics.cache import data_version

from .. import factories as make
from . import world
from .pages import PERIOD, figure

TABLES = (
    "registrations",
    "notices",
    "lottery_reasons",
    "savings",
    "durations",
    "competition",
    "concentration",
    "grades",
    "violations",
    "disclosures",
)


def everything(client, item_id) -> dict:
    """Every statistics answer a visitor can get, for several filters."""
    answers = {}
    for query in ("", PERIOD, f"{PERIOD}&department=生态环境部门", f"{PERIOD}&item={item_id}"):
        for path in (
            "/statistics/",
            "/statistics/data.json",
            *(f"/statistics/{t}.csv" for t in TABLES),
        ):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 200, (path, query)
            answers[path, query] = response.get_data()
    return answers


def test_a_quote_before_the_deadline_changes_no_figure(client, frozen_clock):
    market = world.build()
    notice = market.n4
    before, version = everything(client, notice.item_id), data_version()

    make.bid(market.a1, notice, 70_000_00)
    make.bid(market.a2, notice, 75_000_00)
    assert everything(client, notice.item_id) == before
    assert data_version() == version  # the kept figures are not even counted again

    # Past the deadline, before anything closed the bidding: still sealed, still nothing
    # (the overview's notices taking quotes go down by the time alone: N4 no longer does).
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    assert notice.state == "published"
    after = everything(client, notice.item_id)
    for (path, query), body in after.items():
        if path.endswith(".csv"):
            assert body == before[path, query], (path, query)
        elif path.endswith(".json"):
            then, now = json.loads(before[path, query]), json.loads(body)
            assert (now["summary"], now["tables"]) == (then["summary"], then["tables"])


def test_once_the_bidding_has_closed_the_quotes_count(client, frozen_clock):
    market = world.build()
    notice = market.n4
    make.bid(market.a1, notice, 70_000_00)
    page = client.get(f"/statistics/?{PERIOD}").get_data(as_text=True)
    assert figure(page, "responses_mean") == "1.67" and figure(page, "single_share") == "33.3%"

    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    apply_due(notice)  # opened: a single response, selected at once (lowest price)
    page = client.get(f"/statistics/?{PERIOD}").get_data(as_text=True)
    assert figure(page, "responses_mean") == "1.50"  # (2 + 2 + 1 + 1) / 4
    assert figure(page, "single_share") == "50.0%"
