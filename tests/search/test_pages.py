"""The search pages: results with facets, sorting, the 可参与投标 filter, highlighting, the
empty result's suggestion and tips, bad parameters, the header box, the directory and the
purchaser's invitation."""

import re
from datetime import timedelta

from market.agencies.services import agency_of

from .test_engine import agency


def page(client, **params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hit_ids(html):
    return [int(i) for i in re.findall(r'data-hit="(\d+)"', html)]


def facet_counts(html, name):
    """{value label: count} of one sidebar facet."""
    block = re.search(rf'data-facet="{name}">(.*?)</ul>', html, re.S)
    assert block, f"no facet {name}"
    pairs = re.findall(
        r"<span>(?:✓ )?([^<]+)</span>\s*<span[^>]*facet-count\">(\d+)</span>", block[1]
    )
    return {label: int(count) for label, count in pairs}


def cards(html):
    """{agency or notice id: its result card's HTML}."""
    parts = re.split(r'data-hit="(\d+)">', html)
    return {int(i): body for i, body in zip(parts[1::2], parts[2::2], strict=True)}


def suspend(db, user, frozen_clock, days=30):
    profile = agency_of(user)
    profile.suspended_until = frozen_clock.now + timedelta(days=days)
    profile.standing_reason = "中选后未按期签订合同"
    db.session.flush()


def test_results_show_facets_with_counts(client, make, indexed):
    a = agency(make, "重庆甲环境科技有限公司", region="重庆市渝北区")
    b = agency(make, "重庆乙环境科技有限公司", region="重庆市渝北区")
    c = agency(make, "成都丙环境科技有限公司", region="四川省成都市", score=85)
    agency(make, "重庆精准测绘有限公司", items=("ZJ018",))
    indexed()
    html = page(client, type="agencies", q="环评")
    assert sorted(hit_ids(html)) == sorted(u.organisation.id for u in (a, b, c))
    assert "共找到 3 个机构" in html
    assert facet_counts(html, "region") == {"重庆市渝北区": 2, "四川省成都市": 1}
    assert facet_counts(html, "category") == {"环境影响评价": 3}
    assert facet_counts(html, "grade") == {"A 级": 2, "B 级": 1}
    # each facet value links to the same search with that filter added
    assert 'href="/search?type=agencies&amp;q=%E7%8E%AF%E8%AF%84&amp;region=' in html


def test_a_facet_filter_narrows_and_shows_a_removable_badge(client, make, indexed):
    agency(make, "重庆甲环境科技有限公司", region="重庆市渝北区")
    chengdu = agency(make, "成都丙环境科技有限公司", region="四川省成都市")
    indexed()
    html = page(client, type="agencies", q="环评", region="四川省成都市")
    assert hit_ids(html) == [chengdu.organisation.id]
    badges = re.search(r'id="active-filters">(.*?)</div>', html, re.S)[1]
    assert "地区：四川省成都市 ×" in badges
    # the badge's link is the search without the filter
    assert re.search(
        r'href="/search\?type=agencies&amp;q=%E7%8E%AF%E8%AF%84"\s+title="去掉该条件"', badges
    )
    # clicking the active value in the sidebar removes it too
    assert "✓ 四川省成都市" in html


def test_sorting_by_credit_orders_by_score(client, make, indexed):
    low = agency(make, "重庆甲环境科技有限公司", score=65)
    high = agency(make, "重庆乙环境科技有限公司", score=98)
    mid = agency(make, "重庆丙环境科技有限公司", score=82)
    indexed()
    html = page(client, type="agencies", q="环评", sort="credit")
    assert hit_ids(html) == [high.organisation.id, mid.organisation.id, low.organisation.id]
    assert '<option value="credit" selected>按信用</option>' in html
    scores = [int(s) for s in re.findall(r'class="hit-score">(\d+)<', html)]
    assert scores == [98, 82, 65]


def test_relevance_ranks_the_better_credit_first(client, make, indexed):
    low = agency(make, "重庆甲环境科技有限公司", score=60)
    high = agency(make, "重庆乙环境科技有限公司", score=100)
    indexed()
    assert hit_ids(page(client, type="agencies", q="环评")) == [
        high.organisation.id,
        low.organisation.id,
    ]


def test_a_suspended_agency_is_marked_and_excluded_by_the_can_bid_filter(
    client, make, db, indexed, frozen_clock
):
    ok = agency(make, "重庆甲环境科技有限公司")
    suspended = agency(make, "重庆乙环境科技有限公司")
    suspend(db, suspended, frozen_clock)
    indexed()
    html = page(client, type="agencies", q="环评")
    assert sorted(hit_ids(html)) == sorted([ok.organisation.id, suspended.organisation.id])
    shown = cards(html)
    assert "暂停投标" in shown[suspended.organisation.id]
    assert "暂停投标" not in shown[ok.organisation.id]

    html = page(client, type="agencies", q="环评", can_bid="1")
    assert hit_ids(html) == [ok.organisation.id]
    assert 'id="can_bid" checked' in html and "可参与投标 ×" in html


def test_a_blacklisted_agency_is_shown_as_listed_not_by_its_grade(
    client, make, db, indexed, frozen_clock
):
    listed = agency(make, "重庆乙环境科技有限公司", score=80)
    profile = agency_of(listed)
    profile.blacklisted = True
    profile.blacklisted_until = frozen_clock.now + timedelta(days=365)
    db.session.flush()
    indexed()
    card = cards(page(client, type="agencies", q="环评"))[listed.organisation.id]
    assert "严重失信名单" in card
    assert "暂停投标" not in card and "信用分" not in card

    frozen_clock.advance(days=366)  # the listing ends: the grade is shown again
    card = cards(page(client, type="agencies", q="环评"))[listed.organisation.id]
    assert "严重失信名单" not in card and "信用分" in card


def test_a_lifted_suspension_is_no_longer_marked(client, make, db, indexed, frozen_clock):
    user = agency(make, "重庆乙环境科技有限公司")
    suspend(db, user, frozen_clock, days=1)
    indexed()
    frozen_clock.advance(days=2)
    assert "blocked-badge" not in page(client, type="agencies", q="环评")


def test_the_matched_words_are_highlighted(client, make, indexed):
    agency(make, "重庆绿源环境科技有限公司")
    indexed()
    html = page(client, type="agencies", q="环境影响评价")
    assert re.search(r'<mark class="hl[^"]*">环境影响评价</mark>', html)


def test_an_empty_result_suggests_a_spelling_and_what_to_try(client, make, indexed):
    agency(make, "重庆绿源环境科技有限公司")
    indexed()
    html = page(client, type="agencies", q="环竟影响")
    assert "没有找到与「环竟影响」相关的机构" in html
    suggestion = re.search(r'id="suggestion">您是不是要找：<a href="([^"]+)">([^<]+)</a>', html)
    assert suggestion and suggestion[2] == "环境影响"
    assert suggestion[1] == "/search?type=agencies&amp;q=%E7%8E%AF%E5%A2%83%E5%BD%B1%E5%93%8D"
    tips = re.search(r'id="tips">(.*?)</ul>', html, re.S)[1]
    assert "常用简称，如“环评”" in tips and "服务事项清单" in tips
    assert "去掉筛选条件" not in tips  # none are set
    assert hit_ids(page(client, type="agencies", q="环境影响")) != []

    html = page(client, type="agencies", q="环评", region="西藏自治区拉萨市")
    assert "去掉筛选条件" in re.search(r'id="tips">(.*?)</ul>', html, re.S)[1]


def test_bad_parameters_fall_back_to_the_defaults_with_a_note(client, make, indexed):
    user = agency(make, "重庆绿源环境科技有限公司")
    indexed()
    for params, note in (
        ({"type": "bogus", "q": "环评"}, "未知的搜索类别"),
        ({"type": "agencies", "q": "环评", "sort": "cheapest"}, "不支持该排序方式"),
        ({"type": "notices", "q": "环评", "sort": "credit"}, "不支持该排序方式"),
        ({"type": "agencies", "q": "环评", "grade": "Z"}, "「信用等级」的取值无效"),
        ({"type": "agencies", "q": "环评", "category": "不存在的类别"}, "「服务类别」的取值无效"),
        ({"type": "notices", "q": "环评", "state": "nonsense"}, "「公告状态」的取值无效"),
        ({"type": "agencies", "q": "环评", "page": "abc"}, "页码无效"),
        ({"type": "agencies", "q": "环评", "page": "-3"}, "页码无效"),
        ({"type": "agencies", "q": "环评", "page": "99"}, "页码超出范围，已显示第 1 页"),
        ({"type": "agencies", "q": "环评" * 80}, "搜索词过长"),
    ):
        html = page(client, **params)
        assert note in html, params
    # the fallbacks still search
    assert hit_ids(page(client, type="bogus", q="环评")) == [user.organisation.id]
    assert hit_ids(page(client, q="环评", page="99")) == [user.organisation.id]
    # odd input is only words to look for
    for q in ("***", '"环评', "(OR) AND NOT", "有限公司", "<script>", "   "):
        assert "<script>" not in page(client, type="agencies", q=q)
    for params in (
        {"type": "notices", "page": "5"},
        {"type": "notices", "sort": "newest", "page": "3"},
    ):
        assert "没有找到符合条件的公告" in page(client, **params)
    # facet names of the other kind are simply not filters here
    assert hit_ids(page(client, type="agencies", q="环评", state="published")) == [
        user.organisation.id
    ]


def test_the_search_without_words_browses_by_credit(client, make, indexed):
    low = agency(make, "重庆甲环境科技有限公司", score=70)
    high = agency(make, "重庆精准测绘有限公司", items=("ZJ018",), score=95)
    indexed()
    html = page(client, type="agencies")
    assert hit_ids(html) == [high.organisation.id, low.organisation.id]
    assert '<option value="credit" selected>按信用</option>' in html


def test_pages_link_to_the_same_search(client, make, indexed, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for n in "甲乙丙":
        agency(make, f"重庆{n}环境科技有限公司")
    indexed()
    html = page(client, type="agencies", q="环评", region="重庆市渝北区")
    assert len(hit_ids(html)) == 2 and "第 1/2 页" in html
    assert (
        'href="/search?type=agencies&amp;q=%E7%8E%AF%E8%AF%84&amp;region='
        '%E9%87%8D%E5%BA%86%E5%B8%82%E6%B8%9D%E5%8C%97%E5%8C%BA&amp;page=2"' in html
    )
    second = page(client, type="agencies", q="环评", region="重庆市渝北区", page=2)
    assert len(hit_ids(second)) == 1 and "第 2/2 页" in second


def test_notice_results_show_state_purchaser_and_item(client, make, indexed):
    buyer = make.purchaser(org_name="重庆市两江新区建设管理局")
    notice = make.notice(buyer, title="礼嘉水土保持方案编制服务采购", code="ZJ010")
    make.notice(buyer, title="悦来会展中心环境影响评价服务采购")
    indexed()
    html = page(client, type="notices", q="水保")
    assert hit_ids(html) == [notice.id]
    card = cards(html)[notice.id]
    assert f'href="/notices/{notice.id}"' in card
    assert "采购人：重庆市两江新区建设管理局" in card
    assert "服务事项：ZJ010 水土保持方案报告书编制" in re.sub(r"</?mark[^>]*>", "", card)
    assert notice.state_label in card and "badge" in card
    assert facet_counts(html, "state") == {notice.state_label: 1}
    assert '<a class="nav-link active" aria-current="page"' in html and ">公告</a>" in html


def test_a_purchaser_can_invite_an_agency_from_the_results(
    client, make, db, auth, indexed, frozen_clock
):
    one = agency(make, "重庆甲环境科技有限公司")
    two = agency(make, "重庆乙环境科技有限公司", items=("ZJ012", "ZJ010"))
    blocked = agency(make, "重庆丙环境科技有限公司")
    suspend(db, blocked, frozen_clock)
    indexed()
    zj012, zj010 = make.item("ZJ012"), make.item("ZJ010")

    html = page(client, type="agencies", q="环评")
    assert "邀请报价" not in html  # anonymous visitors

    auth.login(make.purchaser())
    html = page(client, type="agencies", q="环评")
    shown = cards(html)
    one_id, two_id = one.organisation.id, two.organisation.id
    assert f'href="/notices/new?item={zj012.id}&amp;invite={one_id}">邀请报价</a>' in shown[one_id]
    assert f'href="/notices/new?item={zj010.id}&amp;invite={two_id}">ZJ010 ' in shown[two_id]
    assert f'href="/notices/new?item={zj012.id}&amp;invite={two_id}">ZJ012 ' in shown[two_id]
    assert "邀请报价" not in shown[blocked.organisation.id]
    # the link opens the notice form with the invitation, as the shelf's does
    form = client.get(f"/notices/new?item={zj012.id}&invite={one_id}").get_data(as_text=True)
    assert "受邀机构：" in form and "重庆甲环境科技有限公司" in form


def test_an_agency_sees_no_invitation(client, make, auth, indexed):
    user = agency(make, "重庆甲环境科技有限公司")
    indexed()
    auth.login(user)
    assert "邀请报价" not in page(client, type="agencies", q="环评")


def test_the_header_search_box_is_on_every_page(client, make, auth):
    html = client.get("/").get_data(as_text=True)
    box = re.search(r'<form[^>]*id="header-search">(.*?)</form>', html, re.S)
    assert box and 'action="/search"' in html[box.start() - 200 : box.end()]
    assert '<option value="agencies" selected>机构</option>' in box[1]
    assert '<option value="notices" >公告</option>' in box[1] and 'name="q"' in box[1]
    # an agency looks for notices by default
    auth.login(make.agency())
    html = client.get("/").get_data(as_text=True)
    box = re.search(r'id="header-search">(.*?)</form>', html, re.S)[1]
    assert '<option value="notices" selected>公告</option>' in box


def test_the_directory_searches_through_the_search_page(client, make, indexed):
    user = agency(make, "重庆信诚环保科技有限公司")
    indexed()
    html = client.get("/agencies/").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="directory-search">(.*?)</form>', html, re.S)
    assert 'action="/search"' in form[0] and 'name="type" value="agencies"' in form[1]
    assert "重庆信诚环保科技有限公司" in html  # the plain browse list without words
    # an old link with ?q= lands on the search page
    response = client.get("/agencies/", query_string={"q": "环保"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?type=agencies&q=%E7%8E%AF%E4%BF%9D"
    html = client.get("/agencies/", query_string={"q": "环保"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert hit_ids(html) == [user.organisation.id]


def test_the_shelf_searches_within_its_category(client, make):
    item = make.item("ZJ012")
    html = client.get("/shelves/ZJ012").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="shelf-search">(.*?)</form>', html, re.S)
    assert 'action="/search"' in form[0]
    assert f'name="category" value="{item.category}"' in form[1]


def test_a_hit_without_snippets_shows_its_offered_items_as_they_are(client, make, db, indexed):
    user = agency(make, "重庆绿源环境科技有限公司", items=("ZJ012",))
    indexed()
    html = page(client, q="hp")  # pinyin initials: no word of the text to mark
    card = cards(html)[user.organisation.id]
    assert "提供服务：ZJ012 环境影响评价报告书" in card
    assert "built-in method" not in html and "<mark" not in card
