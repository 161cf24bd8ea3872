"""随机选取 (random draw): registrations at the fixed price, one drawn verifiably."""

import hashlib

from market.procurement.selection import random_draw

from .selection_web import login, publish, respond, text, verified_draw, winner_on_page


def _cands(*ids):
    return [{"bid_id": i, "amount_fen": 50_000_00, "credit_score": 100} for i in ids]


def test_the_index_is_sha256_of_seed_and_counter_mod_n_over_the_bid_id_order():
    seed = "ab" * 32
    outcome = random_draw.select(_cands(9, 4, 6), seed, {})
    index = int(hashlib.sha256(f"{seed}:0".encode()).hexdigest(), 16) % 3
    assert outcome.parameters["draw"]["among"] == [4, 6, 9]
    assert outcome.parameters["draw"]["index"] == index
    assert outcome.winner_bid_id == [4, 6, 9][index]


def test_every_registrant_can_be_drawn():
    winners = {random_draw.select(_cands(1, 2, 3), f"s{n}", {}).winner_bid_id for n in range(40)}
    assert winners == {1, 2, 3}


def test_random_draw_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("random", publish=False, ceiling_fen=30_000_00)
    publish(app, notice)
    form = text(login(app, make.agency()), f"/notices/{notice.id}")
    assert "报名参与" in form and "价格固定为 <strong>¥30,000.00</strong>" in form
    assert 'name="amount"' not in form
    people = respond(app, notice, [None, None, None])
    assert {b.amount_fen for _, b in people} == {30_000_00}
    frozen_clock.set(notice.deadline_dt)
    page = text(app.test_client(), f"/notices/{notice.id}")
    winner = notice.selected_bid
    assert winner_on_page(page, notice) == (winner.agency.name, "¥30,000.00")
    assert "从 3 家报名机构中随机抽取" in page
    draw = verified_draw(app, notice)
    assert "公平竞争审查" in draw  # the purchaser's stated reason for a lottery
    assert f"mod 3 = <strong>{notice.selections[0].parameters['draw']['index']}</strong>" in draw


def test_a_quote_on_a_fixed_price_notice_is_refused(app, make):
    notice = make.method_notice("random", ceiling_fen=30_000_00)
    client = login(app, make.agency())
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "29000"})
    assert response.status_code == 422
    assert "本项目价格固定为 ¥30,000.00，报名即可，无需报价" in response.get_data(as_text=True)
    assert notice.bids == []
