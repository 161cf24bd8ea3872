"""The public catalogue: search, filters, pagination, item pages, and what can be procured."""

import re

import pytest

from .. import factories


def codes(page):
    return re.findall(r'<td data-label="编码" class="text-nowrap">(ZJ\d+)</td>', page)


def listing(client, **params):
    response = client.get("/catalogue/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add_item(db, code, status):
    return factories.service_item(code, status)


def test_the_first_page_lists_twenty_items_in_code_order(client):
    page = listing(client)
    assert codes(page) == [f"ZJ{n:03d}" for n in range(1, 21)]
    assert "共 34 条，第 1/2 页" in page and "下一页" in page


def test_page_two_holds_the_rest(client):
    page = listing(client, page=2)
    assert codes(page) == [f"ZJ{n:03d}" for n in range(21, 35)]
    assert "共 34 条，第 2/2 页" in page


def test_a_page_past_the_end_is_empty_not_an_error(client):
    page = listing(client, page=9)
    assert codes(page) == []
    assert "没有符合条件的事项" in page


def test_search_by_name_finds_environmental_items_only(client):
    page = listing(client, q="环境")
    found = codes(page)
    assert "ZJ012" in found and "ZJ001" not in found
    assert set(found) == {"ZJ012", "ZJ013"}
    assert 'value="环境"' in page  # the search box keeps the query


def test_search_also_matches_the_licensing_item(client):
    assert codes(listing(client, q="取水许可")) == ["ZJ011"]


def test_a_search_with_no_match_says_so_in_chinese(client):
    page = listing(client, q="不存在的事项")
    assert codes(page) == [] and "没有符合条件的事项，请换个关键词或清除筛选条件。" in page


def test_filter_by_category(client):
    page = listing(client, category="测绘")
    assert codes(page) == ["ZJ018", "ZJ029"]
    assert '<option value="测绘" selected>' in page


def test_filter_by_list(client):
    assert codes(listing(client, list="other")) == ["ZJ031", "ZJ032", "ZJ033", "ZJ034"]
    licensing = listing(client, list="licensing")
    assert "共 30 条" in licensing and "ZJ031" not in codes(licensing)


def test_an_unknown_list_value_is_ignored(client):
    assert "共 34 条" in listing(client, list="secret")


def test_filters_combine_and_survive_paging_links(client):
    page = listing(client, category="资产评估", list="other")
    assert codes(page) == ["ZJ033"]
    many = listing(client, list="licensing")
    assert "list=licensing" in re.search(r'href="([^"]*page=2[^"]*)"', many).group(1)


def test_the_item_page_shows_every_part_of_the_legal_basis(client):
    page = client.get("/catalogue/ZJ001").get_data(as_text=True)
    assert "<div>《企业投资项目核准和备案管理条例》</div>" in page
    assert "<div>国家发展改革委令2017年第2号</div>" in page
    assert "企业投资项目核准" in page and "发展改革部门" in page
    assert "行政许可中介服务事项" in page and "已上线" in page


def test_a_published_item_not_yet_online_is_listed_but_cannot_be_procured(client, auth, make):
    assert "ZJ033" in codes(listing(client, page=2))
    auth.login(make.purchaser())
    page = client.get("/catalogue/ZJ033").get_data(as_text=True)
    assert "该事项已公布、尚未上线，暂不能在平台发起采购。" in page
    assert "为此事项发起采购" not in page and "/notices/new?item=" not in page


def test_a_purchaser_can_start_a_procurement_from_an_online_item(client, auth, make):
    auth.login(make.purchaser())
    page = client.get("/catalogue/ZJ012").get_data(as_text=True)
    item_id = make.item("ZJ012").id
    assert "为此事项发起采购" in page and f"/notices/new?item={item_id}" in page


@pytest.mark.parametrize("who", ["anonymous", "agency"])
def test_only_purchasers_are_offered_to_start_a_procurement(client, auth, make, who):
    if who == "agency":
        auth.login(make.agency())
    page = client.get("/catalogue/ZJ012").get_data(as_text=True)
    assert "为此事项发起采购" not in page and "尚未上线" not in page
    assert "提供该服务的中介机构" in page


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_draft_and_withdrawn_items_are_not_public(client, db, status):
    add_item(db, "ZJ950", status)
    assert client.get("/catalogue/ZJ950").status_code == 404
    assert "ZJ950" not in codes(listing(client, q="测试事项"))
    assert "共 34 条" in listing(client)


def test_an_unknown_code_is_a_chinese_404(client):
    response = client.get("/catalogue/ZJ999")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("param", ["endpoint=x", "_method=POST"])
def test_odd_query_parameters_do_not_break_the_pager(client, param):
    # The pager rebuilds the URL from the query string: any name url_for() reserves must not
    # turn a shared or mistyped link into a server error.
    response = client.get(f"/catalogue/?{param}")
    assert response.status_code == 200
    assert "共 34 条，第 1/2 页" in response.get_data(as_text=True)
