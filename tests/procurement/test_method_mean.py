"""均价优选 (mean price): drop the extremes, base = mean × K with K drawn verifiably, the
closest quote wins; and the whole way through the web."""

from decimal import Decimal

import pytest

from market.procurement.selection import mean_price
from market.procurement.selection.draw import draw_decimal

from .selection_web import publish, respond, text, verified_draw, winner_on_page

SETTINGS = {"min_quotes": 5, "k_range": ["0.95", "0.98"]}


def _cands(*amounts):
    return [{"bid_id": i + 1, "amount_fen": a, "credit_score": 100} for i, a in enumerate(amounts)]


def test_k_is_a_four_decimal_value_in_the_range_drawn_from_the_seed():
    ks = {draw_decimal(f"seed-{n}", "0.95", "0.98") for n in range(200)}
    assert all(Decimal("0.95") <= k <= Decimal("0.98") for k in ks)
    assert all(k == k.quantize(Decimal("0.0001")) for k in ks)
    assert len(ks) > 100  # spread over the range, not a constant
    assert draw_decimal("same", "0.95", "0.98") == draw_decimal("same", "0.95", "0.98")


def test_with_five_quotes_the_highest_and_lowest_are_left_out_of_the_mean():
    outcome = mean_price.select(_cands(100_00, 90_00, 80_00, 70_00, 60_00), "seed-1", SETTINGS)
    p = outcome.parameters
    k = draw_decimal("seed-1", "0.95", "0.98")
    assert p["dropped_bid_ids"] == [5, 1] and p["mean_fen"] == "8000.00"
    assert p["k"] == str(k) and p["base_fen"] == int((Decimal(8000) * k).quantize(Decimal(1)))
    # base is 76.00–78.40 yuan: 80 is closer than 70 whatever K was drawn
    assert outcome.winner_bid_id == 3
    assert p["distances_fen"]["3"] == abs(80_00 - p["base_fen"])


def test_a_dumping_quote_does_not_drag_the_base_down():
    # Without dropping, 10 yuan would pull the mean to ~66; with it the base stays near 80.
    outcome = mean_price.select(_cands(10_00, 84_00, 82_00, 80_00, 86_00), "s", SETTINGS)
    assert 1 in outcome.parameters["dropped_bid_ids"]
    assert outcome.parameters["mean_fen"] == "8200.00"


def test_with_fewer_quotes_the_plain_mean_of_all_is_used():
    outcome = mean_price.select(_cands(100_00, 80_00, 60_00), "s", SETTINGS)
    assert outcome.parameters["dropped_bid_ids"] == []
    assert outcome.parameters["mean_fen"] == "8000.00"
    assert "不足 5 家" in outcome.parameters["rule"]


def test_equal_distance_is_broken_by_the_draw():
    # Two quotes at the same distance from any base: identical amounts.
    outcome = mean_price.select(_cands(80_00, 80_00, 50_00), "seed-x", SETTINGS)
    assert outcome.parameters["draw"]["among"] == [1, 2]
    assert outcome.winner_bid_id in (1, 2)


@pytest.mark.parametrize("seed", ["a", "b", "c"])
def test_the_same_seed_always_gives_the_same_k_and_winner(seed):
    candidates = _cands(95_00, 91_00, 88_00, 85_00, 80_00, 78_00)
    first = mean_price.select(candidates, seed, SETTINGS)
    assert mean_price.select(list(reversed(candidates)), seed, SETTINGS) == first


def test_mean_price_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("mean", publish=False, fiscal_share_pct=60)
    publish(app, notice)
    people = respond(app, notice, ["95000", "91000", "88000", "85000", "60000"])
    frozen_clock.set(notice.deadline_dt)
    page = text(app.test_client(), f"/notices/{notice.id}")
    selection = notice.selections[0]
    k = selection.parameters["k"]
    # Dropped 95,000 and 60,000: mean 88,000 × K (0.95–0.98) = 83,600–86,240 → 85,000 wins.
    name, price = winner_on_page(page, notice)
    assert (name, price) == (people[3][1].agency.name, "¥85,000.00")
    assert f"K = {k}" in page
    draw = verified_draw(app, notice)
    assert k in draw and "不计入平均" in draw and "¥88,000.0000" in draw
