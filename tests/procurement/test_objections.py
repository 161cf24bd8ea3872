"""Objections (质疑) during publicity: who may object, answer and decide; what an open objection
holds up; what an upheld one undoes."""

from datetime import timedelta

import pytest

from market.agencies.documents import Upload, can_read, library
from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.procurement import messages, services
from market.procurement.runner import run_due

REASONS = "中选机构报价明显低于成本，且未提供合理说明"


def snapshot(notice):
    """What a refusal must leave untouched: the notice, its objections and its audit trail."""
    return (
        notice.state,
        notice.due_dt,
        [(o.id, o.status, o.answer, o.decision) for o in notice.objections],
        len(events_for("notice", notice.id, public_only=False)),
    )


@pytest.fixture
def publicity(make):
    return make.publicity_notice()


def test_a_bidder_objects_during_publicity_and_the_fact_is_public(publicity, make, monkeypatch):
    notice, buyer, winner, rival = publicity
    received = []

    def listener(objection, action, **_):
        received.append((objection, action))

    monkeypatch.setattr(messages, "objection_changed", listener)
    scan = Upload("objection", "成本测算表", "cost.pdf", make.PDF_BYTES)
    objection = services.file_objection(rival, notice, REASONS, [scan])
    assert objection.status == "open" and objection.reasons == REASONS
    assert objection.selection is notice.selections[-1]
    assert received == [(objection, "filed")]
    filed = [e for e in events_for("notice", notice.id) if e.action == "objection_filed"]
    assert len(filed) == 1 and REASONS not in str(filed[0].data)
    # The file is the objector's, shared with the purchaser and the objected winner only.
    (document,) = objection.documents
    assert document.kind == "objection" and document.org_id == rival.organisation.id
    assert can_read(buyer, document) and can_read(winner, document)
    assert not can_read(make.agency(), document)


def test_rejected_objection_lets_the_award_follow(publicity, make, frozen_clock):
    notice, buyer, winner, rival = publicity
    objection = services.file_objection(rival, notice, REASONS)
    services.answer_objection(buyer, notice, objection.id, "中选报价在合理区间，已核实")
    assert objection.status == "answered"
    services.decide_objection(make.regulator_for(notice), notice, objection.id, False, "理由不成立")
    assert objection.status == "rejected" and objection.decided_dt == frozen_clock.now
    frozen_clock.set(notice.publicity_end_dt)
    assert run_due() == 1
    assert notice.state == "awarded" and notice.contract.agency_org_id == winner.organisation.id


def test_open_objection_holds_the_award_across_runner_passes(publicity, make, frozen_clock):
    notice, buyer, winner, rival = publicity
    objection = services.file_objection(rival, notice, REASONS)
    frozen_clock.set(notice.publicity_end_dt + timedelta(hours=1))
    run_due()
    assert notice.state == "publicity" and notice.contract is None and notice.due_dt is None
    frozen_clock.advance(days=10)
    assert run_due() == 0 and notice.state == "publicity"
    assert [e.action for e in events_for("notice", notice.id)].count("award_suspended") == 1

    # Decided long after publicity: the award follows on the next read, dated at the decision.
    services.decide_objection(make.regulator_for(notice), notice, objection.id, False, "不成立")
    decided = frozen_clock.now
    frozen_clock.advance(minutes=5)
    assert services.load_notice(notice.id).state == "awarded"
    assert notice.contract.created_dt == decided


def test_upheld_objection_returns_the_notice_to_selection(publicity, make):
    notice, buyer, winner, rival = publicity
    winning_bid = notice.selected_bid
    objection = services.file_objection(rival, notice, REASONS)
    regulator = make.regulator_for(notice)
    services.decide_objection(regulator, notice, objection.id, True, "选取理由不充分")
    assert objection.status == "upheld" and objection.exclude_winner is False
    # Direct selection: the purchaser chooses again, the objected winner still among the bids.
    assert notice.state == "bidding_closed" and notice.selected_bid is None
    assert winning_bid.status == "submitted"
    services.select_bid(buyer, notice, winning_bid.id, "复核后仍为最优方案")
    assert notice.state == "publicity" and [s.round for s in notice.selections] == [1, 2]
    moves = [(e.from_state, e.to_state) for e in events_for("notice", notice.id) if e.to_state]
    assert ("publicity", "bidding_closed") in moves


def test_upheld_objection_excluding_the_winner_selects_again_without_it(make):
    buyer = make.purchaser()
    notice = make.notice(buyer, method="lowest")
    low, middle, high = make.agency(), make.agency(), make.agency()
    low_bid = make.bid(low, notice, 50_000_00)
    middle_bid = make.bid(middle, notice, 60_000_00)
    make.bid(high, notice, 70_000_00)
    make.close_bidding(notice)
    assert notice.state == "publicity" and notice.selected_bid is low_bid
    first = services.file_objection(middle, notice, REASONS)
    second = services.file_objection(high, notice, "同上")
    services.decide_objection(
        make.regulator_for(notice), notice, first.id, True, "低于成本", exclude_winner=True
    )
    # An automatic method runs again at once as round 2, without the excluded bid.
    assert low_bid.status == "excluded" and notice.selected_bid is middle_bid
    assert notice.state == "publicity" and len(notice.selections) == 2
    # The other objection to the same result ends with it.
    assert second.status == "upheld" and "一并办结" in second.decision
    assert not services.blocking_objections(notice)


def test_only_a_bidder_may_object(publicity, make):
    notice, *_ = publicity
    before = snapshot(notice)
    for outsider in (make.agency(), make.purchaser(), make.staff("regulator")):
        with pytest.raises(NotAllowed, match="参与本项目报价"):
            services.file_objection(outsider, notice, REASONS)
    assert snapshot(notice) == before


def test_the_winner_cannot_object_to_its_own_result(publicity):
    notice, buyer, winner, rival = publicity
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="中选机构不能"):
        services.file_objection(winner, notice, REASONS)
    assert snapshot(notice) == before


def test_objecting_after_the_window_is_refused(publicity, frozen_clock):
    notice, buyer, winner, rival = publicity
    frozen_clock.set(notice.publicity_end_dt)
    with pytest.raises(ServiceError, match="公示期已结束，不能再提出异议"):
        services.file_objection(rival, notice, REASONS)
    assert notice.objections == [] and notice.state == "awarded"


def test_objection_needs_reasons_and_is_not_filed_twice(publicity):
    notice, buyer, winner, rival = publicity
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="异议理由"):
        services.file_objection(rival, notice, "  ")
    assert snapshot(notice) == before
    services.file_objection(rival, notice, REASONS)
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="正在处理中"):
        services.file_objection(rival, notice, REASONS)
    assert snapshot(notice) == before


def test_a_bad_file_leaves_nothing_behind(publicity, make):
    notice, buyer, winner, rival = publicity
    before = snapshot(notice)
    good = Upload("objection", "证明", "a.pdf", make.PDF_BYTES)
    bad = Upload("objection", "说明", "b.txt", b"plain text")
    with pytest.raises(ServiceError, match="b.txt"):
        services.file_objection(rival, notice, REASONS, [good, bad])
    assert snapshot(notice) == before
    assert library(rival.organisation.id) == []  # the good file was not stored either


def test_the_purchaser_answers_once(publicity, make):
    notice, buyer, winner, rival = publicity
    objection = services.file_objection(rival, notice, REASONS)
    with pytest.raises(NotAllowed):
        services.answer_objection(make.purchaser(), notice, objection.id, "答复")
    with pytest.raises(ServiceError, match="答复内容"):
        services.answer_objection(buyer, notice, objection.id, "")
    services.answer_objection(buyer, notice, objection.id, "已核实")
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="不能重复答复"):
        services.answer_objection(buyer, notice, objection.id, "再补充一点")
    assert snapshot(notice) == before and objection.answer == "已核实"


def test_only_a_regulator_of_the_items_department_decides(publicity, make):
    notice, buyer, winner, rival = publicity
    objection = services.file_objection(rival, notice, REASONS)
    before = snapshot(notice)
    for other in (make.staff("regulator", "住房城乡建设部门"), buyer, make.staff("operator")):
        with pytest.raises(NotAllowed, match="生态环境部门"):
            services.decide_objection(other, notice, objection.id, True, "成立")
    assert snapshot(notice) == before and objection.is_open


def test_a_decision_needs_its_text_and_is_made_once(publicity, make):
    notice, buyer, winner, rival = publicity
    objection = services.file_objection(rival, notice, REASONS)
    regulator = make.regulator_for(notice)
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="处理决定"):
        services.decide_objection(regulator, notice, objection.id, True, " ")
    assert snapshot(notice) == before and notice.state == "publicity"
    services.decide_objection(regulator, notice, objection.id, False, "不成立")
    before = snapshot(notice)
    with pytest.raises(ServiceError, match="不能重复处理"):
        services.decide_objection(regulator, notice, objection.id, True, "改判")
    assert snapshot(notice) == before


# --- through the notice page ----------------------------------------------------------------


def _client(app, user, make):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    return client


def test_objection_walk_through_the_notice_page(app, make):
    import io

    notice, buyer, winner, rival = make.publicity_notice()
    url = f"/notices/{notice.id}"
    rival_page = _client(app, rival, make)
    assert "对中选结果提出异议" in rival_page.get(url).get_data(as_text=True)
    assert "对中选结果提出异议" not in _client(app, winner, make).get(url).get_data(as_text=True)
    r = rival_page.post(
        f"{url}/objections",
        data={"reasons": REASONS, "files": (io.BytesIO(make.PDF_BYTES), "测算.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    (objection,) = notice.objections
    assert objection.documents[0].filename == "测算.pdf"

    # Everyone sees that there is an objection; only the parties and regulators see why.
    public = app.test_client().get(url).get_data(as_text=True)
    assert "待采购人答复" in public and REASONS not in public
    assert REASONS in _client(app, winner, make).get(url).get_data(as_text=True)
    buyer_client = _client(app, buyer, make)
    assert REASONS in buyer_client.get(url).get_data(as_text=True)
    r = buyer_client.post(f"{url}/objections/{objection.id}/answer", data={"answer": "已核实"})
    assert r.status_code == 302 and objection.status == "answered"

    regulator = _client(app, make.regulator_for(notice), make)
    page = regulator.post(
        f"{url}/objections/{objection.id}/decide", data={"outcome": "rejected", "decision": ""}
    )
    assert page.status_code == 422 and "请填写处理决定及理由" in page.get_data(as_text=True)
    assert objection.is_open
    r = regulator.post(
        f"{url}/objections/{objection.id}/decide",
        data={"outcome": "rejected", "decision": "经核查，报价合理"},
    )
    assert r.status_code == 302
    public = app.test_client().get(url).get_data(as_text=True)
    assert "异议不成立" in public and "经核查，报价合理" in public and REASONS not in public


def test_another_department_gets_403_on_the_decision_form_whatever_it_sends(app, make):
    notice, buyer, winner, rival = make.publicity_notice()
    objection = services.file_objection(rival, notice, REASONS)
    other = _client(app, make.staff("regulator", "住房城乡建设部门"), make)
    url = f"/notices/{notice.id}/objections/{objection.id}/decide"
    for data in ({}, {"outcome": "rejected", "decision": ""}, {"decision": "不成立"}):
        page = other.post(url, data=data)
        assert page.status_code == 403, data
        assert "生态环境部门" in page.get_data(as_text=True)
    assert objection.is_open


def test_outsiders_get_403_on_objecting_and_answering_whatever_they_send(app, make):
    notice, buyer, winner, rival = make.publicity_notice()
    objection = services.file_objection(rival, notice, REASONS)
    too_long = "理" * 5001  # refused on the forms, were they read
    url = f"/notices/{notice.id}/objections"
    stranger = _client(app, make.agency(), make)
    assert stranger.post(url, data={"reasons": too_long}).status_code == 403
    other_buyer = _client(app, make.purchaser(), make)
    answer = other_buyer.post(f"{url}/{objection.id}/answer", data={"answer": too_long})
    assert answer.status_code == 403
    assert notice.objections == [objection] and objection.status == "open"


def test_a_late_objection_through_the_page_says_why(app, make, frozen_clock):
    notice, buyer, winner, rival = make.publicity_notice()
    frozen_clock.set(notice.publicity_end_dt + timedelta(minutes=1))
    page = _client(app, rival, make).post(
        f"/notices/{notice.id}/objections", data={"reasons": REASONS}
    )
    assert page.status_code == 422
    assert "公示期已结束，不能再提出异议" in page.get_data(as_text=True)
    assert notice.objections == []
