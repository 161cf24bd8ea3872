"""The audit log's filters (/supervision/audit): actor, organisation, action, days, besides the
subject's type; the states in their lifecycle's Chinese words; nothing of a quote before the
deadline, whatever the filters."""

import re
from datetime import UTC, datetime

from market.core.clock import utcnow

from ..pages import without_csrf_tokens


def audit(client, **params) -> str:
    response = client.get("/supervision/audit", query_string=params)
    assert response.status_code == 200
    return without_csrf_tokens(response.get_data(as_text=True))


def actions(page: str) -> list[str]:
    """Each row's action, in order."""
    return re.findall(
        r"</td>\s*<td data-label=\"操作\">([^<]*)</td>\s*<td data-label=\"状态变化\"", page
    )


def notes(page: str) -> list[str]:
    return re.findall(r'filter-note">([^<]+)</div>', page)


def orgs(page: str) -> list[str]:
    return re.findall(r'<td data-label="操作单位">([^<]*)</td>', page)


def registrations(make, frozen_clock):
    """Two agencies registered on two days (10:00 Shanghai), then a staff member now."""
    now = utcnow()
    frozen_clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    first = make.agency(org_name="重庆甲环保科技有限公司", items=(), contact_name="张三")
    frozen_clock.set(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    second = make.agency(
        org_name="重庆乙测绘有限公司", items=(), contact_name="李四", email="lisi@survey.cn"
    )
    frozen_clock.set(now)
    return first, second


def test_the_log_filters_by_actor_organisation_action_and_days(client, auth, make, frozen_clock):
    first, second = registrations(make, frozen_clock)
    make.qualification(first, "ZJ012", document_id=make.document(first).id)
    auth.login(make.staff())

    # the actor by any part of the name or the e-mail (case aside)
    by_name = audit(client, actor="张三")
    assert actions(by_name) == ["声明", "上传", "入驻"]
    assert orgs(by_name) == ["重庆甲环保科技有限公司"] * 3
    assert set(orgs(audit(client, actor="SURVEY.cn"))) == {"重庆乙测绘有限公司"}
    # the organisation by any part of its name
    assert set(orgs(audit(client, org="测绘"))) == {"重庆乙测绘有限公司"}
    # one action
    registered = audit(client, action="registered")
    assert actions(registered) == ["入驻", "入驻"]
    assert orgs(registered) == ["重庆乙测绘有限公司", "重庆甲环保科技有限公司"]
    assert '<option value="registered" selected>入驻</option>' in registered
    # the days it happened, both ends included (Shanghai calendar)
    assert orgs(audit(client, action="registered", to="2026-11-02")) == ["重庆甲环保科技有限公司"]
    assert orgs(audit(client, action="registered", **{"from": "2026-11-10"})) == [
        "重庆乙测绘有限公司"
    ]
    assert orgs(audit(client, **{"from": "2026-11-03", "to": "2026-11-09"})) == []
    # combined, with the subject type too
    assert orgs(audit(client, org="环保", action="registered", type="organisation")) == [
        "重庆甲环保科技有限公司"
    ]
    assert orgs(audit(client, org="环保", action="registered", type="qualification")) == []
    assert actions(audit(client, org="环保", type="qualification")) == ["声明"]


def test_wildcards_are_taken_literally(client, auth, make, frozen_clock):
    registrations(make, frozen_clock)
    auth.login(make.staff())
    assert orgs(audit(client, actor="%")) == []
    assert orgs(audit(client, org="_")) == []


def test_bad_values_are_ignored_with_a_note(client, auth, make, frozen_clock):
    registrations(make, frozen_clock)
    auth.login(make.staff())
    everything = audit(client)
    page = audit(
        client,
        type="nothing",
        action="dance",
        actor="x" * 121,
        org="\u202e环保",
        to="2026-02-30",
        **{"from": "yesterday"},
    )
    assert notes(page) == [
        "未知的对象类型，已显示全部对象。",
        "未知的操作，已显示全部操作。",
        "起始日期应为 2000–2099 年间的日期（如 2026-11-24），已忽略。",
        "截止日期应为 2000–2099 年间的日期（如 2026-11-24），已忽略。",
        "筛选条件「操作人」过长或含有无法识别的字符，已忽略。",
        "筛选条件「操作单位」过长或含有无法识别的字符，已忽略。",
    ]
    assert orgs(page) == orgs(everything)
    swapped = audit(client, action="registered", **{"from": "2026-11-10", "to": "2026-11-02"})
    assert notes(swapped) == ["起止日期颠倒了，已对调。"]
    assert orgs(swapped) == ["重庆乙测绘有限公司", "重庆甲环保科技有限公司"]


def test_the_pager_keeps_the_filters(client, auth, make, app, monkeypatch, frozen_clock):
    registrations(make, frozen_clock)
    make.purchaser(org_name="重庆丙置业有限公司")
    auth.login(make.staff())
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    first = audit(client, action="registered", type="organisation")
    assert orgs(first) == ["重庆丙置业有限公司", "重庆乙测绘有限公司"]
    assert "共 3 条，第 1/2 页" in first
    links = re.findall(r'class="page-link" href="([^"]+)"', first)
    page_two = next(link for link in links if link.endswith("page=2")).replace("&amp;", "&")
    assert "action=registered" in page_two and "type=organisation" in page_two
    second = without_csrf_tokens(client.get(page_two).get_data(as_text=True))
    assert orgs(second) == ["重庆甲环保科技有限公司"]
    assert "共 3 条，第 2/2 页" in second
    # the subject tabs keep the other filters
    assert 'href="/supervision/audit?type=agency&amp;action=registered"' in first


def test_an_empty_result_says_what_to_do(client, auth, make):
    auth.login(make.staff())
    page = audit(client, actor="没有这个人")
    assert "暂无记录：没有符合筛选条件的操作记录。可以放宽日期范围" in page
    assert 'id="clear-filters" href="/supervision/audit"' in page
    assert "暂无记录" in audit(client, type="bid")


def state_cells(page: str) -> list[str]:
    return re.findall(r'<td data-label="状态变化" class="state-change">([^<]*)</td>', page)


def test_states_read_in_their_lifecycles_words(client, auth, make):
    record, regulator, agency_user = make.confirmed_record()
    notice = make.notice()
    auth.login(regulator)
    records = audit(client, type="conduct_record")
    assert actions(records) == ["公示", "认定违规", "报告不良行为"]
    assert state_cells(records) == ["", "待认定 → 已认定", "待认定"]
    assert "confirmed" not in "".join(state_cells(records))
    assert "reported" not in "".join(state_cells(records))
    confirmed = audit(client, type="conduct_record", action="confirmed")
    assert actions(confirmed) == ["认定违规"] and state_cells(confirmed) == ["待认定 → 已认定"]
    notices = audit(client, type="notice", org=notice.purchaser.name)
    assert state_cells(notices) == ["草稿 → 报价中", ""]


def test_a_state_without_a_label_shows_its_code():
    from market.supervision.services import state_label, state_labels_by_subject

    labels = state_labels_by_subject()
    assert state_label(labels, "conduct_record", "appealed") == "复核中"
    assert state_label(labels, "conduct_record", "revoked") == "复核撤销"
    assert state_label(labels, "contract", "overdue") == "逾期未付"
    assert state_label(labels, "qualification", "verified") == "已核验"
    assert state_label(labels, "notice", "publicity") == "结果公示中"
    assert state_label(labels, "conduct_record", "limbo") == "limbo"
    assert state_label(labels, "widget", "on") == "on"
    assert state_label(labels, "notice", None) == ""


def test_no_filter_shows_a_quote_before_the_deadline(client, auth, make):
    notice = make.notice()
    bidder = make.agency(org_name="重庆投标人环保科技有限公司")
    auth.login(make.staff())
    audit(client)  # where the welcome message shows
    queries = [
        {"action": "submitted"},
        {"type": "bid"},
        {"org": "投标人"},
        {"actor": bidder.email},
        {"org": "投标人", "action": "submitted", "from": "2026-11-24", "to": "2026-11-24"},
    ]
    before = [audit(client, **q) for q in queries]
    make.bid(bidder, notice, 80_000_00)
    assert [audit(client, **q) for q in queries] == before
    assert actions(audit(client, action="submitted")) == []

    make.close_bidding(notice)  # opened: the quote's events are part of the record now
    opened = audit(client, action="submitted", org="投标人")
    assert actions(opened) == ["提交报价"]
    assert orgs(opened) == ["重庆投标人环保科技有限公司"]
