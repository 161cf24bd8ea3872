"""The public home page's live figures, the dashboard's login, and the supervisors' audit log."""

import re
from datetime import timedelta

import pytest

from market.accounts.members import set_member_role
from market.agencies.qualifications import verify_qualification
from market.notifications.services import mark_all_read
from market.procurement import services as procurement

from ..pages import without_csrf_tokens


def figure(page, label):
    match = re.search(rf'fw-bold">([^<]+)</div><div class="text-muted small">{label}</div>', page)
    assert match, label
    return match.group(1)


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_home_shows_live_counts(client):
    page = home(client)
    assert figure(page, "已上线服务事项") == "32"
    assert figure(page, "入驻中介机构") == "0" and figure(page, "入驻采购人") == "0"
    assert figure(page, "累计成交金额") == "¥0.00"
    assert "暂无公告" in page


def test_home_counts_follow_registrations(client, make):
    make.agency()
    make.agency()
    make.purchaser()
    page = home(client)
    assert figure(page, "入驻中介机构") == "2" and figure(page, "入驻采购人") == "1"


def test_home_counts_open_notices_and_lists_them_but_not_drafts(client, make):
    make.notice(title="礼嘉智慧公园环评服务采购")
    make.notice(title="悦来片区规划草稿", publish=False)
    page = home(client)
    assert figure(page, "报价中公告") == "1"
    assert "礼嘉智慧公园环评服务采购" in page and "悦来片区规划草稿" not in page


def test_home_counts_contracts_and_their_total(client, make, frozen_clock):
    make.contracted_notice(amount_fen=80_000_00)
    page = home(client)
    assert figure(page, "已签约项目") == "1"
    assert figure(page, "累计成交金额") == "¥80,000.00"
    assert figure(page, "报价中公告") == "0"


def test_only_contracts_both_parties_signed_are_counted(client, auth, make):
    notice, buyer, winner = make.awarded_notice(amount_fen=80_000_00)
    page = home(client)
    assert figure(page, "已签约项目") == "0" and figure(page, "累计成交金额") == "¥0.00"

    procurement.sign_contract(buyer, notice, make.contract_pdf())
    assert figure(home(client), "已签约项目") == "0"  # one signature is not a contract yet

    procurement.sign_contract(winner, notice)
    page = home(client)
    assert figure(page, "已签约项目") == "1" and figure(page, "累计成交金额") == "¥80,000.00"
    auth.login(make.staff("operator", "平台运营中心"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert figure(page, "已签约项目") == "1" and figure(page, "累计成交金额") == "¥80,000.00"


def test_home_applies_a_passed_deadline_before_counting(client, make, frozen_clock):
    notice = make.notice()
    make.bid(make.agency(), notice)
    assert figure(home(client), "报价中公告") == "1"
    frozen_clock.set(notice.deadline_dt)
    assert figure(home(client), "报价中公告") == "0"
    assert notice.state == "bidding_closed"


def test_the_home_page_is_rendered_once_per_content(
    client, app, make, monkeypatch, frozen_clock, kept_page, templates_rendered
):
    notice = make.notice(title="礼嘉智慧公园环评服务采购")
    assert "礼嘉智慧公园环评服务采购" in kept_page("/")
    with templates_rendered() as rendered:
        client.get("/")
    assert "home.html" not in rendered  # the same rows and figures: the kept page

    make.notice(title="悦来片区水土保持方案编制")
    page = kept_page("/")
    assert "悦来片区水土保持方案编制" in page and figure(page, "报价中公告") == "2"
    make.agency()
    assert figure(kept_page("/"), "入驻中介机构") == "1"
    # The deadline passes; with no row applied on reading, the row says it awaits its update.
    monkeypatch.setitem(app.config, "DUE_ON_READ_LIMIT", 0)
    assert "状态更新中" not in kept_page("/")
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    assert "状态更新中" in kept_page("/")


def test_the_dashboard_needs_a_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- navigation ---------------------------------------------------------------------------


def nav(client):
    page = home(client)
    return re.search(r'<nav class="navbar.*?</nav>', page, re.S).group(0)


def test_every_logged_in_user_has_an_inbox_link_with_the_unread_count(client, auth, make):
    assert 'href="/inbox"' not in nav(client)
    user = make.agency()
    make.notice(title="礼嘉智慧公园环评服务采购")  # each tells the matching agency
    make.notice(title="悦来片区环评服务采购")
    auth.login(user)
    assert re.search(
        r'href="/inbox" id="nav-inbox">消息 <span[^>]*id="nav-unread"[^>]*>2<', nav(client)
    )

    mark_all_read(user)
    links = nav(client)
    assert 'href="/inbox"' in links and "nav-unread" not in links
    for role in ("purchaser", "regulator", "operator"):
        auth.logout()
        auth.login(make.purchaser() if role == "purchaser" else make.staff(role))
        assert 'href="/inbox"' in nav(client), role


def test_visitors_get_the_header_of_the_page_they_are_on(client, auth, make):
    """The header is rendered once per page kind for visitors not signed in: each page still
    marks its own link, and signing in or out changes it at once."""

    def active(path):
        page = client.get(path).get_data(as_text=True)
        header = re.search(r'<nav class="navbar.*?</nav>', page, re.S).group(0)
        return re.findall(r'nav-link active"[^>]*>([^<]+)<', header)

    for _ in range(2):
        assert active("/notices/") == ["采购公告"]
        assert active("/agencies/") == ["中介机构"]
        assert active("/") == []
    auth.login(make.purchaser())
    assert any(text == "工作台" for _, text in links(client))
    auth.logout()
    assert all(text != "工作台" for _, text in links(client))
    assert ("/login", "登录") in links(client)


def test_a_signed_in_header_is_rendered_once_per_user_page_and_unread_count(
    app, client, auth, make, templates_rendered, monkeypatch
):
    """A signed-in user's header is kept: it shows that user and that count, and its logout
    form carries the token of the session asking (the same kept header for each request)."""
    first, second = make.agency(contact_name="张一"), make.agency(contact_name="李二")
    make.notice(title="礼嘉智慧公园环评服务采购")  # tells both matching agencies
    auth.login(first)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    nav(client)
    with templates_rendered() as rendered:
        header = nav(client)
    assert "_header.html" not in rendered
    assert "张一" in header and re.search(r'id="nav-unread"[^>]*>1<', header)

    make.notice(title="悦来片区环评服务采购")  # a second unread notice: a new badge
    with templates_rendered() as rendered:
        header = nav(client)
    assert "_header.html" in rendered
    assert re.search(r'id="nav-unread"[^>]*>2<', header)

    token = re.search(r'name="csrf_token" value="([^"]+)"', header).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard").status_code == 302  # signed out: to the login page

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    auth.login(second)
    header = nav(client)
    assert "李二" in header and "张一" not in header


def links(client):
    """The navigation's links as (address, text)."""
    return [
        (href, re.sub(r"\s+", "", text))
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', nav(client), re.S)
    ]


def test_each_supervisor_gets_its_own_links(client, auth, make):
    auth.login(make.staff("operator", "平台运营中心"))
    assert {("/operator/rectifications", "整改回访"), ("/supervision/audit", "操作日志")} <= set(
        links(client)
    )
    auth.logout()
    auth.login(make.staff("regulator", "生态环境部门"))
    shown = links(client)
    assert {("/supervision/qualifications", "资质核验"), ("/supervision/audit", "操作日志")} <= set(
        shown
    )
    assert "/operator/rectifications" not in dict(shown)


# --- the audit log ------------------------------------------------------------------------


def rows(page):
    return re.findall(r'<tr><td class="text-nowrap" data-label="发生时间">', page)


def audit(client, **params):
    """The audit log page, its forms' CSRF tokens blanked (they are signed with the real time:
    two reads either side of a second would differ)."""
    response = client.get("/supervision/audit", query_string=params)
    assert response.status_code == 200
    return without_csrf_tokens(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["regulator", "operator"])
def test_supervisors_see_who_did_what_and_when(client, auth, make, role, frozen_clock):
    make.agency(org_name="重庆华博环保科技有限公司")
    auth.login(make.staff(role))
    page = audit(client)
    assert "重庆华博环保科技有限公司" in page
    assert "2026-11-24 10:00:00" in page  # Beijing time, to the second
    assert "系统" in page  # events without an organisation, e.g. the staff account creation


def test_the_newest_event_comes_first(client, auth, make):
    make.agency(org_name="重庆先入驻环保有限公司", items=())
    make.agency(org_name="重庆后入驻环保有限公司", items=())
    auth.login(make.staff())
    page = audit(client, type="organisation")
    assert page.index("重庆后入驻环保有限公司") < page.index("重庆先入驻环保有限公司")


def test_the_log_filters_by_subject(client, auth, make):
    make.agency(org_name="重庆安中测绘地理信息有限公司", items=("ZJ018",))
    make.purchaser(org_name="重庆复盛置业有限公司")
    auth.login(make.staff())

    offerings = audit(client, type="agency")
    assert "重庆安中测绘地理信息有限公司" in offerings
    assert "重庆复盛置业有限公司" not in offerings
    assert len(rows(offerings)) == 1
    assert re.search(r'nav-link active"[^>]*>机构服务<', offerings)

    registrations = audit(client, type="organisation")
    assert (
        "重庆安中测绘地理信息有限公司" in registrations and "重庆复盛置业有限公司" in registrations
    )
    assert len(rows(registrations)) == 2


def test_the_log_is_paginated(client, auth, make):
    for n in range(21):
        make.purchaser(org_name=f"重庆第{n:02d}采购单位有限公司")
    auth.login(make.staff())

    first = audit(client, type="organisation")
    assert len(rows(first)) == 20
    assert "共 21 条，第 1/2 页" in first
    assert "重庆第20采购单位有限公司" in first and "重庆第00采购单位有限公司" not in first
    second = audit(client, type="organisation", page=2)
    assert len(rows(second)) == 1 and "重庆第00采购单位有限公司" in second
    assert "共 21 条，第 2/2 页" in second


def test_an_empty_filter_says_so(client, auth, make):
    auth.login(make.staff())
    assert "暂无记录" in audit(client, type="bid")


def test_notice_events_link_to_the_notice(client, auth, make):
    notice = make.notice()
    auth.login(make.staff())
    assert f'href="/notices/{notice.id}"' in audit(client, type="notice")


def test_the_log_shows_chinese_words_not_internal_codes(client, auth, make):
    # A registration, an offering, a staff account and a published notice: what a regulator
    # reads should be 入驻 / 声明服务 / 草稿 → 报价中, not registered / draft → published.
    make.notice()
    agency = make.agency(items=("ZJ012",))
    # The storefront's events too: a scan, a declared and verified qualification, a
    # practitioner, a colleague invited and joined, a role change.
    regulator = make.staff()
    qualification = make.qualification(agency, "ZJ012", document_id=make.document(agency).id)
    verify_qualification(regulator, qualification.id)
    make.practitioner(agency)
    colleague = make.member(agency)
    set_member_role(agency, colleague.id, "admin")
    auth.login(regulator)
    page = audit(client)
    for label in ("资质", "声明", "已声明 → 已核验", "上传", "从业人员", "发出邀请", "变更角色"):
        assert label in page
    cells = re.findall(r'<td data-label="操作">([^<]*)</td>', page)
    english = [c for c in cells if re.search(r"[a-z]{3,}", c)]
    assert english == [], english


def test_the_full_process_reads_in_chinese_in_the_log(client, auth, make):
    # Edits and reconfirmed bids, objections, signatures, a returned delivery, evaluations
    # and a rectification case with its follow-up visit: every action has a Chinese name.
    edited = make.notice()
    bidder = make.agency()
    make.bid(bidder, edited)
    procurement.update_notice(edited.created_by, edited, make.notice_data(title="已修改"))
    procurement.reconfirm_bid(bidder, edited, 80_000_00, "方案")
    notice, buyer, winner, rival = make.publicity_notice()
    procurement.file_objection(rival, notice, "中选机构业绩造假")
    procurement.answer_objection(buyer, notice, notice.objections[0].id, "业绩属实")
    regulator = make.regulator_for(notice)
    procurement.decide_objection(regulator, notice, notice.objections[0].id, False, "不成立")
    notice, buyer, winner = make.delivered_notice()
    procurement.return_delivery(buyer, notice, "缺图")
    notice, buyer, winner = make.evaluated_notice(agency_scores={**make.GOOD_SCORES, "fees": 1})
    case = procurement.notice_rectifications(notice)[0]
    procurement.answer_rectification(winner, case.id, "已退还多收费用")
    operator = make.staff("operator", "平台运营中心")
    procurement.record_followup(operator, case.id, "回访属实")
    auth.login(operator)
    first = audit(client)
    pages = int(re.search(r"第 1/(\d+) 页", first).group(1))
    cells = []
    for n in range(1, pages + 1):
        cells += re.findall(r'<td data-label="操作">([^<]*)</td>', audit(client, page=n))
    english = [c for c in cells if re.search(r"[a-z]{3,}", c)]
    assert english == [], english
    assert {"提出异议", "处理异议", "签署合同", "退回交付成果", "记录回访"} <= set(cells)


def test_market_participants_cannot_read_the_log(client, auth, make):
    assert client.get("/supervision/audit").status_code == 302
    auth.login(make.agency())
    assert client.get("/supervision/audit").status_code == 403


def test_the_log_shows_when_a_late_applied_deadline_took_effect(client, auth, make, frozen_clock):
    from datetime import timedelta

    from market.procurement.runner import run_due

    notice = make.notice()
    frozen_clock.set(notice.deadline_dt + timedelta(days=2))
    run_due()
    auth.login(make.staff())
    page = client.get("/supervision/audit?type=notice").get_data(as_text=True)
    assert "2026-12-01 10:00:00" in page  # the deadline: Tuesday + 5 working days
    assert "记录于 2026-12-03 10:00" in page


@pytest.mark.parametrize("role", ["regulator", "operator"])
def test_the_log_shows_nothing_of_a_quote_until_the_deadline(client, auth, make, role):
    """Sealed: not the quote, its time, its agency, nor that one exists, to any supervisor."""
    notice = make.notice(make.purchaser())
    bidder = make.agency(org_name="重庆投标人环保科技有限公司")
    auth.login(make.staff(role))
    audit(client)  # where the welcome message shows
    before = audit(client), audit(client, type="bid")

    make.bid(bidder, notice, 80_000_00)
    assert (audit(client), audit(client, type="bid")) == before

    make.close_bidding(notice)  # opened: the quote's events are part of the record now
    assert "提交报价" in audit(client, type="bid")
