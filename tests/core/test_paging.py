"""Lists count at most COUNT_LIMIT rows for their pager and offer no page beyond it."""

import pytest

from market.core.paging import Page


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


def sql(stmt, db):
    return str(stmt.compile(db.engine))


def test_a_notice_list_counts_its_rows_without_reading_the_joined_tables(app, db):
    from market.core.paging import _counted
    from market.procurement.services import public_notices_query

    counted = sql(_counted(public_notices_query("published")), db)
    assert "JOIN" not in counted and "FROM notices" in counted and "notices.state" in counted


def test_a_join_that_can_drop_or_repeat_rows_is_kept_in_the_count(app, db, make):
    from sqlalchemy import select

    from market.accounts.models import Organisation
    from market.core.paging import _counted, paginate
    from market.procurement.models import Bid, Notice

    one, two = make.agency(), make.agency()
    make.notice(title="定向邀请", ceiling_fen=50_000_00, invited_org_id=one.organisation.id)
    public = make.notice(title="公开")
    for user in (one, two):
        make.bid(user, public)
    # Inner join on a nullable key drops the uninvited notice; a join to the many side (bids)
    # repeats the notice once per quote: neither may be left out of the count.
    dropping = select(Notice).join(Organisation, Organisation.id == Notice.invited_org_id)
    repeating = select(Notice).join(Bid, Bid.notice_id == Notice.id)
    for stmt, rows in ((dropping, 1), (repeating, 2)):
        assert "JOIN" in sql(_counted(stmt), db)
        assert paginate(stmt, page=1, per_page=20).total == rows


def test_a_join_the_where_clause_reads_is_kept_in_the_count(app, db, make):
    from sqlalchemy import select

    from market.catalogue.models import ServiceItem
    from market.core.paging import _counted, paginate
    from market.procurement.models import Notice

    make.notice(code="ZJ012")
    make.notice(code="ZJ012")
    item = db.session.get(ServiceItem, make.notice(code="ZJ013").item_id)
    stmt = (
        select(Notice)
        .join(ServiceItem, ServiceItem.id == Notice.item_id)
        .where(ServiceItem.code == item.code)
    )
    assert "JOIN" in sql(_counted(stmt), db)
    assert paginate(stmt, page=1, per_page=20).total == 1


def test_the_pager_links_the_edges_and_the_pages_around_the_current_one():
    def shown(page, total):
        return list(Page([], page, 20, total).iter_pages())

    # 2,000 rows counted: 100 pages, of which the pager shows 13 links and two gaps.
    assert shown(10, 2000) == [1, 2, None, 8, 9, 10, 11, 12, 13, 14, None, 99, 100]
    assert shown(1, 2000) == [1, 2, 3, 4, 5, None, 99, 100]
    assert shown(100, 2000) == [1, 2, None, 98, 99, 100]
    assert shown(2, 60) == [1, 2, 3]
    assert shown(1, 0) == []


def test_ones_own_list_pages_past_its_end_and_past_the_limit(client, auth, make, app, monkeypatch):
    # The purchaser's list is a statement built once, the organisation bound as it runs: each
    # way the pager counts must bind it too.
    monkeypatch.setitem(app.config, "COUNT_LIMIT", 5)
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    buyer = make.purchaser()
    for n in range(3):
        make.notice(buyer, title=f"我的公告 {n}")
    make.notice(title="别人的公告")
    auth.login(buyer)
    second = client.get("/purchaser/notices?page=2").get_data(as_text=True)
    assert "我的公告 0" in second and "第 2/2 页" in second
    past_the_end = client.get("/purchaser/notices?page=3")
    assert past_the_end.status_code == 200
    assert "我的公告" not in past_the_end.get_data(as_text=True)
    past_the_limit = client.get("/purchaser/notices?page=9")
    assert past_the_limit.status_code == 200
    assert "别人的公告" not in past_the_limit.get_data(as_text=True)
