"""The procurement pages: every page renders for its audience; bad input gets Chinese messages."""

from datetime import timedelta

import pytest

from market.core.clock import to_local
from market.procurement.models import Bid, Notice


def _login(app, user, make):
    client = app.test_client()
    assert (
        client.post("/login", data={"email": user.email, "password": make.PASSWORD}).status_code
        == 302
    )
    return client


def _form(make, frozen_clock, **overrides):
    data = {
        "item_id": make.item("ZJ012").id,
        "title": "鱼复工业园环评",
        "scope": "编制报告书",
        "ceiling": "80000",
        "service_days": "30",
        "deadline": to_local(frozen_clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "王五",
        "contact_phone": "13900001111",
    }
    data.update(overrides)
    return data


def test_public_list_filters_by_state_and_hides_drafts(client, make):
    open_notice = make.notice(title="公开的公告")
    make.notice(publish=False, title="尚未发布的草稿")
    page = client.get("/notices/").get_data(as_text=True)
    assert "公开的公告" in page and "尚未发布的草稿" not in page
    failed = client.get("/notices/?state=failed").get_data(as_text=True)
    assert "公开的公告" not in failed
    assert open_notice.title in client.get("/notices/?state=published").get_data(as_text=True)


def test_draft_is_404_for_everyone_but_its_owner(app, client, make):
    draft = make.notice(publish=False)
    assert client.get(f"/notices/{draft.id}").status_code == 404
    assert _login(app, make.purchaser(), make).get(f"/notices/{draft.id}").status_code == 404
    owner = _login(app, draft.created_by, make).get(f"/notices/{draft.id}")
    assert owner.status_code == 200 and "发布" in owner.get_data(as_text=True)


def test_unknown_notice_is_a_chinese_404(client):
    response = client.get("/notices/999999")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_new_notice_form_prefills_the_earliest_deadline(app, make):
    client = _login(app, make.purchaser(), make)
    page = client.get("/notices/new").get_data(as_text=True)
    assert 'value="2026-11-27T10:00"' in page  # Tuesday 10:00 + 3 working days
    assert "ZJ033" not in page  # published but not online: not offered


def test_create_edit_and_publish_through_the_pages(app, make, frozen_clock, db):
    buyer = make.purchaser()
    client = _login(app, buyer, make)
    response = client.post("/notices/new", data=_form(make, frozen_clock))
    assert response.status_code == 302
    notice = db.session.query(Notice).filter_by(purchaser_org_id=buyer.organisation.id).one()
    assert notice.ceiling_fen == 80_000_00 and notice.state == "draft"
    edit_page = client.get(f"/notices/{notice.id}/edit").get_data(as_text=True)
    assert 'value="80000.00"' in edit_page
    client.post(f"/notices/{notice.id}/edit", data=_form(make, frozen_clock, ceiling="85000.5"))
    assert notice.ceiling_fen == 85_000_50
    follow = client.post(f"/notices/{notice.id}/publish", follow_redirects=True)
    assert "公告已发布" in follow.get_data(as_text=True) and notice.state == "published"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ceiling": "abc"}, "金额格式不正确"),
        ({"ceiling": "100.001"}, "最多保留两位小数"),
        ({"ceiling": "-5"}, "金额必须大于 0"),
        ({"deadline": "明天"}, "请填写有效的截止时间"),
        ({"service_days": "0"}, "应为 1–730 天"),
        ({"title": ""}, "请填写此项"),
    ],
)
def test_bad_notice_form_input_is_explained_in_chinese(
    app, make, frozen_clock, db, overrides, message
):
    client = _login(app, make.purchaser(), make)
    before = db.session.query(Notice).count()
    response = client.post("/notices/new", data=_form(make, frozen_clock, **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.query(Notice).count() == before


def test_posting_an_item_that_is_not_online_is_refused(app, make, frozen_clock, db):
    client = _login(app, make.purchaser(), make)
    before = db.session.query(Notice).count()
    response = client.post(
        "/notices/new", data=_form(make, frozen_clock, item_id=make.item("ZJ033").id)
    )
    assert "「房地产估价」目前为「已公布」状态，尚未上线" in response.get_data(as_text=True)
    assert db.session.query(Notice).count() == before


def test_agency_cannot_open_the_notice_form(app, make):
    response = _login(app, make.agency(), make).get("/notices/new")
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/notices/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bid_form_errors_are_shown_and_nothing_is_saved(app, make, db):
    notice = make.notice(ceiling_fen=50_000_00)
    client = _login(app, make.agency(), make)
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "50000.01"})
    assert response.status_code == 422
    assert "报价不得高于最高限价 ¥50,000.00" in response.get_data(as_text=True)
    assert db.session.query(Bid).count() == 0


def test_bid_after_the_deadline_gets_a_clear_message(app, make, frozen_clock, db):
    notice = make.notice()
    client = _login(app, make.agency(), make)
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=5))
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "1000"})
    assert "已截止报价" in response.get_data(as_text=True)
    assert db.session.query(Bid).count() == 0


def test_second_bid_through_the_page_is_refused(app, make, db):
    notice = make.notice()
    agency = make.agency()
    client = _login(app, agency, make)
    assert client.post(f"/notices/{notice.id}/bid", data={"amount": "1000"}).status_code == 302
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "900"})
    assert "已对该公告提交过报价" in response.get_data(as_text=True)
    assert [b.amount_fen for b in notice.bids] == [1000_00]


def test_selecting_on_someone_elses_notice_is_403_and_changes_nothing(app, make):
    notice = make.notice()
    bid = make.bid(make.agency(), notice)
    make.close_bidding(notice)
    intruder = _login(app, make.purchaser(), make)
    response = intruder.post(
        f"/notices/{notice.id}/selection", data={"bid_id": bid.id, "reason": "抢先"}
    )
    assert response.status_code == 403
    assert "只能操作本单位发布的采购公告" in response.get_data(as_text=True)
    assert notice.state == "bidding_closed" and bid.status == "submitted"


def test_select_without_reason_says_what_is_missing_beside_the_choice(app, make):
    notice = make.notice()
    bid = make.bid(make.agency(), notice)
    make.close_bidding(notice)
    client = _login(app, notice.created_by, make)
    response = client.post(f"/notices/{notice.id}/selection", data={"bid_id": bid.id, "reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写选取理由" in page
    # the choice stays open on the refused bid, with the message under its reason field
    assert f'class="collapse show" id="select-{bid.id}"' in page
    assert notice.state == "bidding_closed"


def test_cancel_through_the_page(app, make):
    notice = make.notice()
    client = _login(app, notice.created_by, make)
    page = client.post(
        f"/notices/{notice.id}/cancel",
        data={"reason": "规划调整", "confirm": "y"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "公告已撤销" in page and notice.state == "cancelled" and "规划调整" in page


def test_evaluation_form_requires_every_dimension(app, make):
    from market.procurement.services import mark_delivered

    notice, buyer, winner = make.contracted_notice()
    mark_delivered(winner, notice, "报告书")
    client = _login(app, buyer, make)
    response = client.post(f"/notices/{notice.id}/accept", data={"quality": "5"})
    assert response.status_code == 422
    assert "请为“服务时效”打分" in response.get_data(as_text=True)
    assert notice.state == "delivered"


def test_workspace_pages_for_each_role(app, make):
    buyer = make.purchaser()
    notice = make.notice(buyer, title="北碚片区环评")
    agency = make.agency()
    make.bid(agency, notice, 12_345_00)
    mine = _login(app, buyer, make).get("/purchaser/notices").get_data(as_text=True)
    assert "北碚片区环评" in mine
    agency_client = _login(app, agency, make)
    assert "北碚片区环评" in agency_client.get("/agency/opportunities").get_data(as_text=True)
    bids_page = agency_client.get("/agency/bids").get_data(as_text=True)
    assert "¥12,345.00" in bids_page
    assert f'<a href="/notices/{notice.id}">北碚片区环评</a>' in bids_page
    other = _login(app, make.agency(items=("ZJ010",)), make)
    assert "北碚片区环评" not in other.get("/agency/opportunities").get_data(as_text=True)


def test_empty_workspaces_say_what_to_do_next(app, make):
    assert "点击右上角" in _login(app, make.purchaser(), make).get("/purchaser/notices").get_data(
        as_text=True
    )
    assert "我的服务" in _login(app, make.agency(), make).get("/agency/opportunities").get_data(
        as_text=True
    )


def test_timeline_shows_public_steps_but_not_sealed_bids(app, client, make):
    notice = make.notice()
    make.bid(make.agency(), notice)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "公告发布" in page and "submitted" not in page


def test_notice_list_costs_the_same_queries_for_few_or_many_rows(client, make, db):
    from sqlalchemy import event

    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    def queries_for_list():
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/notices/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    make.notice()
    few = queries_for_list()
    for _ in range(6):
        make.notice(make.purchaser(), code="ZJ010")
    assert queries_for_list() == few
