"""The inbox's filters (/inbox): by kind and by read state, in the address, paginated, an
empty state per filter, bad values noted and ignored."""

import re

import pytest

from market.notifications.services import mark_read, notify


def titles(page: str) -> list[str]:
    return re.findall(r'<span class="(?:fw-bold)?">([^<]+)</span>', page)


def notes(page: str) -> list[str]:
    return re.findall(r'filter-note">([^<]+)</div>', page)


def inbox(client, **query) -> str:
    response = client.get("/inbox", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def member(make, auth, db):
    """An agency with four notifications: two of credit (one read), one question, one
    payment (read); signed in."""
    user = make.agency()
    org = user.organisation.id
    notify(org, "credit", "信用记录甲", "待认定", "/credit")
    read_credit = notify(org, "credit", "信用记录乙", "已认定", "/credit")
    notify(org, "question", "答疑丙", "采购人已答复", "")
    paid = notify(org, "payment_confirmed", "确认收款丁", "已确认", "")
    db.session.flush()
    mark_read(read_credit)
    mark_read(paid)
    auth.login(user)
    return user


def test_the_inbox_filters_by_kind_and_read_state(client, member):
    # unread first, then the newest
    assert titles(inbox(client)) == ["答疑丙", "信用记录甲", "确认收款丁", "信用记录乙"]
    assert titles(inbox(client, kind="credit")) == ["信用记录甲", "信用记录乙"]
    assert titles(inbox(client, status="unread")) == ["答疑丙", "信用记录甲"]
    assert titles(inbox(client, status="read")) == ["确认收款丁", "信用记录乙"]
    assert titles(inbox(client, status="all")) == titles(inbox(client))
    assert titles(inbox(client, kind="credit", status="read")) == ["信用记录乙"]
    assert titles(inbox(client, kind="credit", status="unread")) == ["信用记录甲"]
    assert titles(inbox(client, kind="payment_confirmed")) == ["确认收款丁"]
    page = inbox(client, kind="credit", status="read")
    assert '<option value="credit" selected>信用记录</option>' in page
    assert 'id="f-status-read" value="read" checked' in page
    # the payments' kinds have their names too
    assert "确认收款</span>" in inbox(client, kind="payment_confirmed")


def test_bad_values_are_ignored_with_a_note(client, member):
    page = inbox(client, kind="<script>", status="maybe")
    assert notes(page) == ["未知的消息类型，已显示全部类型。", "未知的阅读状态，已显示全部消息。"]
    assert titles(page) == ["答疑丙", "信用记录甲", "确认收款丁", "信用记录乙"]
    assert "<script>" not in page


def test_each_filter_says_when_it_is_empty(client, member):
    assert "没有「答疑澄清」类已读消息。可以改选「全部」或「未读」查看。" in inbox(
        client, kind="question", status="read"
    )
    assert "没有「异议」类消息。可以改选其他消息类型，或清除筛选查看全部消息。" in inbox(
        client, kind="objection"
    )
    assert "没有「确认收款」类未读消息，需要处理的都已读过。" in inbox(
        client, kind="payment_confirmed", status="unread"
    )
    empty = inbox(client, kind="objection")
    assert 'id="empty-clear"' in empty and 'href="/inbox"' in empty


def test_everything_read_says_so(client, member):
    client.post("/inbox/read-all")
    page = inbox(client, status="unread")
    assert "没有未读消息，需要处理的都已读过。可以改选「全部」或「已读」查看以前的消息。" in page


def test_the_pager_keeps_the_filters(client, app, monkeypatch, member):
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    first = inbox(client, kind="credit")
    assert titles(first) == ["信用记录甲"] and "共 2 条，第 1/2 页" in first
    links = re.findall(r'class="page-link" href="([^"]+)"', first)
    page_two = next(link for link in links if link.endswith("page=2")).replace("&amp;", "&")
    assert "kind=credit" in page_two
    second = client.get(page_two).get_data(as_text=True)
    assert titles(second) == ["信用记录乙"] and "共 2 条，第 2/2 页" in second


def test_marking_one_read_goes_back_to_the_filtered_list(client, member, db):
    page = inbox(client, kind="credit", status="unread")
    (notification_id,) = re.findall(r'action="/inbox/(\d+)/read"', page)
    response = client.post(
        f"/inbox/{notification_id}/read", data={"kind": "credit", "status": "unread"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox?kind=credit&status=unread"
    assert "没有「信用记录」类未读消息" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    # values it does not know are left out
    other = re.findall(r'action="/inbox/(\d+)/read"', inbox(client))[0]
    response = client.post(f"/inbox/{other}/read", data={"kind": "nope", "status": "x"})
    assert response.headers["Location"] == "/inbox"


def test_another_organisation_sees_none_of_them(client, auth, make, member):
    auth.logout()
    auth.login(make.agency())
    assert titles(inbox(client, kind="credit")) == []
    assert titles(inbox(client, status="read")) == []
