"""The public agency directory and profile pages: offerings, credit and ratings."""

import re

from market.agencies.models import Agency
from market.core.signals import contract_evaluated
from market.procurement.services import accept_and_evaluate, evaluate, mark_delivered

ALL_FIVES = dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conduct"), 5)


def names_listed(client, **params):
    page = client.get("/agencies/", query_string=params).get_data(as_text=True)
    return re.findall(r'<a href="/agencies/\d+">([^<]+)</a>', page)


def profile(client, user):
    response = client.get(f"/agencies/{user.organisation.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def agency_row(db, user):
    return db.session.get(Agency, user.organisation.id)


def test_the_directory_is_public_and_lists_every_agency(client, make):
    make.agency(org_name="重庆信诚环保科技有限公司")
    make.agency(org_name="成都恒瑞测绘地理信息有限公司", region="四川省成都市", items=("ZJ018",))
    page = client.get("/agencies/").get_data(as_text=True)
    assert "重庆信诚环保科技有限公司" in page and "成都恒瑞测绘地理信息有限公司" in page
    assert "四川省成都市" in page and "1 项" in page


def test_searching_by_name_goes_to_the_search_page(client, make):
    # Words are searched on /search (tests/search/test_pages.py); the directory's box
    # submits there and old ?q= links are redirected.
    make.agency(org_name="重庆信诚环保科技有限公司")
    page = client.get("/agencies/").get_data(as_text=True)
    assert re.search(r'<form[^>]*action="/search"[^>]*id="directory-search"', page)
    response = client.get("/agencies/", query_string={"q": "环保"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?type=agencies&q=%E7%8E%AF%E4%BF%9D"


def test_filter_by_catalogue_item(client, make):
    make.agency(org_name="重庆信诚环保科技有限公司", items=("ZJ012",))
    make.agency(org_name="重庆致远水土保持技术咨询有限公司", items=("ZJ010", "ZJ011"))
    item = make.item("ZJ010")
    assert names_listed(client, item=item.id) == ["重庆致远水土保持技术咨询有限公司"]
    page = client.get("/agencies/", query_string={"item": item.id}).get_data(as_text=True)
    assert f'<option value="{item.id}" selected>' in page


def test_the_catalogue_item_page_links_to_its_agencies(client, make):
    item = make.item("ZJ012")
    make.agency(items=("ZJ012",), org_name="重庆甲环保科技有限公司")
    page = client.get("/catalogue/ZJ012").get_data(as_text=True)
    assert f"/agencies/?item={item.id}" in page
    assert "重庆甲环保科技有限公司" in page and "全部 1 家" in page


def test_better_credit_is_listed_first(client, make, db):
    low = make.agency(org_name="重庆甲环保科技有限公司")
    make.agency(org_name="重庆乙环保科技有限公司")
    row = agency_row(db, low)
    row.credit_score, row.credit_grade = 72, "C"
    db.session.flush()
    assert names_listed(client) == [
        "重庆乙环保科技有限公司",
        "重庆甲环保科技有限公司",
    ]


def test_the_profile_shows_offerings_credit_and_contacts(client, make):
    user = make.agency(
        org_name="重庆鼎盛环境工程咨询有限公司",
        contact_name="吴九",
        contact_phone="023-67001234",
        items=("ZJ012", "ZJ010"),
    )
    page = profile(client, user)
    assert "重庆鼎盛环境工程咨询有限公司" in page and user.organisation.uscc in page
    assert "环境影响评价报告书（表）编制" in page and "水土保持方案报告书编制" in page
    assert "20 个工作日" in page and "¥30,000.00–¥50,000.00" in page
    assert "A <small" in page and "信用分 100" in page
    assert "入驻于 2026-11-24" in page
    assert "暂无评价" in page and "（0 次评价）" in page
    assert "联系人：吴九" in page and "电话：023-67001234" in page


def test_unknown_or_non_agency_profiles_are_404(client, make):
    assert client.get("/agencies/999999").status_code == 404
    purchaser = make.purchaser()
    assert client.get(f"/agencies/{purchaser.organisation.id}").status_code == 404


def test_an_evaluation_shows_on_the_profile(client, make):
    notice, buyer, winner = make.contracted_notice()
    mark_delivered(winner, notice, "报告书5份")
    scores = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 3, "conduct": 4}
    accept_and_evaluate(buyer, notice, scores, "成果扎实")
    assert "（1 次评价）" not in profile(client, winner)  # double-blind until both are in
    evaluate(winner, notice, scores, "配合顺畅")

    page = profile(client, winner)
    assert "（1 次评价）" in page
    assert re.search(r'id="rating-overall">4\.20 ', page)
    for label, shown in (("服务质量", "5.0"), ("服务时效", "4.0"), ("收费", "3.0")):
        assert re.search(rf'aria-label="{label}".*?<span class="ms-2">{shown}</span>', page, re.S)


def test_rating_averages_accumulate_over_evaluations(client, make, db):
    user = make.agency(org_name="重庆和泰环保科技有限公司")
    org_id = user.organisation.id
    contract_evaluated.send(None, contract_id=0, agency_org_id=org_id, scores=ALL_FIVES)
    contract_evaluated.send(
        None,
        contract_id=0,
        agency_org_id=org_id,
        scores={"quality": 3, "timeliness": 4, "attitude": 5, "fees": 2, "conduct": 4},
    )
    row = agency_row(db, user)
    assert row.rating_count == 2
    assert row.rating_average("quality") == 4.0 and row.rating_average("fees") == 3.5
    assert row.rating_overall == 4.3

    page = profile(client, user)
    assert "（2 次评价）" in page and re.search(r'id="rating-overall">4\.30 ', page)
    listed = client.get("/agencies/").get_data(as_text=True)
    assert "4.3 分（2 次）" in listed


def test_an_agency_without_evaluations_has_no_averages(make, db):
    row = agency_row(db, make.agency())
    assert row.rating_overall is None and row.rating_average("quality") is None


def test_an_agency_sees_a_link_to_its_public_profile(client, auth, make):
    user = make.agency()
    auth.login(user)
    page = client.get("/account").get_data(as_text=True)
    assert f'href="/agencies/{user.organisation.id}"' in page and "查看本机构公开主页" in page
