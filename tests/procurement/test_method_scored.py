"""综合评审 (scored evaluation): the purchaser's technical scores, the weighted totals, ties
drawn; and the whole way through the web."""

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.procurement import services
from market.procurement.selection import scored

from ..pages import without_csrf_tokens
from .selection_web import login, publish, respond, text, verified_draw, winner_on_page

WEIGHTS = {"weight_price": 40, "weight_credit": 20, "weight_technical": 40}


def _c(bid_id, amount_fen, credit_score, technical_score):
    return {
        "bid_id": bid_id,
        "amount_fen": amount_fen,
        "credit_score": credit_score,
        "technical_score": technical_score,
    }


def test_scores_follow_the_published_formula():
    outcome = scored.select([_c(1, 80_000_00, 90, 80), _c(2, 100_000_00, 100, 96)], "s", WEIGHTS)
    # 1: 40 × 80/80 + 20 × 0.90 + 40 × 0.80 = 40 + 18 + 32 = 90.00
    # 2: 40 × 80/100 + 20 × 1.00 + 40 × 0.96 = 32 + 20 + 38.40 = 90.40
    assert outcome.parameters["scores"] == {
        "1": {"price": "40.00", "credit": "18.00", "technical": "32.00", "total": "90.00"},
        "2": {"price": "32.00", "credit": "20.00", "technical": "38.40", "total": "90.40"},
    }
    assert outcome.winner_bid_id == 2 and "90.40" in outcome.summary


def test_parts_are_rounded_half_up_to_two_decimals():
    scores = scored.score(_c(1, 90_000_00, 77, 33), 80_000_00, WEIGHTS)
    # 40 × 8/9 = 35.555… → 35.56; 20 × 0.77 = 15.40; 40 × 0.33 = 13.20
    assert scores == {"price": "35.56", "credit": "15.40", "technical": "13.20", "total": "64.16"}


def test_equal_totals_go_to_the_better_credit_then_the_draw():
    outcome = scored.select([_c(1, 80_000_00, 90, 80), _c(2, 100_000_00, 100, 95)], "s", WEIGHTS)
    assert outcome.parameters["scores"]["2"]["total"] == "90.00"
    assert outcome.winner_bid_id == 2 and "draw" not in outcome.parameters
    # Equal totals with equal credit: drawn.
    outcome = scored.select([_c(1, 80_000_00, 90, 80), _c(2, 80_000_00, 90, 80)], "s", WEIGHTS)
    assert outcome.parameters["draw"]["among"] == [1, 2]


@pytest.fixture
def closed(make):
    return make.opened_notice("scored", (80_000_00, 100_000_00), credit_scores=(90, 100))


def test_every_bid_needs_a_score_from_0_to_100(closed, make):
    notice, (a, b) = closed
    buyer = notice.created_by
    with pytest.raises(ServiceError, match="尚缺"):
        services.score_bids(buyer, notice, {a.id: 80})
    with pytest.raises(ServiceError, match="0–100"):
        services.score_bids(buyer, notice, {a.id: 80, b.id: 101})
    with pytest.raises(ServiceError, match="不属于本轮"):
        services.score_bids(buyer, notice, {a.id: 80, b.id: 90, 999_999: 50})
    with pytest.raises(NotAllowed):
        services.score_bids(make.purchaser(), notice, {a.id: 80, b.id: 90})
    assert notice.state == "bidding_closed" and notice.selections == []
    assert a.technical_score is None and b.technical_score is None


def test_scores_before_the_deadline_are_refused(make):
    notice = make.method_notice("scored")
    (bid,) = make.quotes(notice, (80_000_00,))
    with pytest.raises(ServiceError, match="报价截止后"):
        services.score_bids(notice.created_by, notice, {bid.id: 80})
    assert bid.technical_score is None


def test_the_step_posted_before_the_deadline_does_not_tell_whether_anyone_quoted(app, make):
    """The scores form has a field per quote: built before the deadline, it would answer
    「请录入技术评分」 once someone had quoted and the refusal while nobody had. Before the
    deadline the answer is the refusal, the same page whatever was quoted."""
    notice = make.method_notice("scored")
    buyer = login(app, notice.created_by)
    text(buyer, "/dashboard")  # where the login leads, showing its welcome
    pages = []
    for _ in range(2):
        response = buyer.post(f"/notices/{notice.id}/selection", data={})
        assert response.status_code == 422
        # The forms' CSRF tokens are signed with the time: two posts a second apart differ.
        pages.append(without_csrf_tokens(response.get_data(as_text=True)))
        make.quotes(notice, (80_000_00,))
    assert pages[0] == pages[1] and "只能在报价截止后、选定前办理选取" in pages[1]
    assert "请录入技术评分" not in pages[1]


def test_scored_evaluation_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("scored", publish=False)
    buyer = publish(app, notice)
    people = respond(app, notice, ["80000", "100000"], credit_scores=[90, 100])
    frozen_clock.set(notice.deadline_dt)
    page = text(buyer, f"/notices/{notice.id}")
    assert "录入技术评分" in page and "等待采购人录入技术评分" in page
    (_, a), (_, b) = people
    bad = buyer.post(f"/notices/{notice.id}/selection", data={f"score_{a.id}": "80"})
    assert bad.status_code == 422 and "请录入技术评分" in bad.get_data(as_text=True)
    assert notice.selections == []
    response = buyer.post(
        f"/notices/{notice.id}/selection", data={f"score_{a.id}": "80", f"score_{b.id}": "96"}
    )
    assert response.status_code == 302
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert winner_on_page(page, notice) == (b.agency.name, "¥100,000.00")
    assert "综合得分最高（90.40 分）" in page
    draw = verified_draw(app, notice)
    for value in ("90.40", "90.00", "38.40", "价格 40，信用 20，技术 40"):
        assert value in draw


def test_other_people_cannot_post_scores(app, make, closed):
    notice, (a, b) = closed
    data = {f"score_{a.id}": "80", f"score_{b.id}": "90"}
    assert (
        login(app, make.purchaser()).post(f"/notices/{notice.id}/selection", data=data).status_code
        == 403
    )
    assert (
        login(app, make.agency()).post(f"/notices/{notice.id}/selection", data=data).status_code
        == 403
    )
    assert notice.selections == []
