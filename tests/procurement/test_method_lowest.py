"""竞价选取 (lowest price): the rule, its tie-break draw, and the whole way through the web."""

from datetime import datetime

from market.core.clock import from_local, to_local
from market.core.workdays import add_working_days
from market.procurement.selection import lowest
from market.procurement.selection.draw import draw_index

from .selection_web import login, publish, respond, text, verified_draw, winner_on_page


def _c(bid_id, amount_fen):
    return {"bid_id": bid_id, "amount_fen": amount_fen, "credit_score": 100}


def test_the_lowest_quote_wins():
    outcome = lowest.select([_c(1, 90_000_00), _c(2, 80_000_00), _c(3, 85_000_00)], "s", {})
    assert outcome.winner_bid_id == 2 and outcome.parameters == {"lowest_fen": 80_000_00}
    assert "draw" not in outcome.parameters


def test_a_tie_is_broken_by_the_seeded_draw_among_the_tied_only():
    candidates = [_c(7, 80_000_00), _c(3, 80_000_00), _c(5, 90_000_00)]
    winners = set()
    for n in range(20):
        seed = f"seed-{n}"
        outcome = lowest.select(candidates, seed, {})
        draw = outcome.parameters["draw"]
        assert draw["among"] == [3, 7] and draw["index"] == draw_index(seed, 2)
        assert outcome.winner_bid_id == [3, 7][draw["index"]]
        assert outcome.winner_bid_id == lowest.select(candidates, seed, {}).winner_bid_id
        winners.add(outcome.winner_bid_id)
    assert winners == {3, 7}  # the seed decides, not the order of the list


def test_lowest_price_through_the_web_across_the_national_day_week(app, make, frozen_clock):
    # Monday 2026-09-28 10:00: three working days are 09-29, 09-30 and (after 10-01..07) 10-08.
    frozen_clock.set(from_local(datetime(2026, 9, 28, 10, 0)))
    deadline = add_working_days(frozen_clock.now, 3)
    assert to_local(deadline) == datetime(2026, 10, 8, 10, 0, tzinfo=to_local(deadline).tzinfo)
    notice = make.method_notice("lowest", publish=False, deadline=deadline, floor_fen=50_000_00)
    buyer = publish(app, notice)
    people = respond(app, notice, ["86000", "79000.50", "91000"])
    sealed = text(buyer, f"/notices/{notice.id}")
    assert "¥79,000.50" not in sealed and "密封中" in sealed

    # Still sealed on the last day of the holiday; the first read after the deadline opens it.
    frozen_clock.set(from_local(datetime(2026, 10, 7, 23, 59)))
    assert "密封中" in text(buyer, f"/notices/{notice.id}")
    frozen_clock.set(from_local(datetime(2026, 10, 8, 10, 1)))
    page = text(app.test_client(), f"/notices/{notice.id}")
    winner_client, winning_bid = people[1]
    assert winner_on_page(page, notice) == (winning_bid.agency.name, "¥79,000.50")
    assert "结果公示中" in page and "报价最低（¥79,000.50）" in page
    # Publicity: three working days from Thursday 10-08 are Fri 10-09, Sat 10-10 (调休), Mon 10-12.
    assert to_local(notice.publicity_end_dt).date().isoformat() == "2026-10-12"

    draw = verified_draw(app, notice)
    assert "lowest-price-v2/sha256-counter-v1" in draw and "¥86,000.00" in draw
    commitments = text(winner_client, f"/notices/{notice.id}/commitments")
    assert commitments.count("一致") == 1 and winning_bid.commitment in commitments


def test_quotes_outside_the_band_are_refused_on_the_form(app, make):
    notice = make.method_notice("lowest", floor_fen=50_000_00, ceiling_fen=100_000_00)
    client = login(app, make.agency())
    low = client.post(f"/notices/{notice.id}/bid", data={"amount": "49999.99"})
    assert low.status_code == 422 and "报价不得低于最低限价 ¥50,000.00" in low.get_data(True)
    empty = client.post(f"/notices/{notice.id}/bid", data={"plan": "方案"})
    assert empty.status_code == 422 and "请填写报价" in empty.get_data(as_text=True)
    assert notice.bids == []


def test_a_fiscal_notice_with_two_responses_fails_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("lowest", publish=False, fiscal_share_pct=100)
    publish(app, notice)
    respond(app, notice, ["86000", "79000"])
    frozen_clock.set(notice.deadline_dt)
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert notice.state == "failed" and "流标" in page
    assert "有效响应不足：财政资金项目需至少 3 家，实际 2 家，流标" in page
    assert "¥79,000.00" not in page  # a failed notice publishes no quote
    assert "本公告尚未进行选取" in text(app.test_client(), f"/notices/{notice.id}/draw")
