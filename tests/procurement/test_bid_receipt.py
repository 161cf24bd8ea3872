"""The bidder's receipt as a page, a PDF and a JSON file (its own people only); a replaced
quote's receipt says 已被替换; the quote form tells an agency that cannot quote why before it
fills anything in; the agency's list of notices marks those it quoted on."""

import io
import json
from datetime import datetime

import pytest
from pypdf import PdfReader

from market.agencies.services import agency_of
from market.core.clock import from_local
from market.procurement import services
from market.procurement.models import Avoidance

from .selection_web import login, text


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def quoted(make):
    notice = make.notice(title="礼嘉智慧公园环境影响评价服务采购")
    agency_user = make.agency(org_name="重庆绿源环评有限公司")
    doc = make.document(agency_user, kind="licence", title="营业执照")
    bid = services.submit_bid(agency_user, notice, 81_000_00, "方案", (), [doc.id])
    return notice, agency_user, bid


def test_the_receipt_page_reads_in_chinese(app, quoted):
    notice, agency_user, bid = quoted
    page = text(login(app, agency_user), f"/notices/{notice.id}/bid/receipt")
    for shown in (
        "报价回执",
        "礼嘉智慧公园环境影响评价服务采购",
        "重庆绿源环评有限公司",
        "¥81,000.00",
        "2026-11-24 10:00",
        "营业执照",
        bid.commitment,
        "SHA-256",
        "随机数",
        "报价承诺值公示",
    ):
        assert shown in page, shown
    assert "已被替换" not in page


def test_the_receipt_pdf_holds_the_table_the_commitment_and_how_to_verify(app, quoted):
    notice, agency_user, bid = quoted
    response = login(app, agency_user).get(f"/notices/{notice.id}/bid/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = _pdf_text(response.data).replace("\n", "").replace(" ", "")
    for shown in (
        "报价回执",
        "礼嘉智慧公园环境影响评价服务采购",
        "重庆绿源环评有限公司",
        "¥81,000.00",
        "2026-11-2410:00",
        "营业执照",
        "如何核验",
        "SHA-256",
        "承诺值公示页",
    ):
        assert shown in pdf, shown
    assert bid.commitment[:32] in pdf


def test_the_json_receipt_has_chinese_keys(app, quoted):
    notice, agency_user, bid = quoted
    response = login(app, agency_user).get(f"/notices/{notice.id}/bid/receipt.json")
    data = json.loads(response.data)
    assert data["公告编号"] == notice.id and data["机构"] == "重庆绿源环评有限公司"
    assert data["报价金额（元）"] == "¥81,000.00" and data["承诺值"] == bid.commitment
    assert data["承诺内容"]["nonce"] == bid.nonce and data["提交时间"] == "2026-11-24 10:00:00"


def test_a_replaced_receipt_says_so_to_its_agency_only(app, make, quoted, frozen_clock):
    notice, agency_user, bid = quoted
    old = bid.commitment
    frozen_clock.advance(hours=2)
    services.replace_bid(agency_user, notice, 79_000_00, "新方案")
    (receipt,) = services.receipts_of(bid)
    client = login(app, agency_user)
    page = text(client, f"/notices/{notice.id}/bid/receipt?earlier={receipt.id}")
    assert "已被替换" in page and old in page and "2026-11-24 12:00" in page
    pdf = client.get(f"/notices/{notice.id}/bid/receipt.pdf?earlier={receipt.id}").data
    assert "已被替换" in _pdf_text(pdf)
    current = text(client, f"/notices/{notice.id}/bid/receipt")
    assert "已被替换" not in current and "¥79,000.00" in current
    for other in (make.agency(), notice.created_by):
        response = login(app, other).get(f"/notices/{notice.id}/bid/receipt?earlier={receipt.id}")
        assert response.status_code == 403
        assert old not in response.get_data(as_text=True)


def _avoided(make, notice, user):
    notice.avoidances.append(
        Avoidance(agency_org_id=user.organisation.id, reason="与项目建设单位存在关联关系")
    )


def _suspended(make, notice, user):
    agency_of(user).suspended_until = from_local(datetime(2027, 3, 1, 0, 0))


def _blacklisted(make, notice, user):
    agency_of(user).blacklisted = True


BARRIERS = {
    "avoided": (_avoided, "回避名单中（与项目建设单位存在关联关系）"),
    "suspended": (_suspended, "暂停参与投标，至 2027-03-01 止"),
    "blacklisted": (_blacklisted, "严重失信名单"),
}


@pytest.mark.parametrize("case", sorted(BARRIERS))
def test_an_ineligible_agency_sees_why_instead_of_the_form(app, make, case):
    setup, reason = BARRIERS[case]
    notice = make.notice()
    user = make.agency()
    setup(make, notice, user)
    page = text(login(app, user), f"/notices/{notice.id}")
    assert 'id="quote-barrier"' in page and reason in page
    assert f'action="/notices/{notice.id}/bid"' not in page


def test_an_unqualified_agency_sees_why_instead_of_the_form(app, make):
    notice = make.notice(code="ZJ009", requires_qualification=True, min_grade="乙级")
    user = make.agency(items=("ZJ009",))
    make.qualification(user, code="ZJ009", grade="丙级")
    page = text(login(app, user), f"/notices/{notice.id}")
    assert "本项目要求具备「地质灾害危险性评估单位资质」（乙级及以上）" in page
    assert f'action="/notices/{notice.id}/bid"' not in page
    make.qualification(user, code="ZJ009", grade="甲级")
    page = text(login(app, user), f"/notices/{notice.id}")
    assert 'id="quote-barrier"' not in page and f'action="/notices/{notice.id}/bid"' in page


def test_the_opportunities_mark_the_agencys_own_quotes(app, make):
    quoted_on, other = make.notice(title="已报价的公告"), make.notice(title="未报价的公告")
    mine, rival = make.agency(), make.agency()
    make.bid(mine, quoted_on)
    make.bid(rival, other)
    page = text(login(app, mine), "/agency/opportunities")
    assert page.count("已报价</span>") == 1
    assert page.index("已报价的公告") < page.index("已报价</span>") < page.index("未报价的公告")
    assert "已报价</span>" not in text(login(app, make.agency()), "/agency/opportunities")
    services.withdraw_bid(mine, quoted_on)
    assert "已报价</span>" not in text(login(app, mine), "/agency/opportunities")
