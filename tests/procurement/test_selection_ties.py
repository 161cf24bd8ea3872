"""Ties use credit (docs/design.md §3.4): lowest price, mean price and scored evaluation give a
tie to the higher credit factor and draw only among those still tied on credit; selections
stored under the v1 rules (draw among all tied) still re-run and verify."""

import dataclasses

import pytest

from market.procurement import services
from market.procurement.selection import base, lowest, mean_price, scored
from market.procurement.selection.draw import draw_index

from .selection_web import text, verified_draw

MEAN = {"min_quotes": 5, "k_range": ["0.95", "0.98"]}
WEIGHTS = {"weight_price": 40, "weight_credit": 20, "weight_technical": 40}


def _c(bid_id, amount_fen, credit_score, technical_score=None):
    return {
        "bid_id": bid_id,
        "amount_fen": amount_fen,
        "credit_score": credit_score,
        "technical_score": technical_score,
    }


def test_equal_lowest_quotes_go_to_the_higher_credit_without_a_draw():
    candidates = [_c(7, 80_000_00, 82), _c(3, 80_000_00, 91), _c(5, 90_000_00, 60)]
    for seed in ("a", "b", "c", "d"):
        outcome = lowest.select(candidates, seed, {})
        assert outcome.winner_bid_id == 3 and "draw" not in outcome.parameters
    tie = outcome.parameters["tie_break"]
    assert tie["among"] == [3, 7] and tie["leaders"] == [3]
    assert tie["credit_factors"] == {"3": "0.955", "7": "0.910"}  # 0.5 + score / 200
    assert outcome.summary == "报价最低（¥80,000.00），2 家报价并列，信用分较高者中选（91 分）"


def test_equal_credit_among_the_tied_goes_to_the_draw_among_those_only():
    candidates = [_c(1, 50_000_00, 90), _c(2, 50_000_00, 70), _c(4, 50_000_00, 90)]
    winners = set()
    for n in range(20):
        seed = f"seed-{n}"
        outcome = lowest.select(candidates, seed, {})
        draw = outcome.parameters["draw"]
        assert draw["among"] == [1, 4] and draw["index"] == draw_index(seed, 2)
        assert outcome.winner_bid_id == [1, 4][draw["index"]]
        winners.add(outcome.winner_bid_id)
    assert winners == {1, 4}  # the lower-credit quote is never drawn
    assert "3 家报价并列，其中 2 家信用分同为最高（90 分），经可验证抽签确定" in outcome.summary


def test_all_tied_on_credit_too_says_so():
    outcome = lowest.select([_c(1, 50_000_00, 88), _c(2, 50_000_00, 88)], "s", {})
    assert outcome.parameters["draw"]["among"] == [1, 2]
    assert outcome.summary.endswith("2 家报价并列且信用分相同（88 分），经可验证抽签确定")


def test_equally_close_mean_price_quotes_go_to_the_higher_credit():
    candidates = [_c(1, 80_00, 75), _c(2, 80_00, 95), _c(3, 50_00, 100)]
    outcome = mean_price.select(candidates, "seed-x", MEAN)
    assert outcome.winner_bid_id == 2 and "draw" not in outcome.parameters
    assert outcome.parameters["tie_break"]["among"] == [1, 2]
    assert "2 家报价与基准价差距并列，信用分较高者中选（95 分）" in outcome.summary


def test_equal_scored_totals_go_to_the_higher_credit():
    # 1: 40 + 20 × 0.90 + 40 × 0.80 = 90.00; 2: 32 + 20 × 1.00 + 40 × 0.95 = 90.00
    candidates = [_c(1, 80_000_00, 90, 80), _c(2, 100_000_00, 100, 95)]
    outcome = scored.select(candidates, "s", WEIGHTS)
    assert outcome.winner_bid_id == 2 and "draw" not in outcome.parameters
    assert "2 家综合得分并列，信用分较高者中选（100 分）" in outcome.summary


def test_the_v1_rules_still_draw_among_all_tied():
    candidates = [_c(1, 50_000_00, 60), _c(2, 50_000_00, 100)]
    assert lowest.select_v1(candidates, "s", {}).parameters["draw"]["among"] == [1, 2]
    assert "tie_break" not in lowest.select_v1(candidates, "s", {}).parameters
    assert mean_price.select_v1(candidates, "s", MEAN).parameters["draw"]["among"] == [1, 2]
    scored_cands = [_c(1, 80_000_00, 90, 90), _c(2, 80_000_00, 90, 90)]
    assert scored.select_v1(scored_cands, "s", WEIGHTS).parameters["draw"]["among"] == [1, 2]


def test_a_tie_on_the_web_is_won_by_credit_published_and_verified(app, make):
    notice, (low, high, dear) = make.opened_notice(
        "lowest", (60_000_00, 60_000_00, 70_000_00), credit_scores=(80, 95, 100)
    )
    assert notice.state == "publicity" and notice.selected_bid is high
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert "报价最低（¥60,000.00），2 家报价并列，信用分较高者中选（95 分）" in page
    draw = verified_draw(app, notice)
    assert "lowest-price-v2/sha256-counter-v1" in draw and "并列抽签" not in draw
    (selection,) = notice.selections
    assert selection.parameters["tie_break"]["leaders"] == [high.id]


def test_a_tie_on_equal_credit_is_still_drawn_and_counts_as_a_lottery(app, make):
    notice, (a, b, c) = make.opened_notice(
        "lowest", (60_000_00, 60_000_00, 70_000_00), credit_scores=(90, 90, 100)
    )
    assert notice.selections[0].parameters["draw"]["among"] == [a.id, b.id]
    assert notice.selected_bid in (a, b)
    assert "并列抽签" in verified_draw(app, notice)
    assert services.lottery_share()[0] == 1


def test_a_selection_stored_under_v1_still_verifies(app, make):
    # Made as the code before credit tie-breaks made them (its own MonkeyPatch: undoing the
    # shared fixture would also undo the per-test rollback of the `db` fixture).
    old = dataclasses.replace(
        lowest.METHOD, algorithm=lowest.ALGORITHM_V1, select=lowest.select_v1, previous={}
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(base._REGISTRY, "lowest", old)
        notice, (a, b, _) = make.opened_notice(
            "lowest", (60_000_00, 60_000_00, 70_000_00), credit_scores=(60, 100, 80)
        )
    (selection,) = notice.selections
    assert selection.algorithm == "lowest-price-v1/sha256-counter-v1"
    assert "tie_break" not in selection.parameters and notice.selected_bid in (a, b)
    # Today's code verifies it.
    assert base.method_for("lowest").algorithm == "lowest-price-v2/sha256-counter-v1"
    check = services.verify_selection(selection)
    assert check.ok, check.problems
    assert check.rerun.winner_bid_id == selection.winner_bid_id
    page = verified_draw(app, notice)
    assert "lowest-price-v1/sha256-counter-v1" in page

    # Re-run under the v2 rule, the same data would not match what v1 published.
    selection.algorithm = lowest.ALGORITHM
    assert not services.verify_selection(selection).ok
    selection.algorithm = "lowest-price-v9/unknown"
    assert "无法识别公布的选取算法版本「lowest-price-v9/unknown」" in (
        services.verify_selection(selection).problems
    )
