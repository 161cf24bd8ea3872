"""The whole procurement lifecycle, as its people do it in Chromium against a real server.

One scenario, in order (each test builds on the one before; the module's server keeps the
data): an agency registers and declares its services; a purchaser posts and publishes a
notice; three agencies quote; the deadline passes (the server's clock moved); the lowest
price is selected; an agency objects and the purchaser answers; the contract is signed; the
advance is paid by bank transfer and confirmed; the work is delivered, accepted and rated both
ways; a regulator confirms a violation and the agency's grade and place in the search change;
the public sees all of it without signing in.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from market.core import clock
from market.core.clock import to_local
from market.extensions import db as _db

from .. import factories
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TITLE = "礼嘉智慧公园二期环境影响评价服务采购"
NEW_AGENCY = {
    "org_name": "重庆两江绿源环境咨询有限公司",
    "legal_representative": "周明",
    "region": "重庆市渝北区",
    "address": "重庆市渝北区金开大道 88 号",
    "contact_name": "周明",
    "contact_phone": "023-67880011",
    "email": "zhouming@lvyuan.example.cn",
}
#: what the scenario carries from one step to the next
STATE = {}


def choose_item(page, code):
    """Pick the catalogue item `code` in the page's item list."""
    value = page.locator("#item_id option", has_text=code).first.get_attribute("value")
    page.select_option("#item_id", value)


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module")
def cast(server):
    """Accounts no page creates (the regulator, the operator), the purchaser and two agencies
    already on the platform, made with the application's services on the server's database."""
    with server.seeding():
        buyer = factories.purchaser(org_name="重庆市礼嘉智慧公园建设管理中心")
        first = factories.agency(("ZJ012",), org_name="重庆渝环评价技术有限公司")
        second = factories.agency(("ZJ012",), org_name="四川蜀天环保科技有限公司")
        regulator = factories.credit_regulator()
        operator = factories.staff("operator", "网上中介超市运营中心")
        # the two have each a minor record disclosed (信息变更未及时更新, 2 points): a new
        # agency with a clean record ranks above them until it has a record of its own
        try:
            for agency in (first, second):
                factories.confirmed_record("A12", agency_user=agency)
        finally:
            clock.freeze(None)
        _db.session.commit()
        people = {
            "purchaser": buyer.email,
            "agency1": first.email,
            "agency2": second.email,
            "regulator": regulator.email,
            "operator": operator.email,
        }
    server.run_worker()  # their search documents
    return people


def test_an_agency_registers_and_declares_its_services(people, server, cast):
    agency = people("agency3")
    page = agency.goto("/register/agency")
    for field, value in NEW_AGENCY.items():
        page.fill(f"#{field}", value)
    page.fill("#uscc", factories.uscc())
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.check("#commitment")
    page.get_by_role("button", name="提交入驻").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("邮件")
    agency.shoot("register-sent")

    link = server.link_in_mail(NEW_AGENCY["email"], "/register/confirm/")
    agency.goto(link)
    agency.login(NEW_AGENCY["email"])

    page = agency.goto("/agency/offerings")
    choose_item(page, "ZJ012")
    page.check("input[name=fee_kind][value=fixed]")
    page.fill("#fee_min", "90000")
    page.fill("#promised_days", "40")
    page.fill("#service_area", "重庆市")
    page.fill("#description", "建设项目环境影响报告书编制，含现场监测与报批协助")
    page.check("#commitment")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "已添加服务「环境影响评价报告书（表）编制」"
    )
    agency.shoot("agency-offerings")


def test_a_purchaser_posts_and_publishes_a_notice(people, server, cast):
    buyer = people("purchaser").login(cast["purchaser"], factories.PASSWORD)
    page = buyer.goto("/notices/new")
    choose_item(page, "ZJ012")
    page.fill("#title", TITLE)
    page.fill("#scope", "编制二期工程环境影响报告书并协助报批")
    page.select_option("#method", "lowest")
    page.fill("#ceiling", "120000")
    page.fill("#service_days", "45")
    deadline = datetime.now(UTC) + timedelta(days=10)
    page.fill("#deadline", to_local(deadline).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#contact_name", "王五")
    page.fill("#contact_phone", "023-67001234")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#notice-state")).to_have_text("草稿")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#notice-state")).to_have_text("报价中")
    STATE["notice"] = int(re.search(r"/notices/(\d+)", page.url)[1])
    STATE["deadline"] = deadline
    buyer.shoot("notice-published")


def test_three_agencies_quote_sealed(people, server, cast):
    notice = STATE["notice"]
    quotes = [("agency3", NEW_AGENCY["email"], PASSWORD, "88000")]
    quotes += [
        (n, cast[n], factories.PASSWORD, a) for n, a in (("agency1", "95000"), ("agency2", "99000"))
    ]
    for name, address, password, amount in quotes:
        agency = people(name)
        if name != "agency3":
            agency.login(address, password)
        page = agency.goto(f"/notices/{notice}")
        if page.locator("#quote-barrier").count():
            raise AssertionError(page.locator("#quote-barrier").inner_text())
        page.fill("#amount", amount)
        page.fill("#plan", "组建项目组，30 日内完成报告书编制")
        page.get_by_role("button", name="密封提交").click()
        expect(page.locator("body")).to_contain_text("报价已密封提交")
    people("agency3").shoot("bid-receipt")

    # sealed: nobody but the bidder sees a quote, or that one exists
    public = people("public")
    page = public.goto(f"/notices/{notice}")
    expect(page.locator("body")).not_to_contain_text("88,000")
    expect(page.locator("body")).not_to_contain_text("重庆两江绿源")
    public.shoot("notice-public-sealed")


def test_the_deadline_passes_and_the_lowest_price_is_selected(people, server, cast):
    notice = STATE["notice"]
    server.move_clock(STATE["deadline"] + timedelta(minutes=5))
    server.run_worker()
    public = people("public")
    page = public.goto(f"/notices/{notice}")
    result = page.locator("#result")
    expect(result).to_contain_text("重庆两江绿源环境咨询有限公司")
    expect(result).to_contain_text("¥88,000.00")
    expect(page.locator("#timeline")).to_contain_text("选定中选机构")
    public.shoot("notice-result")
    page = public.goto(f"/notices/{notice}/draw")
    public.shoot("notice-draw")


def test_an_agency_objects_and_the_regulator_decides(people, server, cast):
    notice = STATE["notice"]
    loser = people("agency1")
    page = loser.goto(f"/notices/{notice}")
    page.fill("#reasons", "中选报价明显低于成本，请核查其报价的合理性")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("[id^=objection-]").first).to_contain_text("中选报价明显低于成本")

    buyer = people("purchaser")
    page = buyer.goto(f"/notices/{notice}")
    page.locator("[id^=objection-] textarea[name=answer]").fill(
        "中选机构已书面说明报价构成，报价合理"
    )
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator("[id^=objection-]").first).to_contain_text("报价构成")

    regulator = people("regulator").login(cast["regulator"], factories.PASSWORD)
    page = regulator.goto(f"/notices/{notice}")
    page.locator("[id^=objection-] input[name=outcome][value=rejected]").check()
    page.locator("[id^=objection-] textarea[name=decision]").fill(
        "经核查，中选报价构成合理，异议不成立"
    )
    page.get_by_role("button", name="作出处理决定").click()
    expect(page.locator("[id^=objection-]").first).to_contain_text("异议不成立")
    regulator.shoot("notice-objection-decided")


def test_the_contract_is_signed_by_both(people, server, cast):
    notice = STATE["notice"]
    # the publicity period (3 working days) ends
    server.move_clock(STATE["deadline"] + timedelta(days=7))
    server.run_worker()
    for name in ("purchaser", "agency3"):
        person = people(name)
        page = person.goto(f"/notices/{notice}")
        page.locator("#sign-box").get_by_role("button", name=re.compile("签署")).click()
        expect(page.get_by_role("alert").first).to_contain_text("签署")
    page = people("purchaser").goto(f"/notices/{notice}")
    expect(page.locator("#timeline")).to_contain_text("合同")
    people("purchaser").shoot("notice-contract-signed")


def test_delivered_accepted_and_rated_both_ways(people, server, cast):
    notice = STATE["notice"]
    agency = people("agency3")
    page = agency.goto(f"/notices/{notice}")
    page.fill("#note", "环境影响报告书 5 份及电子版")
    page.get_by_role("button", name="确认已交付").click()
    expect(page.get_by_role("alert").first).to_contain_text("交付")

    buyer = people("purchaser")
    page = buyer.goto(f"/notices/{notice}")
    box = page.locator("#evaluation-box")
    box.get_by_text("验收并评价（一次完成）").click()
    for dimension in ("quality", "timeliness", "attitude", "fees", "conduct"):
        box.locator(f"input[name={dimension}][value='4']").check()
    box.locator("textarea[name=comment]").fill("报告质量较好，按期交付")
    page.get_by_role("button", name="验收通过并提交评价").click()
    expect(page.get_by_role("alert").first).to_contain_text("验收")

    page = agency.goto(f"/notices/{notice}")
    box = page.locator("#rating-box")
    for dimension in ("quality", "timeliness", "attitude", "fees", "conduct"):
        box.locator(f"input[name={dimension}][value='4']").check()
    box.locator("textarea[name=comment]").fill("需求明确，配合及时")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("alert").first).to_contain_text("评价")
    agency.shoot("notice-rated")


def test_the_fee_is_paid_by_bank_transfer_and_confirmed(people, server, cast, tmp_path):
    notice = STATE["notice"]
    voucher = tmp_path / "回单.pdf"
    voucher.write_bytes(factories.PDF_BYTES)
    buyer = people("purchaser")
    page = buyer.goto(f"/notices/{notice}")
    page.locator("#milestone-1").get_by_role("link", name="详情与办理").click()
    page.fill("#paid_on", f"{to_local(STATE['deadline'] + timedelta(days=7)):%Y-%m-%d}")
    page.fill("#amount", "88000")
    page.fill("#bank_reference", "50001083600050012345")
    page.set_input_files("#file", str(voucher))
    page.get_by_role("button", name="登记付款").click()
    expect(page.locator("#milestone-state")).to_have_text("待机构确认收款")
    STATE["milestone"] = page.url

    agency = people("agency3")
    page = agency.goto(STATE["milestone"].removeprefix(server.url))
    page.get_by_role("button", name="确认已收到 ¥88,000.00").click()
    expect(page.locator("#milestone-state")).to_have_text("已付款")
    agency.shoot("milestone-paid")


def _score(standing: str) -> int:
    return int(re.search(r"信用分 (\d+)", standing)[1])


def _search_rank(person, name):
    """The place of `name` among the agencies found for 环评 (1 = first)."""
    page = person.goto("/search?type=agencies&q=环评")
    names = page.locator("#hits .hit-title").all_inner_texts()
    found = [i for i, text in enumerate(names, 1) if name in text]
    assert found, names
    return found[0]


def test_a_regulator_confirms_a_violation_and_grade_and_rank_change(people, server, cast):
    notice = STATE["notice"]
    public = people("public")
    server.run_worker()
    page = public.goto("/agencies/")
    before_rank = _search_rank(public, NEW_AGENCY["org_name"])
    agency_page = page.get_by_role("link", name=NEW_AGENCY["org_name"]).first.get_attribute("href")
    STATE["agency_page"] = agency_page
    page = public.goto(agency_page)
    before = page.locator("#standing").inner_text()

    buyer = people("purchaser")
    page = buyer.goto(f"/notices/{notice}")
    page.get_by_role("link", name="报告参与机构的不良行为").click()
    page.select_option("#subject_org_id", label=NEW_AGENCY["org_name"])
    value = page.locator("#code option", has_text="A08").first.get_attribute("value")
    page.select_option("#code", value)
    page.fill("#facts", "将报告书的编制整体转给另一家单位完成，未经采购人同意")
    page.get_by_role("button", name=re.compile("提交")).click()
    expect(page.get_by_role("alert").first).to_contain_text("报告")
    record = page.url.removeprefix(server.url)

    # the agency's statement period (3 working days) passes
    server.move_clock(STATE["deadline"] + timedelta(days=20))
    regulator = people("regulator")
    page = regulator.goto(record)
    page.locator("input[name=outcome][value=confirmed]").check()
    page.fill("#decision_number", "生环信决〔2026〕31号")
    page.fill("#reason", "转包中介服务，事实清楚")
    page.get_by_role("button", name=re.compile("认定|决定")).first.click()
    expect(page.locator("body")).to_contain_text("认定违规")
    page.get_by_role("button", name=re.compile("公示|公开")).first.click()
    regulator.shoot("credit-record-confirmed")
    server.run_worker()

    page = public.goto(agency_page)
    after = page.locator("#standing").inner_text()
    # 100 − 15 (A08, serious) with a neutral 4-star rating: 85, grade B
    assert (before.split()[0], _score(before)) == ("A", 100), before
    assert (after.split()[0], _score(after)) == ("B", 85), after
    expect(page.locator("#standing")).to_contain_text("暂停投标")
    public.shoot("agency-after-violation")
    after_rank = _search_rank(public, NEW_AGENCY["org_name"])
    assert after_rank > before_rank, (before_rank, after_rank)


def test_the_public_sees_it_all_without_signing_in(people, server, cast):
    notice = STATE["notice"]
    public = people("public")
    page = public.goto(f"/notices/{notice}")
    timeline = page.locator("#timeline")
    for step in ("公告发布", "选定中选机构", "异议", "合同", "交付", "验收", "付款"):
        expect(timeline).to_contain_text(step)
    public.shoot("notice-public-complete")
    page = public.goto(STATE["agency_page"].replace("/agencies/", "/credit/agencies/"))
    expect(page.locator("body")).to_contain_text("A08")
    public.shoot("credit-public")
    for path, name in (("/", "home"), ("/notices/", "notices"), ("/statistics/", "statistics")):
        public.goto(path)
        public.shoot(f"public-{name}")
