"""Lists count at most COUNT_LIMIT rows for their pager and offer no page beyond it."""

import pytest


@pytest.fixture
def twelve(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "COUNT_LIMIT", 5)
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    buyer = make.purchaser()
    return [make.notice(buyer, title=f"公告 {n:02d}") for n in range(12)]


def test_a_long_list_says_there_are_more_and_pages_up_to_the_limit(client, twelve):
    first = client.get("/notices/").get_data(as_text=True)
    assert "超过 5 条，第 1/3 页；更早的请用筛选或搜索查找" in first
    assert "公告 11" in first and "公告 10" in first and "公告 09" not in first
    third = client.get("/notices/?page=3").get_data(as_text=True)
    assert "公告 07" in third and "第 3/3 页" in third
    assert 'href="/notices/?page=4"' not in third  # nothing beyond the counted rows


@pytest.mark.parametrize(("page", "expected"), [("-3", "公告 11"), ("abc", "公告 11")])
def test_a_nonsense_page_number_shows_the_first_page(client, twelve, page, expected):
    assert expected in client.get(f"/notices/?page={page}").get_data(as_text=True)


def test_a_page_past_the_end_is_empty_not_an_error(client, twelve):
    response = client.get("/notices/?page=99999999999999999999")
    assert response.status_code == 200 and "公告 0" not in response.get_data(as_text=True)


def test_a_short_list_counts_exactly(client, make):
    make.notice(title="唯一公告")
    page = client.get("/notices/").get_data(as_text=True)
    assert "唯一公告" in page and "超过" not in page
