"""The public notice list's filters (/notices/): item, purchaser, department, region, method,
publication dates and ceiling; its sorts; the winner column once the result is public; bad
values noted and ignored; the pager and the kept page keeping the filters."""

import re
from datetime import UTC, datetime

import pytest

from market.core.clock import utcnow

from ..pages import without_csrf_tokens

JIANGBEI = "重庆市江北区"


def titles(page: str) -> list[str]:
    """The notices the list shows, in order."""
    return re.findall(r'data-label="公告"><a href="/notices/\d+">([^<]+)</a>', page)


def notes(page: str) -> list[str]:
    return re.findall(r'filter-note">([^<]+)</div>', page)


@pytest.fixture
def world(make, frozen_clock):
    """Three notices: two purchasers in two regions, two items of two departments, three
    ceilings and methods, published on three days (10:00 Shanghai)."""
    now = utcnow()
    yubei = make.purchaser(org_name="重庆渝北采购单位有限公司")  # 重庆市渝北区
    jiangbei = make.purchaser(org_name="重庆江北采购单位有限公司", region=JIANGBEI)
    frozen_clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    first = make.notice(yubei, title="甲公告环评", code="ZJ012", ceiling_fen=100_000_00)
    frozen_clock.set(datetime(2026, 11, 12, 2, 0, tzinfo=UTC))
    second = make.method_notice(
        "lowest", jiangbei, title="乙公告项目申请报告", code="ZJ001", ceiling_fen=50_000_00
    )
    frozen_clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    third = make.method_notice(
        "random", jiangbei, title="丙公告环评", code="ZJ012", ceiling_fen=300_000_00
    )
    frozen_clock.set(now)
    return {"yubei": yubei, "jiangbei": jiangbei, "notices": (first, second, third)}


def listing(client, **query):
    response = client.get("/notices/", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_filter_narrows_the_list(client, make, world):
    item = make.item("ZJ012").id
    jiangbei = world["jiangbei"].organisation.id
    assert titles(listing(client)) == ["丙公告环评", "乙公告项目申请报告", "甲公告环评"]
    assert titles(listing(client, item=item)) == ["丙公告环评", "甲公告环评"]
    assert titles(listing(client, purchaser=jiangbei)) == ["丙公告环评", "乙公告项目申请报告"]
    assert titles(listing(client, department="生态环境部门")) == ["丙公告环评", "甲公告环评"]
    assert titles(listing(client, department="发展改革部门")) == ["乙公告项目申请报告"]
    assert titles(listing(client, region=JIANGBEI)) == ["丙公告环评", "乙公告项目申请报告"]
    assert titles(listing(client, method="lowest")) == ["乙公告项目申请报告"]
    assert titles(listing(client, method="random")) == ["丙公告环评"]
    # publication days, both ends included (Shanghai calendar)
    assert titles(listing(client, **{"from": "2026-11-12"})) == ["丙公告环评", "乙公告项目申请报告"]
    assert titles(listing(client, to="2026-11-12")) == ["乙公告项目申请报告", "甲公告环评"]
    assert titles(listing(client, **{"from": "2026-11-12", "to": "2026-11-12"})) == [
        "乙公告项目申请报告"
    ]
    # the ceiling in yuan, both bounds included
    assert titles(listing(client, min="60000")) == ["丙公告环评", "甲公告环评"]
    assert titles(listing(client, max="100000")) == ["乙公告项目申请报告", "甲公告环评"]
    assert titles(listing(client, min="100000", max="100000.00")) == ["甲公告环评"]


def test_filters_combine(client, make, world):
    item = make.item("ZJ012").id
    assert titles(listing(client, region=JIANGBEI, item=item)) == ["丙公告环评"]
    assert titles(listing(client, department="生态环境部门", max="200000")) == ["甲公告环评"]
    assert titles(listing(client, region=JIANGBEI, method="lowest", to="2026-11-12")) == [
        "乙公告项目申请报告"
    ]
    assert titles(listing(client, region=JIANGBEI, method="direct")) == []
    # with the state tabs too: the first two are past their deadline without a quote (流标)
    assert titles(listing(client, state="failed", region=JIANGBEI)) == ["乙公告项目申请报告"]
    assert titles(listing(client, state="published", item=item)) == ["丙公告环评"]


def test_the_sorts(client, world):
    assert titles(listing(client, sort="ceiling_desc")) == [
        "丙公告环评",
        "甲公告环评",
        "乙公告项目申请报告",
    ]
    assert titles(listing(client, sort="ceiling_asc")) == [
        "乙公告项目申请报告",
        "甲公告环评",
        "丙公告环评",
    ]
    # deadlines to come first (the soonest first), then those passed (the latest first)
    assert titles(listing(client, sort="deadline")) == [
        "丙公告环评",
        "乙公告项目申请报告",
        "甲公告环评",
    ]
    assert titles(listing(client, sort="newest", region=JIANGBEI)) == [
        "丙公告环评",
        "乙公告项目申请报告",
    ]


def test_bad_values_are_ignored_with_a_note(client, world):
    page = listing(
        client,
        item="abc",
        purchaser="-1",
        department="部" * 101,
        region="\u202e江北",
        method="nope",
        to="2026-13-01",
        min="abc",
        max="1e1000000",
        sort="cheapest",
        state="nonsense",
    )
    assert titles(page) == ["丙公告环评", "乙公告项目申请报告", "甲公告环评"]
    assert notes(page) == [
        "未知的公告状态，已显示全部状态。",
        "不支持该排序方式，已按最新发布排序。",
        "筛选条件「选取方式」的取值无效，已忽略。",
        "发布日期（止）应为 2000–2099 年间的日期（如 2026-11-24），已忽略。",
        "最高限价下限应为 0 至 100 亿之间的元金额，已忽略。",
        "最高限价上限应为 0 至 100 亿之间的元金额，已忽略。",
        "筛选条件「服务事项」的取值无效，已忽略。",
        "筛选条件「采购人」的取值无效，已忽略。",
        "筛选条件「审批部门」过长或含有无法识别的字符，已忽略。",
        "筛选条件「地区」过长或含有无法识别的字符，已忽略。",
    ]


def test_values_naming_nothing_are_ignored_and_reversed_ranges_swapped(client, world):
    page = listing(
        client,
        item="2147483647",
        purchaser=str(world["notices"][0].item_id),  # an id, but of no purchaser
        department="不存在的部门",
        region="重庆市不存在区",
        **{"from": "2026-11-20", "to": "2026-11-12"},
        min="300000",
        max="50000",
    )
    assert notes(page) == [
        "发布日期的起止颠倒了，已对调。",
        "最高限价的上下限颠倒了，已对调。",
        "没有找到所选的服务事项，已忽略该条件。",
        "没有找到所选的采购人，已忽略该条件。",
        "没有找到所选的审批部门，已忽略该条件。",
        "没有找到所选的地区，已忽略该条件。",
    ]
    assert titles(page) == ["丙公告环评", "乙公告项目申请报告"]
    assert 'value="2026-11-12"' in page and 'value="2026-11-20"' in page


def test_the_pager_keeps_the_filters(client, app, monkeypatch, world):
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    first = listing(client, region=JIANGBEI, sort="ceiling_asc")
    assert titles(first) == ["乙公告项目申请报告"]
    assert "共 2 条，第 1/2 页" in first
    links = re.findall(r'class="page-link" href="([^"]+)"', first)
    page_two = next(link for link in links if link.endswith("page=2")).replace("&amp;", "&")
    assert "region=" in page_two and "sort=ceiling_asc" in page_two
    second = client.get(page_two).get_data(as_text=True)
    assert titles(second) == ["丙公告环评"]
    assert "共 2 条，第 2/2 页" in second


def test_an_empty_result_says_what_to_do(client, world):
    page = listing(client, **{"from": "2030-01-01"}, region=JIANGBEI)
    assert titles(page) == []
    assert "没有符合筛选条件的公告。可以放宽发布日期或限价范围、减少筛选条件" in page
    assert 'id="empty-clear"' in page and 'href="/notices/"' in page
    assert 'id="clear-filters"' in page
    # without filters there is nothing to clear
    assert 'id="clear-filters"' not in listing(client)


def test_the_form_shows_the_choices_and_the_feeds_stay(client, make, world):
    page = listing(client)
    assert "重庆江北采购单位有限公司</option>" in page
    assert f'<option value="{JIANGBEI}"' in page
    assert '<option value="生态环境部门"' in page and '<option value="lowest"' in page
    assert 'href="/feeds/notices.atom"' in page and 'href="/feeds/results.atom"' in page
    assert 'type="application/atom+xml"' in page
    narrowed = listing(client, item=make.item("ZJ012").id)
    assert 'href="/feeds/notices.atom?item=ZJ012"' in narrowed
    assert 'href="/feeds/results.atom?item=ZJ012"' in narrowed
    by_department = listing(client, department="生态环境部门")
    assert "/feeds/results.atom?department=" in by_department


def winner_cells(page: str) -> list[str]:
    return re.findall(r'<td data-label="中选机构" class="winner">(.*?)</td>', page, re.S)


def test_the_winner_shows_once_the_result_is_public(client, make):
    notice, buyer, winner, rival = make.publicity_notice()
    page = listing(client)
    name = winner.organisation.name
    assert winner_cells(page) == [f'<a href="/agencies/{winner.organisation.id}">{name}</a>']
    assert rival.organisation.name not in page


def test_no_winner_nor_anything_of_quotes_before_the_result(client, auth, make):
    # Opened, the purchaser's choice awaited (direct selection): no winner yet.
    opened, bids = make.opened_notice("direct", amounts=(80_000_00, 90_000_00))
    # Taking quotes: a quote changes nothing on the list, for a visitor or another agency.
    taking = make.notice(title="礼嘉智慧公园环评")
    other = make.agency()
    before = listing(client)
    assert winner_cells(before) == ["", ""]
    bidder = make.agency(org_name="重庆投标人环保科技有限公司")
    make.bid(bidder, taking, 70_000_00)
    assert listing(client) == before
    auth.login(other)
    listing(client)  # where the welcome message shows
    signed_in = without_csrf_tokens(listing(client, item=taking.item_id))
    make.bid(make.agency(), taking, 75_000_00)
    assert without_csrf_tokens(listing(client, item=taking.item_id)) == signed_in
    assert "重庆投标人环保科技有限公司" not in signed_in


def test_a_filtered_list_is_kept_per_filter(client, kept_page, make, world, templates_rendered):
    jiangbei = kept_page(f"/notices/?region={JIANGBEI}")
    yubei = kept_page("/notices/?region=重庆市渝北区")
    assert titles(jiangbei) == ["丙公告环评", "乙公告项目申请报告"]
    assert titles(yubei) == ["甲公告环评"]
    with templates_rendered() as rendered:
        client.get(f"/notices/?region={JIANGBEI}")
    assert "procurement/index.html" not in rendered  # the same rows: the kept page
    make.notice(world["jiangbei"], title="丁公告新发布")
    assert titles(kept_page(f"/notices/?region={JIANGBEI}"))[0] == "丁公告新发布"
