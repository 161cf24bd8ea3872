"""The supermarket shelves: every online item with its agencies, compared side by side, sorted
and filtered, with purchasing buttons for purchasers only and no per-row queries."""

import re
from datetime import datetime

from sqlalchemy import event

from market.agencies.models import Agency, Offering
from market.agencies.qualifications import reject_qualification, verify_qualification
from market.agencies.services import declare_offering
from market.core.clock import from_local

FEES = {
    "range": dict(fee_kind="range", fee_min_fen=10_000_00, fee_max_fen=40_000_00),
    "fixed": dict(fee_kind="fixed", fee_min_fen=20_000_00),
    "rate": dict(fee_kind="rate", fee_rate_bp=50, fee_note="按工程总投资计取"),
    "negotiable": dict(fee_kind="negotiable", fee_note="按工作量协商"),
}


def stock(make, db, name, code="ZJ012", score=100, rating=None, days=20, fee="range", **kw):
    """An agency on the shelf of `code` with the given credit score, average rating over
    two evaluations, promised days and fee kind."""
    user = make.agency(org_name=name, items=(), **kw)
    declare_offering(user, make.offering_data(code, promised_days=days, **FEES[fee]))
    row = db.session.get(Agency, user.organisation.id)
    row.credit_score = score
    row.credit_grade = "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 60 else "D"
    if rating is not None:
        row.rating_count = 2
        for dimension in ("quality", "timeliness", "attitude", "fees", "conduct"):
            setattr(row, f"rating_{dimension}", rating * 2)
    db.session.flush()
    return user


def shelf_rows(client, code="ZJ012", **params):
    response = client.get(f"/shelves/{code}", query_string=params)
    assert response.status_code == 200
    return re.findall(r'<tr class="shelf-row">.*?</tr>', response.get_data(as_text=True), re.S)


def names(client, code="ZJ012", **params):
    rows = shelf_rows(client, code, **params)
    return [re.search(r'<a href="/agencies/\d+">([^<]+)</a>', row).group(1) for row in rows]


def test_the_shelves_list_every_online_item_by_category_with_its_agency_count(client, make, db):
    stock(make, db, "重庆A环评有限公司")
    stock(make, db, "重庆B环评有限公司")
    stock(make, db, "重庆C水保有限公司", code="ZJ010")
    page = client.get("/shelves/").get_data(as_text=True)
    environment = page.split('<h2 class="h5 mt-4">环境影响评价</h2>')[1].split("<h2")[0]
    assert 'href="/shelves/ZJ012"' in environment and "2 家机构" in environment
    assert 'href="/shelves/ZJ013"' in environment and "0 家机构" in environment
    assert re.search(r'href="/shelves/ZJ010".*?1 家机构', page, re.S)
    assert "ZJ033" not in page  # published, not online


def test_unknown_and_unpublished_items_have_no_shelf(client, make):
    make.service_item("TS901", status="draft")
    make.service_item("TS902", status="withdrawn")
    for code in ("NOPE", "TS901", "TS902"):
        assert client.get(f"/shelves/{code}").status_code == 404


def test_an_item_not_online_says_so_and_offers_no_purchasing(client, auth, make, db):
    stock(make, db, "重庆A估价有限公司", code="ZJ033")
    auth.login(make.purchaser())
    page = client.get("/shelves/ZJ033").get_data(as_text=True)
    assert "尚未上线" in page and "暂不能在平台比较机构或发起采购" in page
    assert "/notices/new?item" not in page and "直接邀请" not in page
    assert "重庆A估价有限公司" not in page


def test_a_row_shows_credit_rating_days_fee_region_and_standing(client, make, db):
    stock(make, db, "重庆A环评有限公司", score=85, rating=4, days=15, region="重庆市江北区")
    suspended = stock(make, db, "重庆B环评有限公司")
    db.session.get(Agency, suspended.organisation.id).suspended_until = from_local(
        datetime(2027, 3, 1)
    )
    first, second = shelf_rows(client, sort="days")
    assert re.search(r">B</span> 85", first) and "4.0 分（2 次）" in first
    assert "15 个工作日" in first and "¥10,000.00–¥40,000.00" in first
    assert "重庆市江北区" in first and "暂停投标" not in first
    assert "暂停投标" in second and "至 2027-03-01 止" in second and "暂无" in second


def test_the_best_usable_qualification_for_the_item_is_shown_with_its_badge(
    client, make, db, frozen_clock
):
    user = stock(make, db, "重庆A环评有限公司", days=10)
    verified = make.qualification(user, "ZJ012", grade="乙级")
    verify_qualification(make.staff("regulator", "生态环境部门"), verified.id)
    make.qualification(user, "ZJ018", grade="甲级")  # another item's: not shown here
    [row] = shelf_rows(client)
    assert "乙级" in row and "已核验" in row and "甲级" not in row

    make.qualification(user, "ZJ012", grade="甲级", valid_days=3)
    assert "甲级" in shelf_rows(client)[0] and "已声明" in shelf_rows(client)[0]
    frozen_clock.advance(days=5)  # the 甲级 one has expired
    assert "乙级" in shelf_rows(client)[0] and "甲级" not in shelf_rows(client)[0]

    other = stock(make, db, "重庆B环评有限公司", days=20)
    rejected = make.qualification(other, "ZJ012", grade="甲级")
    reject_qualification(make.staff("regulator", "生态环境部门"), rejected.id, "查无此证")
    assert "甲级" not in shelf_rows(client, sort="days")[1]


def test_sorting_by_credit_is_the_default_with_ties_by_name(client, make, db):
    stock(make, db, "重庆C环评有限公司", score=80)
    stock(make, db, "重庆B环评有限公司", score=80)
    stock(make, db, "重庆A环评有限公司", score=72)
    stock(make, db, "重庆D环评有限公司", score=96)
    expected = ["重庆D环评有限公司", "重庆B环评有限公司", "重庆C环评有限公司", "重庆A环评有限公司"]
    assert names(client) == expected
    assert names(client, sort="credit") == expected
    assert names(client, sort="nonsense") == expected


def test_sorting_by_rating_puts_unrated_agencies_last(client, make, db):
    stock(make, db, "重庆A环评有限公司", rating=None, score=100)
    stock(make, db, "重庆B环评有限公司", rating=3)
    stock(make, db, "重庆C环评有限公司", rating=5)
    stock(make, db, "重庆D环评有限公司", rating=3)
    assert names(client, sort="rating") == [
        "重庆C环评有限公司",
        "重庆B环评有限公司",
        "重庆D环评有限公司",
        "重庆A环评有限公司",
    ]


def test_sorting_by_promised_days_shortest_first(client, make, db):
    stock(make, db, "重庆A环评有限公司", days=30, score=100)
    stock(make, db, "重庆B环评有限公司", days=7, score=60)
    stock(make, db, "重庆C环评有限公司", days=15)
    assert names(client, sort="days") == [
        "重庆B环评有限公司",
        "重庆C环评有限公司",
        "重庆A环评有限公司",
    ]


def test_sorting_by_fee_lowest_amounts_then_rates_then_negotiable(client, make, db):
    stock(make, db, "重庆A环评有限公司", fee="negotiable")
    stock(make, db, "重庆B环评有限公司", fee="rate")
    stock(make, db, "重庆C环评有限公司", fee="fixed")
    stock(make, db, "重庆D环评有限公司", fee="range")
    listed = names(client, sort="fee")
    assert listed == [
        "重庆D环评有限公司",
        "重庆C环评有限公司",
        "重庆B环评有限公司",
        "重庆A环评有限公司",
    ]

    # The database order is the one Offering.sort_fee defines.
    offerings = {o.agency.organisation.name: o for o in db.session.query(Offering)}
    assert sorted(offerings, key=lambda name: offerings[name].sort_fee) == listed


def test_filter_by_region(client, make, db):
    stock(make, db, "重庆A环评有限公司", region="重庆市渝北区")
    stock(make, db, "成都B环评有限公司", region="四川省成都市")
    page = client.get("/shelves/ZJ012").get_data(as_text=True)
    assert re.search(r'<option value="四川省成都市"\s*>', page)
    assert names(client, region="四川省成都市") == ["成都B环评有限公司"]
    assert names(client, region="重庆市渝北区") == ["重庆A环评有限公司"]
    empty = client.get("/shelves/ZJ012", query_string={"region": "北京市"}).get_data(as_text=True)
    assert "没有符合筛选条件的机构" in empty


def test_filter_by_a_usable_qualification_grade_for_the_item(client, make, db, frozen_clock):
    first = stock(make, db, "重庆A环评有限公司")
    second = stock(make, db, "重庆B环评有限公司")
    third = stock(make, db, "重庆C环评有限公司")
    make.qualification(first, "ZJ012", grade="甲级")
    make.qualification(first, "ZJ012", grade="乙级")
    make.qualification(second, "ZJ012", grade="乙级", valid_days=2)
    make.qualification(third, "ZJ018", grade="乙级")  # not for this item
    assert names(client, grade="甲级") == ["重庆A环评有限公司"]
    assert names(client, grade="乙级") == ["重庆A环评有限公司", "重庆B环评有限公司"]
    frozen_clock.advance(days=3)
    assert names(client, grade="乙级") == ["重庆A环评有限公司"]
    assert len(names(client, grade="特级")) == 3  # not a grade: no filter


def test_pages_keep_the_sort(client, make, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for n, days in (("A", 5), ("B", 9), ("C", 7)):
        stock(make, db, f"重庆{n}环评有限公司", days=days)
    assert names(client, sort="days") == ["重庆A环评有限公司", "重庆C环评有限公司"]
    assert names(client, sort="days", page=2) == ["重庆B环评有限公司"]


def test_purchasers_get_the_buttons_and_nobody_else(client, auth, make, db):
    item = make.item("ZJ012")
    able = stock(make, db, "重庆A环评有限公司")
    suspended = stock(make, db, "重庆B环评有限公司", score=50)
    db.session.get(Agency, suspended.organisation.id).blacklisted = True
    start = f'href="/notices/new?item={item.id}"'
    invite = f'href="/notices/new?item={item.id}&amp;invite={able.organisation.id}"'

    for visitor in (None, make.agency()):
        if visitor:
            auth.login(visitor)
        page = client.get("/shelves/ZJ012").get_data(as_text=True)
        assert "发起采购" not in page and "直接邀请" not in page and "/notices/new" not in page

    auth.login(make.purchaser())
    page = client.get("/shelves/ZJ012").get_data(as_text=True)
    assert start in page and "发起采购" in page and invite in page
    assert f"invite={suspended.organisation.id}" not in page


def test_start_procurement_preselects_the_item(client, auth, make):
    item = make.item("ZJ018")
    auth.login(make.purchaser())
    page = client.get(f"/notices/new?item={item.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{item.id}">', page)


def test_the_catalogue_page_shows_the_fee_type_and_links_to_the_shelf(client):
    page = client.get("/catalogue/ZJ006").get_data(as_text=True)
    assert re.search(r"政府指导价</span> 气象主管机构防雷装置检测收费标准（政府指导价）", page)
    assert "政府指导价标准：¥1,000.00–¥30,000.00" in page
    assert 'href="/shelves/ZJ006"' in page
    assert "费率 0.10%–0.50%" in client.get("/catalogue/ZJ024").get_data(as_text=True)
    market = client.get("/catalogue/ZJ012").get_data(as_text=True)
    assert re.search(r"市场调节价</span> 市场调节价，由委托双方协商确定", market)
    assert "政府指导价" not in market
    assert 'href="/shelves/ZJ033"' not in client.get("/catalogue/ZJ033").get_data(as_text=True)


def test_a_shelf_costs_the_same_queries_for_few_or_many_agencies(client, make, db):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    def queries_for_shelf():
        db.session.expire_all()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/shelves/ZJ012").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    user = stock(make, db, "重庆A环评有限公司", rating=4)
    make.qualification(user, "ZJ012")
    few = queries_for_shelf()
    for n in range(6):
        user = stock(make, db, f"重庆环评{n}有限公司", region=f"重庆市{n}区", rating=3)
        make.qualification(user, "ZJ012", grade="甲级")
    assert len(shelf_rows(client)) == 7
    assert queries_for_shelf() == few
