"""信用择优 (credit preference): at the fixed price the best credit score wins; a tie is
drawn; fewer than two registrants fail."""

from market.procurement.selection import credit

from .selection_web import publish, respond, text, verified_draw, winner_on_page

SETTINGS = {"min_registrants": 2}


def _cands(*scores):
    return [
        {"bid_id": i + 1, "amount_fen": 40_000_00, "credit_score": s} for i, s in enumerate(scores)
    ]


def test_the_best_credit_score_wins():
    outcome = credit.select(_cands(88, 95, 91), "s", SETTINGS)
    assert outcome.winner_bid_id == 2 and outcome.parameters == {"best_credit_score": 95}


def test_equal_best_scores_are_drawn():
    outcome = credit.select(_cands(95, 80, 95), "s", SETTINGS)
    assert outcome.parameters["draw"]["among"] == [1, 3] and outcome.winner_bid_id in (1, 3)


def test_one_registrant_fails():
    outcome = credit.select(_cands(99), "s", SETTINGS)
    assert outcome.winner_bid_id is None
    assert outcome.failure == "信用择优需至少 2 家机构报名，实际 1 家，流标"


def test_credit_preference_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("credit", publish=False, ceiling_fen=40_000_00)
    publish(app, notice)
    people = respond(app, notice, [None, None, None], credit_scores=[82, 97, 90])
    frozen_clock.set(notice.deadline_dt)
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert winner_on_page(page, notice) == (people[1][1].agency.name, "¥40,000.00")
    assert "信用分最高（97 分）" in page
    draw = verified_draw(app, notice)
    assert "最高信用分" in draw and "credit-preference-v1" in draw


def test_credit_preference_with_one_registrant_fails_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("credit", publish=False, ceiling_fen=40_000_00)
    publish(app, notice)
    respond(app, notice, [None], credit_scores=[99])
    frozen_clock.set(notice.deadline_dt)
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert notice.state == "failed" and "流标" in page
    assert "有效响应不足：信用择优项目需至少 2 家，实际 1 家，流标" in page
    assert notice.selections == []
