"""Each selection method on a notice of its own, end to end in Chromium against a real server:
the purchaser publishes it with the method's fields, three agencies quote (or register at the
fixed price), the deadline passes, the purchaser takes the method's step if it has one, and
anyone sees the result and how it was reached without signing in.

The three agencies differ in credit (100, 98 and 95: minor records disclosed), so the methods
that weigh credit have a known answer.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from market.core import clock
from market.core.clock import to_local
from market.extensions import db as _db

from .. import factories
from .test_lifecycle import choose_item, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AGENCIES = {
    "clean": ("重庆清源环境技术有限公司", None),  # credit 100
    "minor": ("重庆山城环评咨询有限公司", "A12"),  # 98
    "general": ("成都锦江环境工程有限公司", "A05"),  # 95
}
AMOUNTS = {"clean": "88000", "minor": "95000", "general": "99000"}


@pytest.fixture(scope="module")
def cast(server):
    with server.seeding():
        buyer = factories.purchaser(org_name="重庆市两江新区生态环境分局")
        emails = {"purchaser": buyer.email}
        try:
            for key, (name, code) in AGENCIES.items():
                user = factories.agency(("ZJ012",), org_name=name)
                if code:
                    factories.confirmed_record(code, agency_user=user)
                emails[key] = user.email
        finally:
            clock.freeze(None)
        _db.session.commit()
    return emails


@pytest.fixture(scope="module")
def signed_in(people, cast):
    for key, address in cast.items():
        people(key).login(address, factories.PASSWORD)
    return people


def _publish(buyer, method, title, fields=()):
    page = buyer.goto("/notices/new")
    choose_item(page, "ZJ012")
    page.fill("#title", title)
    page.fill("#scope", "编制环境影响报告表")
    page.select_option("#method", method)
    page.fill("#ceiling", "100000")
    page.fill("#service_days", "30")
    deadline = datetime.now(UTC) + timedelta(days=10)
    page.fill("#deadline", to_local(deadline).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#contact_name", "李四")
    page.fill("#contact_phone", "023-63001234")
    for selector, value in fields:
        page.fill(selector, value)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#notice-state")).to_have_text("草稿")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#notice-state")).to_have_text(re.compile("报价中|报名中"))
    return int(re.search(r"/notices/(\d+)", page.url)[1]), deadline


def _quote(people, notice):
    """Each agency quotes its amount, or registers where the price is fixed (a draw, credit)."""
    for key in AGENCIES:
        page = people(key).goto(f"/notices/{notice}")
        if page.get_by_role("button", name="密封提交").count():
            page.fill("#amount", AMOUNTS[key])
        page.fill("#plan", "项目组 3 人，20 个工作日内完成")
        page.get_by_role("button", name=re.compile("密封提交|密封报名")).click()
        expect(page.get_by_role("alert").first).to_contain_text("密封")


def _winner(people, notice):
    """The selected agency's name as the public sees it, after a look at the draw page."""
    public = people("public")
    page = public.goto(f"/notices/{notice}")
    result = page.locator("#result")
    expect(result).to_contain_text("中选结果")
    text = result.inner_text()
    draw = public.goto(f"/notices/{notice}/draw")
    expect(draw.locator("main")).to_contain_text("复核")
    return text


METHOD_CASES = {
    # method: (form fields, the purchaser's step, who must win (None: drawn, any of three))
    "lowest": ((), None, "clean"),
    "mean": ((), None, None),
    "random": (
        (("#method_reason", "公平竞争审查：常规小额服务，随机抽取保证各机构机会均等"),),
        None,
        None,
    ),
    "scored": (
        (("#weight_price", "40"), ("#weight_credit", "20"), ("#weight_technical", "40")),
        "scores",
        # price 40 / 37.05 / 35.56 + credit 20 / 19.6 / 19 + technical 24 / 36 / 28
        "minor",
    ),
    "credit": ((), None, "clean"),
    "direct": ((), "choose", "general"),
}


@pytest.mark.parametrize("method", list(METHOD_CASES))
def test_each_method_selects_on_its_own_notice(method, signed_in, server, cast):
    fields, step, expected = METHOD_CASES[method]
    people = signed_in
    server.move_clock(None)
    title = f"两江新区{method}方式环境影响评价服务采购"
    buyer = people("purchaser")
    notice, deadline = _publish(buyer, method, title, fields)
    _quote(people, notice)

    server.move_clock(deadline + timedelta(minutes=5))
    server.run_worker()
    page = buyer.goto(f"/notices/{notice}")
    if step == "scores":
        box = page.locator("#scores")
        for name, score in zip(AGENCIES.values(), ("60", "90", "70"), strict=True):
            box.get_by_label(re.compile(name[0])).fill(score)
        box.get_by_role("button", name="提交评分并计算结果").click()
    elif step == "choose":
        name = AGENCIES["general"][0]
        row = page.locator("tr", has_text=name)
        row.get_by_role("button", name="选定").click()
        page.locator("input[name=reason]:visible").fill("该机构有同类项目经验，服务方案最完整")
        page.get_by_role("button", name=f"确认选定 {name}").click()
    buyer.shoot(f"method-{method}-purchaser")

    won = _winner(people, notice)
    if expected:
        assert AGENCIES[expected][0] in won, won
    else:
        assert any(name in won for name, _ in AGENCIES.values()), won
    people("public").shoot(f"method-{method}-draw")
