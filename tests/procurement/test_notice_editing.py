"""Publishing (the draw salt), editing a published notice (bids invalidated, stale forms
refused), cancelling with a reason, and re-publishing a failed notice in one click."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from market.agencies.models import Agency
from market.core.audit import events_for
from market.core.clock import to_local
from market.core.errors import NotAllowed, ServiceError
from market.core.models import AuditEvent
from market.procurement import messages, services
from market.procurement.models import Avoidance, Notice
from market.procurement.notices import FIELDS
from market.procurement.runner import apply_due
from market.procurement.states import transition

STALE = "公告已被他人修改，请刷新后重新编辑"


def login(app, user, make):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    return client


def event_count(db):
    return db.session.scalar(select(func.count()).select_from(AuditEvent))  # untouched on refusal


def later(notice, days=2):
    return dict(deadline=notice.deadline_dt + timedelta(days=days))  # a real change


@pytest.fixture
def receiver(monkeypatch):
    calls = []  # every message sent to the bidders of an edited notice

    def record(sender, **kwargs):
        calls.append((sender, kwargs))

    monkeypatch.setattr(messages, "bids_invalidated", record)
    return calls


# --- publishing --------------------------------------------------------------------------------


def test_publishing_fixes_and_shows_the_draw_salt(client, make):
    notice = make.notice(publish=False)
    assert notice.draw_salt == ""
    services.publish_notice(notice.created_by, notice)
    assert re.fullmatch(r"[0-9a-f]{32}", notice.draw_salt)
    (published,) = [e for e in events_for("notice", notice.id) if e.to_state == "published"]
    assert published.data["draw_salt"] == notice.draw_salt
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "随机种子公开值" in page and notice.draw_salt in page


def test_each_notice_gets_its_own_salt_and_a_published_notice_is_not_published_again(make):
    first, second = make.notice(), make.notice()
    assert first.draw_salt != second.draw_salt
    salt = first.draw_salt
    with pytest.raises(ServiceError, match="公告当前为「报价中」，不能发布"):
        services.publish_notice(first.created_by, first)
    assert first.draw_salt == salt


# --- editing a published notice ----------------------------------------------------------------


def test_editing_a_published_notice_invalidates_every_bid_and_tells_the_bidders(make, db, receiver):
    notice = make.notice()
    a, b = make.agency(), make.agency()
    bid_a, bid_b = make.bid(a, notice, 80_000_00), make.bid(b, notice, 85_000_00)
    changed = services.update_notice(
        notice.created_by,
        notice,
        make.notice_data(scope="编制环境影响报告书及技术评估", **later(notice)),
    )
    assert changed and notice.revision == 2
    assert bid_a.status == bid_b.status == "invalidated"
    assert notice.due_dt == notice.deadline_dt  # the runner waits for the new deadline
    assert receiver == [
        (notice, {"agency_org_ids": sorted([a.organisation.id, b.organisation.id])})
    ]
    (revised,) = [e for e in events_for("notice", notice.id) if e.action == "revised"]
    assert revised.public and revised.data["revision"] == 2
    assert revised.data["summary"] == "公告已修改（第 2 版），已提交的报价需重新确认"
    assert set(revised.data["changed"]) == {"scope", "deadline_dt"}


def test_the_public_record_of_an_edit_does_not_reveal_whether_anyone_bid(make, receiver):
    quiet, busy = make.notice(), make.notice()
    make.bid(make.agency(), busy)
    for notice in (quiet, busy):
        services.update_notice(notice.created_by, notice, make.notice_data(**later(notice)))
    data = [
        next(e.data for e in events_for("notice", n.id) if e.action == "revised")
        for n in (quiet, busy)
    ]
    assert data[0] == data[1]
    assert [sender for sender, _ in receiver] == [busy]  # only bidders are told


def test_a_second_edit_asks_again_and_each_edit_is_a_new_revision(make, receiver):
    notice = make.notice()
    agency = make.agency()
    make.bid(agency, notice)
    services.update_notice(notice.created_by, notice, make.notice_data(**later(notice, 1)))
    services.update_notice(notice.created_by, notice, make.notice_data(**later(notice, 1)))
    assert notice.revision == 3
    assert [kw["agency_org_ids"] for _, kw in receiver] == [[agency.organisation.id]] * 2


def test_saving_without_a_change_is_not_an_edit(make, db, receiver):
    notice = make.notice()
    bid = make.bid(make.agency(), notice)
    before = event_count(db)
    data = make.notice_data(deadline=notice.deadline_dt)
    assert services.update_notice(notice.created_by, notice, data) is False
    assert notice.revision == 1 and bid.status == "submitted"
    assert event_count(db) == before and receiver == []


def test_the_deadline_must_again_leave_three_working_days_from_the_edit(
    make, db, frozen_clock, receiver
):
    notice = make.notice()  # deadline: 5 working days from Tuesday 2026-11-24
    bid = make.bid(make.agency(), notice)
    frozen_clock.set(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))  # Friday 10:00
    before = event_count(db)
    # The deadline, Tuesday 12-01 10:00, is only 2 working days after Friday: an edit of the
    # scope alone must also move it.
    assert to_local(notice.deadline_dt).replace(tzinfo=None) == datetime(2026, 12, 1, 10, 0)
    kept = make.notice_data(scope="补充技术评估", deadline=notice.deadline_dt)
    with pytest.raises(ServiceError, match="最早可设为 2026-12-02 10:00") as err:
        services.update_notice(notice.created_by, notice, kept)
    assert err.value.field == "deadline"
    assert (
        notice.revision == 1 and bid.status == "submitted" and notice.scope == "编制环境影响报告书"
    )
    assert event_count(db) == before and receiver == []
    wednesday = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    moved = make.notice_data(scope="补充技术评估", deadline=wednesday)
    assert services.update_notice(notice.created_by, notice, moved)
    assert notice.revision == 2 and notice.due_dt == wednesday


def test_a_published_notice_keeps_its_item(make, db):
    notice = make.notice()
    before = event_count(db)
    with pytest.raises(ServiceError, match="已发布的公告不能更换服务事项") as err:
        services.update_notice(notice.created_by, notice, make.notice_data(code="ZJ018"))
    assert err.value.field == "item_id" and notice.item.code == "ZJ012"
    assert event_count(db) == before


def test_no_edit_after_the_deadline_nor_by_another_purchaser(make, db):
    notice = make.notice()
    with pytest.raises(NotAllowed):
        services.update_notice(make.purchaser(), notice, make.notice_data(**later(notice)))
    make.bid(make.agency(), notice)
    make.close_bidding(notice)
    assert notice.state == "bidding_closed"
    with pytest.raises(ServiceError, match="公告当前为「报价已截止」，只有草稿或报价截止前"):
        services.update_notice(notice.created_by, notice, make.notice_data(title="改标题"))
    assert notice.revision == 1


def test_a_stale_revision_is_refused_and_nothing_changes(make, db, receiver):
    notice = make.notice()
    bid = make.bid(make.agency(), notice)
    services.update_notice(notice.created_by, notice, make.notice_data(title="第二版标题"), 1)
    receiver.clear()
    before = event_count(db)
    with pytest.raises(ServiceError, match=STALE):
        services.update_notice(notice.created_by, notice, make.notice_data(title="旧表单"), 1)
    assert notice.title == "第二版标题" and notice.revision == 2
    assert bid.status == "invalidated" and receiver == [] and event_count(db) == before


def form_of(page):
    """The edit form's inputs as the browser would send them back."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    data.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?([^<]*)</textarea>', page))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    data.pop("requires_qualification", None)  # an unticked box sends nothing
    data.pop("remove_invitation", None)
    return data


def test_the_edit_page_refuses_a_form_opened_before_someone_else_saved(app, make, db):
    notice = make.notice(title="原标题")
    bid = make.bid(make.agency(), notice)
    client = login(app, notice.created_by, make)
    page = client.get(f"/notices/{notice.id}/edit").get_data(as_text=True)
    assert 'name="revision" type="hidden" value="1"' in page
    assert "此前提交的报价全部失效" in page
    mine = form_of(page)
    # A colleague saves a change in the meantime.
    services.update_notice(notice.created_by, notice, make.notice_data(title="同事改的标题"))
    mine["title"] = "我改的标题"
    response = client.post(f"/notices/{notice.id}/edit", data=mine)
    assert response.status_code == 200 and STALE in response.get_data(as_text=True)
    assert notice.title == "同事改的标题" and notice.revision == 2
    assert bid.status == "invalidated"


def test_editing_through_the_page_shows_the_new_revision(app, make, client):
    notice = make.notice(title="原标题")
    bid = make.bid(make.agency(), notice)
    owner = login(app, notice.created_by, make)
    data = form_of(owner.get(f"/notices/{notice.id}/edit").get_data(as_text=True))
    data["title"] = "新标题"
    response = owner.post(f"/notices/{notice.id}/edit", data=data, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "公告已修改（第 2 版）；此前提交的报价均已失效" in text
    assert notice.title == "新标题" and bid.status == "invalidated"
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "第 2 版" in public
    unchanged = owner.post(f"/notices/{notice.id}/edit", data={**data, "revision": "2"})
    assert unchanged.status_code == 302 and notice.revision == 2


def test_the_purchaser_sees_the_edit_button_only_while_bidding_is_open(app, make):
    notice = make.notice()
    owner = login(app, notice.created_by, make)
    page = owner.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/notices/{notice.id}/edit"' in page and "修改公告" in page
    make.bid(make.agency(), notice)
    make.close_bidding(notice)
    page = owner.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/notices/{notice.id}/edit"' not in page
    response = owner.get(f"/notices/{notice.id}/edit", follow_redirects=True)
    assert "公告当前为「报价已截止」，不能修改" in response.get_data(as_text=True)


# --- cancelling -----------------------------------------------------------------------------------


def cancel_event(notice):
    return next(e for e in events_for("notice", notice.id) if e.to_state == "cancelled")


def test_a_draft_and_a_published_notice_are_cancelled_with_their_reason(make):
    for publish in (False, True):
        notice = make.notice(publish=publish)
        services.cancel_notice(notice.created_by, notice, "项目调整")
        assert notice.state == "cancelled" and notice.outcome_note == "项目调整"
        assert cancel_event(notice).data == {"reason": "项目调整"}


def test_cancelling_after_the_deadline_abandons_the_selection(app, make):
    notice = make.notice()
    make.bid(make.agency(), notice)
    make.close_bidding(notice)
    owner = login(app, notice.created_by, make)
    page = owner.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "放弃选取并撤销" in page and "可能影响本单位信用" in page
    response = owner.post(
        f"/notices/{notice.id}/cancel",
        data={"reason": "项目资金未落实", "confirm": "y"},
        follow_redirects=True,
    )
    assert "公告已撤销" in response.get_data(as_text=True)
    assert notice.state == "cancelled"
    assert cancel_event(notice).data == {"reason": "项目资金未落实", "abandoned": True}


@pytest.mark.parametrize(
    "reason, message",
    [
        ("资金\x00未落实", "不能包含控制字符或不可见的文字方向符号"),
        ("资金\u202e未落实", "不能包含控制字符或不可见的文字方向符号"),
        ("长" * 1001, "撤销原因不能超过 1000 字"),
        ("", "请填写撤销原因"),
    ],
)
def test_a_cancel_reason_goes_through_its_form(app, make, reason, message):
    """The reason is the form's field: its checks apply (PostgreSQL refused a NUL with a 500)."""
    notice = make.notice()
    owner = login(app, notice.created_by, make)
    response = owner.post(
        f"/notices/{notice.id}/cancel",
        data={"reason": reason, "confirm": "y"},
        follow_redirects=True,
    )
    assert message in response.get_data(as_text=True)
    assert notice.state == "published" and notice.outcome_note == ""
    outsider = login(app, make.purchaser(), make)
    assert outsider.post(f"/notices/{notice.id}/cancel", data={"reason": reason}).status_code == 403


def test_cancelling_asks_for_confirmation_first(app, make):
    notice = make.notice()
    owner = login(app, notice.created_by, make)
    page = owner.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "我确认撤销：撤销后不能恢复" in page
    response = owner.post(
        f"/notices/{notice.id}/cancel", data={"reason": "项目资金未落实"}, follow_redirects=True
    )
    assert "请勾选确认撤销" in response.get_data(as_text=True)
    assert notice.state == "published"


def failed_notice(make, buyer=None, **overrides):
    notice = make.notice(buyer, **overrides)
    make.close_bidding(notice)  # nobody quoted: 流标
    assert notice.state == "failed"
    return notice


@pytest.mark.parametrize("state", ["failed", "cancelled", "publicity"])
def test_cancelling_is_refused_in_other_states(make, db, state):
    notice = make.notice()
    if state == "failed":
        make.close_bidding(notice)
    elif state == "cancelled":
        services.cancel_notice(notice.created_by, notice, "项目调整")
    else:
        make.bid(make.agency(), notice)
        make.close_bidding(notice)
        transition(notice, "selected", notice.created_by)
        transition(notice, "publicity", None)
    label = notice.state_label
    before = event_count(db)
    with pytest.raises(ServiceError, match=f"公告当前为「{label}」，不能撤销"):
        services.cancel_notice(notice.created_by, notice, "再撤销一次")
    assert notice.state == state and event_count(db) == before


def test_cancelling_needs_the_owner_and_a_reason(make, db):
    notice = make.notice()
    with pytest.raises(NotAllowed):
        services.cancel_notice(make.purchaser(), notice, "不是我的公告")
    with pytest.raises(ServiceError, match="请填写撤销原因"):
        services.cancel_notice(notice.created_by, notice, "   ")
    assert notice.state == "published"


# --- re-publishing a failed notice --------------------------------------------------------------


def test_republishing_copies_everything_with_a_deadline_after_the_national_day_week(
    app, make, db, frozen_clock, client
):
    frozen_clock.set(datetime(2026, 9, 21, 2, 0, tzinfo=UTC))  # Monday 10:00
    buyer = make.purchaser()
    avoided = make.agency(org_name="重庆关联环评有限公司")
    attachment = make.document(buyer, kind="notice", title="采购需求书")
    notice = make.notice(
        buyer,
        deadline=services.earliest_deadline(),
        project_code="2101-500112-04-01-123456",
        fiscal_share_pct=40,
        method="lowest",
        floor_fen=50_000_00,
        method_reason="价格透明",
        contact_name="赵六",
        avoidances=[(avoided.organisation.id, "与建设单位存在股权关系")],
        attachment_ids=[attachment.id],
    )
    frozen_clock.set(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))  # Monday before National Day
    failed = db.session.get(Notice, notice.id)
    apply_due(failed)
    assert failed.state == "failed"

    owner = login(app, buyer, make)
    response = owner.post(f"/notices/{failed.id}/republish")
    assert response.status_code == 302
    copy = services.republished_as(failed)
    assert response.headers["Location"] == f"/notices/{copy.id}"
    # Tue 29, Wed 30 September, then the holiday 1–7 October: the third working day is 8 October.
    assert to_local(copy.deadline_dt) == datetime(
        2026, 10, 8, 10, 0, tzinfo=to_local(copy.deadline_dt).tzinfo
    )
    assert copy.state == "published" and copy.published_dt == frozen_clock.now
    assert copy.republished_from_id == failed.id
    assert copy.draw_salt and copy.draw_salt != failed.draw_salt
    for name in FIELDS:
        if name != "deadline_dt":
            assert getattr(copy, name) == getattr(failed, name), name
    assert copy.item_id == failed.item_id and copy.revision == 1
    assert [(a.agency_org_id, a.reason) for a in copy.avoidances] == [
        (avoided.organisation.id, "与建设单位存在股权关系")
    ]
    assert [d.id for d in copy.attachments] == [attachment.id]
    assert db.session.scalar(select(func.count()).select_from(Avoidance)) == 2

    old_page = client.get(f"/notices/{failed.id}").get_data(as_text=True)
    assert f'<a href="/notices/{copy.id}">公告 {copy.id}（报价中）</a>' in old_page
    new_page = client.get(f"/notices/{copy.id}").get_data(as_text=True)
    assert f'<a href="/notices/{failed.id}">公告 {failed.id}（流标）</a>' in new_page
    (republished,) = [e for e in events_for("notice", failed.id) if e.action == "republished"]
    assert republished.data == {"notice_id": copy.id}
    (published,) = [e for e in events_for("notice", copy.id) if e.to_state == "published"]
    assert published.data["republished_from"] == failed.id


def test_a_failed_notice_is_republished_once_and_only_failed_ones(make, db):
    failed = failed_notice(make)
    copy = services.republish_notice(failed.created_by, failed)
    with pytest.raises(ServiceError, match=f"该公告已重新发布为公告 {copy.id}"):
        services.republish_notice(failed.created_by, failed)
    with pytest.raises(ServiceError, match="公告当前为「报价中」，只有流标的公告可以重新发布"):
        services.republish_notice(copy.created_by, copy)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 2


def test_only_the_owner_republishes_and_the_button_shows_until_done(app, make, db):
    failed = failed_notice(make)
    stranger = login(app, make.purchaser(), make)
    assert stranger.post(f"/notices/{failed.id}/republish").status_code == 403
    assert services.republished_as(failed) is None
    owner = login(app, failed.created_by, make)
    assert "一键重新发布" in owner.get(f"/notices/{failed.id}").get_data(as_text=True)
    owner.post(f"/notices/{failed.id}/republish")
    page = owner.get(f"/notices/{failed.id}").get_data(as_text=True)
    assert "一键重新发布" not in page and "已重新发布为" in page


def test_republishing_rechecks_the_invitation(app, make, db):
    invited = make.agency(org_name="重庆受邀环评有限公司")
    failed = failed_notice(make, ceiling_fen=50_000_00, invited_org_id=invited.organisation.id)
    db.session.get(Agency, invited.organisation.id).blacklisted = True
    owner = login(app, failed.created_by, make)
    response = owner.post(f"/notices/{failed.id}/republish", follow_redirects=True)
    assert "不能直接邀请「重庆受邀环评有限公司」" in response.get_data(as_text=True)
    assert services.republished_as(failed) is None


def test_a_draft_cancelled_before_publication_never_becomes_public(client, auth, make):
    buyer = make.purchaser()
    draft = make.notice(buyer, publish=False, title="从未发布的采购草稿")
    services.cancel_notice(buyer, draft, "项目取消")
    assert client.get(f"/notices/{draft.id}").status_code == 404
    assert "从未发布的采购草稿" not in client.get("/notices/").get_data(as_text=True)
    auth.login(buyer)
    assert client.get(f"/notices/{draft.id}").status_code == 200  # its purchaser still sees it
