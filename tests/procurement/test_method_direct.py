"""直接选取 (direct selection): the purchaser picks one response with a public reason; the
choice is recorded as a selection round like every other method."""

from market.procurement.selection import direct

from .selection_web import login, publish, respond, text, verified_draw, winner_on_page


def test_the_choice_must_be_a_candidate():
    candidates = [{"bid_id": 1}, {"bid_id": 2}]
    assert direct.select(candidates, "s", {"chosen_bid_id": 2}).winner_bid_id == 2
    refused = direct.select(candidates, "s", {"chosen_bid_id": 3})
    assert refused.winner_bid_id is None and "不在本轮候选范围内" in refused.failure


def test_direct_selection_through_the_web(app, make, frozen_clock):
    notice = make.method_notice("direct", publish=False)
    buyer = publish(app, notice)
    people = respond(app, notice, ["70000", "76000"])
    frozen_clock.set(notice.deadline_dt)
    page = text(buyer, f"/notices/{notice.id}")
    assert "等待采购人从有效报价中选定" in page and "¥76,000.00" in page
    chosen = people[1][1]
    response = buyer.post(
        f"/notices/{notice.id}/selection", data={"bid_id": chosen.id, "reason": "同类项目业绩更多"}
    )
    assert response.status_code == 302
    page = text(app.test_client(), f"/notices/{notice.id}")
    assert winner_on_page(page, notice) == (chosen.agency.name, "¥76,000.00")
    assert "同类项目业绩更多" in page and "¥70,000.00" not in page
    draw = verified_draw(app, notice)
    assert "direct-choice-v1" in draw and "同类项目业绩更多" in draw


def test_a_second_simultaneous_choice_gets_a_message_not_an_error(app, make):
    notice, (low, high) = make.opened_notice("direct", (70_000_00, 76_000_00))
    buyer = login(app, notice.created_by)
    buyer.post(f"/notices/{notice.id}/selection", data={"bid_id": low.id, "reason": "报价低"})
    late = buyer.post(
        f"/notices/{notice.id}/selection",
        data={"bid_id": high.id, "reason": "另一位同事的选择"},
        follow_redirects=True,
    )
    assert late.status_code == 422
    assert "该公告已选定中选机构，不能再次选取" in late.get_data(as_text=True)
    assert notice.selected_bid is low and len(notice.selections) == 1
