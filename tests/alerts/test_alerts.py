"""Subscriptions (订阅): saved search words and followed items mail matching notices at once
or in the daily digest after 07:30 Beijing time; a followed notice is reminded one working
day before its deadline; the page keeps them."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from market.alerts import services as alerts
from market.alerts.models import Subscription
from market.catalogue.services import get_item_by_code
from market.core.models import OutgoingMail


def _mails(db, to):
    """The subscription mails queued for `to` (an agency offering the item also gets the
    inbox's own mail of each new notice: not these)."""
    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    return [
        (r.subject, r.body)
        for r in rows
        if to in r.recipients and ("订阅" in r.body or "即将截止报价" in r.subject)
    ]


def test_saved_words_mail_a_matching_notice_at_once(db, make):
    agency = make.agency()
    alerts.save_search(agency, "礼嘉  公园", None, "instant")
    make.notice(title="礼嘉智慧公园环境影响评价服务采购")
    make.notice(title="两江新区道路水土保持方案编制", code="ZJ005")
    assert _mails(db, agency.email) == []  # matched by the worker, not while publishing
    assert alerts.match_published() == 1
    mails = _mails(db, agency.email)
    assert [subject for subject, _ in mails] == [
        "【网上中介超市】新的匹配公告：礼嘉智慧公园环境影响评价服务采购"
    ]
    body = mails[0][1]
    assert "ZJ012" in body and "报价截止" in body and "保存的搜索「礼嘉 公园」" in body
    assert "/notices/" in body and "/alerts/" in body


def test_words_are_matched_whatever_their_width_or_case(db, make):
    agency = make.agency()
    alerts.save_search(agency, "ＺＪ０１２", None, "instant")  # full-width, as typed on a phone
    make.notice()
    alerts.match_published()
    assert len(_mails(db, agency.email)) == 1


def test_a_followed_item_is_digested_once_a_day_after_0730(db, make, frozen_clock):
    agency = make.agency()
    alerts.follow_item(agency, get_item_by_code("ZJ012"), "daily")
    frozen_clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))  # 06:00 Beijing, the 25th
    make.notice(title="第一条公告")
    make.notice(title="第二条公告")
    make.notice(title="另一事项的公告", code="ZJ005")
    assert alerts.match_published() == 2
    assert _mails(db, agency.email) == []  # nothing at once
    assert alerts.send_digests() == 0  # before 07:30
    frozen_clock.set(datetime(2026, 11, 24, 23, 31, tzinfo=UTC))  # 07:31 Beijing
    assert alerts.send_digests() == 1
    ((subject, body),) = _mails(db, agency.email)
    assert subject == "【网上中介超市】今日订阅汇总（2 条新公告）"
    assert "第一条公告" in body and "第二条公告" in body and "另一事项的公告" not in body
    make.notice(title="第三条公告")
    assert alerts.match_published() == 1
    assert alerts.send_digests() == 0  # today's digest went out: tomorrow's
    frozen_clock.set(datetime(2026, 11, 25, 23, 31, tzinfo=UTC))  # 07:31 the next day
    assert alerts.send_digests() == 1
    assert "第三条公告" in _mails(db, agency.email)[-1][1]


def test_a_followed_notice_is_reminded_one_working_day_before_its_deadline(db, make, frozen_clock):
    notice = make.notice()  # quotes until 5 working days from now
    agency = make.agency()
    alerts.follow_notice(agency, notice)
    assert alerts.remind_closing() == 0
    frozen_clock.set(notice.deadline_dt - timedelta(hours=20))
    assert alerts.remind_closing() == 1
    ((subject, body),) = _mails(db, agency.email)
    assert subject == f"【网上中介超市】即将截止报价：{notice.title}"
    assert "将于" in body and "截止报价" in body
    assert alerts.remind_closing() == 0  # once


def test_a_direct_invitation_alerts_nobody_else(db, make):
    watcher = make.agency()
    alerts.follow_item(watcher, get_item_by_code("ZJ012"), "instant")
    invited = make.agency()
    make.notice(invited_org_id=invited.organisation.id, ceiling_fen=50_000_00)
    assert alerts.match_published() == 0
    assert _mails(db, watcher.email) == []


def test_the_page_saves_lists_and_deletes(client, auth, make, db):
    agency = make.agency()
    assert client.get("/alerts/").status_code == 302  # sign in first
    auth.login(agency)
    page = client.get("/alerts/?words=环评").get_data(as_text=True)
    assert "还没有订阅" in page and 'value="环评"' in page
    refused = client.post("/alerts/searches", data={"words": " ", "frequency": "daily"})
    assert refused.status_code == 422 and "请填写要订阅的关键词" in refused.get_data(as_text=True)
    assert db.session.query(Subscription).count() == 0
    assert (
        client.post("/alerts/searches", data={"words": "环评", "frequency": "daily"}).status_code
        == 302
    )
    page = client.get("/alerts/").get_data(as_text=True)
    assert "环评" in page and "每日汇总发送一次" in page
    (saved,) = db.session.query(Subscription).all()
    other = make.agency()
    auth.logout()
    auth.login(other)
    assert client.post(f"/alerts/{saved.id}/delete").status_code == 403
    auth.logout()
    auth.login(agency)
    assert client.post(f"/alerts/{saved.id}/delete").status_code == 302
    assert db.session.query(Subscription).count() == 0


def test_follow_buttons_on_the_item_and_the_notice(client, auth, make, db):
    agency = make.agency()
    notice = make.notice()
    auth.login(agency)
    assert "关注此事项" in client.get("/catalogue/ZJ012").get_data(as_text=True)
    item = get_item_by_code("ZJ012")
    client.post(f"/alerts/items/{item.id}", data={"frequency": "instant"})
    assert "关注此公告" in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    client.post(f"/alerts/notices/{notice.id}")
    assert "已关注，截止前一个工作日邮件提醒" in client.get(f"/notices/{notice.id}").get_data(
        as_text=True
    )
    kinds = sorted(s.kind for s in db.session.query(Subscription).all())
    assert kinds == ["item", "notice"]
    # the public and the notice's purchaser see no button
    auth.logout()
    assert "关注此公告" not in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    auth.login(notice.created_by)
    assert "关注此公告" not in client.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_a_notice_is_matched_once_and_not_before_the_subscription(db, make, frozen_clock):
    early = make.notice(title="订阅之前发布的公告")
    agency = make.agency()
    frozen_clock.advance(minutes=5)
    alerts.follow_item(agency, get_item_by_code("ZJ012"), "instant")
    assert alerts.match_published() == 0  # published before anyone followed the item
    frozen_clock.advance(minutes=5)
    make.notice(title="订阅之后发布的公告")
    frozen_clock.advance(minutes=1)
    assert alerts.match_published() == 1
    assert alerts.match_published() == 0  # the next round starts where this one ended
    subjects = [subject for subject, _ in _mails(db, agency.email)]
    assert subjects == ["【网上中介超市】新的匹配公告：订阅之后发布的公告"]
    assert early.title not in str(subjects)


def test_one_user_keeps_at_most_50(make, db):
    agency = make.agency()
    for n in range(50):
        alerts.save_search(agency, f"关键词{n}", None, "daily")
    try:
        alerts.save_search(agency, "第五十一个", None, "daily")
    except Exception as err:  # noqa: BLE001 (the service's refusal)
        assert "最多保存 50 项订阅" in str(err)
    else:
        raise AssertionError("the 51st subscription was kept")
