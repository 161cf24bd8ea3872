"""The agency storefront: offerings, qualifications with badges, practitioners without their ID
numbers, past performance in amount bands, standing, and a fixed number of queries."""

import re
from datetime import datetime

from market.agencies.practitioners import set_practitioner_active
from market.agencies.qualifications import reject_qualification, verify_qualification
from market.agencies.services import agency_of, declare_offering, record_past_performance
from market.core.clock import from_local, to_local
from market.procurement.services import accept_and_evaluate, evaluate, mark_delivered
from tests.sql import statements_of

SCORES = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 3, "conduct": 4}


def storefront(client, user):
    response = client.get(f"/agencies/{user.organisation.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page, element_id):
    """The table with this id (what a visitor sees in that section)."""
    match = re.search(rf'<table[^>]*id="{element_id}".*?</table>', page, re.S)
    return match.group(0) if match else ""


def count_queries(db, fetch):
    return statements_of(db, fetch)[0]


def test_offerings_show_item_fee_days_description_and_area(client, make):
    user = make.agency(items=())
    declare_offering(
        user,
        make.offering_data(
            "ZJ012", description="报告书、报告表均可承接", service_area="重庆市全域"
        ),
    )
    declare_offering(user, make.offering_data("ZJ006"))  # government-priced, fixed ¥1,000.00
    table = section(storefront(client, user), "offerings")
    assert 'href="/catalogue/ZJ012"' in table and "环境影响评价报告书（表）编制" in table
    assert "¥30,000.00–¥50,000.00" in table and "¥1,000.00" in table
    assert "20 个工作日" in table
    assert "报告书、报告表均可承接" in table and "重庆市全域" in table
    assert 'href="/shelves/ZJ012"' in table


def test_qualifications_carry_their_badge_and_rejected_ones_disappear(client, make, frozen_clock):
    user = make.agency(items=("ZJ012", "ZJ018"))
    declared = make.qualification(
        user, "ZJ012", type="环评甲级资信", grade="甲级", number="HP-001", issuer="生态环境部"
    )
    verified = make.qualification(user, "ZJ012", number="HP-002")
    verify_qualification(make.staff("regulator", "生态环境部门"), verified.id)
    rejected = make.qualification(user, "ZJ018", number="CH-404")
    reject_qualification(make.staff("regulator", "规划自然资源部门"), rejected.id, "证书查无此号")
    expiring = make.qualification(user, "ZJ012", number="HP-OLD", valid_days=5)
    frozen_clock.advance(days=10)

    table = section(storefront(client, user), "qualifications")
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*HP-001.*?</tr>", table, re.S).group(0)
    for shown in ("环评甲级资信", "甲级", "生态环境部", str(declared.valid_until), "已声明"):
        assert shown in row
    assert re.search(r"HP-002.*?已核验", table, re.S)
    assert "CH-404" not in table and "核验不通过" not in table
    old = re.search(r'<tr class="text-muted">(?:(?!</tr>).)*HP-OLD.*?</tr>', table, re.S)
    assert old and "已过期" in old.group(0) and str(expiring.valid_until) in old.group(0)


def test_practitioners_are_shown_without_their_id_number(client, make):
    user = make.agency()
    active = make.practitioner(user, name="陈一", certificate_number="HP00001234")
    left = make.practitioner(user, name="周二")
    set_practitioner_active(user, left.id, False)
    page = storefront(client, user)
    table = section(page, "practitioners")
    assert "陈一" in table and "环境影响评价工程师职业资格证书" in table and "HP00001234" in table
    assert "周二" not in table
    assert active.id_number not in page and left.id_number not in page


def test_past_performance_shows_the_amount_band_not_the_amount(client, make):
    notice, buyer, winner = make.contracted_notice(amount_fen=86_500_00)
    mark_delivered(winner, notice, "报告书5份")
    accept_and_evaluate(buyer, notice, SCORES, "成果扎实")
    # Double-blind: the rating is shown once the agency has rated the purchaser too.
    assert "4.2 分" not in section(storefront(client, winner), "performances")
    evaluate(winner, notice, SCORES, "配合顺畅")
    table = section(storefront(client, winner), "performances")
    assert "环境影响评价报告书（表）编制" in table and buyer.organisation.name in table
    assert "5万–20万元" in table and "86,500" not in table and "86500" not in table
    assert "4.2 分" in table and to_local(notice.contract.accepted_dt).strftime("%Y-%m-%d") in table


def test_a_performance_not_yet_rated_says_so(client, make, frozen_clock):
    notice, buyer, winner = make.contracted_notice(amount_fen=3_000_00)
    record_past_performance(
        notice.contract.id,
        item_id=notice.item_id,
        purchaser_name=buyer.organisation.name,
        agency_org_id=winner.organisation.id,
        amount_fen=3_000_00,
        accepted_dt=frozen_clock.now,
    )
    table = section(storefront(client, winner), "performances")
    assert "5千元以下" in table and "待评价" in table and "¥3,000.00" not in table


def test_an_empty_storefront_says_what_is_missing(client, make):
    page = storefront(client, make.agency(items=()))
    for text in ("尚未声明提供服务", "尚未声明资质", "尚未登记从业人员", "暂无在本平台完成的项目"):
        assert text in page
    assert "暂停投标" not in page


def test_a_suspended_agency_shows_why_and_until_when(client, make):
    user = make.agency()
    agency_of(user).suspended_until = from_local(datetime(2027, 3, 1, 0, 0))
    standing = re.search(r'id="standing">.*?</div>\s*</div>', storefront(client, user), re.S)
    assert "暂停投标" in standing.group(0) and "至 2027-03-01 止" in standing.group(0)


def test_the_storefront_costs_the_same_queries_however_much_it_shows(client, make, db):
    small = make.agency(items=("ZJ012",))
    make.qualification(small, "ZJ012")
    make.practitioner(small)
    big = make.agency(items=("ZJ012", "ZJ010", "ZJ011", "ZJ018"))
    for code in ("ZJ012", "ZJ009", "ZJ029"):  # two of them for items it does not offer
        make.qualification(big, code)
        make.practitioner(big)

    db.session.expire_all()
    few = count_queries(db, lambda: storefront(client, small))
    db.session.expire_all()
    assert count_queries(db, lambda: storefront(client, big)) == few
