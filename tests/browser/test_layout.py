"""Every role's main pages, in Chinese and in English, fit a phone (375 px wide) and keep a
one-line header on a laptop (1366 px), in a real Chromium against a live server with enough
data that the tables have rows.

All pages are visited and every failure collected, so one run lists every offending page.
Full-page screenshots at both widths go to test-artifacts/ as
layout-<language>-<role>-<page>-<width>.png.
"""

from datetime import timedelta

import pytest

from market.core import clock
from market.core.clock import utcnow
from market.credit.inspections.services import create_plan, default_rates_bp
from market.extensions import db as _db

from .. import factories

pytestmark = pytest.mark.browser

PHONE, LAPTOP = 375, 1366
#: the header (the top navbar) on one line at 1366 px: about 56 px
HEADER_MAX = 64
SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]
POOR = {**factories.GOOD_SCORES, "timeliness": 2}
#: a value without a space to break at (hashes, ids and addresses look like this)
LONG_TOKEN = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def layout_data(browser_app):
    """A contracted notice (milestones, documents, a conduct record, an inspection plan), a
    notice past its deadline with quotes, an open notice quoted by the same agency, a poorly
    rated contract (a rectification case), and one user per role: ids and e-mails."""
    with browser_app.app_context():
        clock.freeze(None)
        now = utcnow()
        # the past first: contracts, their deadlines, publicity and ratings a few weeks ago
        clock.freeze(now - timedelta(days=60))
        try:
            contracted, buyer, agency = factories.contracted_notice(payment_plan=SPLIT)
            clock.freeze(now - timedelta(days=60))
            opened, _ = factories.opened_notice(
                "lowest", (80_000_00, 90_000_00, 95_000_00), purchaser_user=buyer
            )
            clock.freeze(now - timedelta(days=60))
            factories.evaluated_notice(agency_scores=POOR)
            clock.freeze(now - timedelta(days=60))
            factories.confirmed_record(agency_user=factories.agency())
        finally:
            clock.freeze(None)
        open_notice = factories.notice(buyer, title="礼嘉片区排水管网环境影响评价服务采购")
        factories.bid(agency, open_notice, 70_000_00)
        factories.document(agency, title=f"成果报告{LONG_TOKEN}")
        factories.qualification(agency)
        factories.practitioner(agency)
        regulator = factories.credit_regulator()
        factories.conduct_report(agency, regulator=regulator, facts=f"报价文件哈希 {LONG_TOKEN}")
        plan = create_plan(regulator, default_rates_bp(), title="生态环境部门双随机抽查")
        operator = factories.staff("operator", "网上中介超市运营中心")
        _db.session.commit()
        data = {
            "contracted": contracted.id,
            "opened": opened.id,
            "open": open_notice.id,
            "agency_org": agency.organisation.id,
            "plan": plan.id,
            "emails": {
                "agency": agency.email,
                "purchaser": buyer.email,
                "regulator": regulator.email,
                "operator": operator.email,
            },
        }
        _db.session.remove()
    return data


def _pages(d):
    """Each role's main pages: (name, path)."""
    public = [
        ("home", "/"),
        ("notices", "/notices/"),
        ("notice", f"/notices/{d['contracted']}"),
        ("agencies", "/agencies/"),
        ("agency", f"/agencies/{d['agency_org']}"),
        ("catalogue", "/catalogue/"),
        ("shelf", "/shelves/ZJ012"),
        ("disclosures", "/credit/disclosures"),
        ("credit-agency", f"/credit/agencies/{d['agency_org']}"),
        ("statistics", "/statistics/"),
    ]
    signed_in = [("workspace", "/dashboard"), ("inbox", "/inbox")]
    return {
        "visitor": public + [("draw", f"/notices/{d['opened']}/draw")],
        "agency": public[:5]
        + signed_in
        + [
            ("credit-agency", f"/credit/agencies/{d['agency_org']}"),
            ("opportunities", "/agency/opportunities"),
            ("quotes", "/agency/bids"),
            ("offerings", "/agency/offerings"),
            ("qualifications", "/agency/qualifications"),
            ("practitioners", "/agency/practitioners"),
            ("documents", "/agency/documents"),
            ("open-notice", f"/notices/{d['open']}"),
            ("credit-records", "/credit/records/"),
            ("members", "/org/members"),
        ],
        "purchaser": signed_in
        + [
            ("my-notices", "/purchaser/notices"),
            ("contract-notice", f"/notices/{d['contracted']}"),
            ("opened-notice", f"/notices/{d['opened']}"),
            ("commitments", f"/notices/{d['opened']}/commitments"),
            ("draw", f"/notices/{d['opened']}/draw"),
            ("shelf", "/shelves/ZJ012"),
            ("credit-records", "/credit/records/"),
        ],
        "regulator": signed_in
        + [
            ("notices", "/notices/"),
            ("credit-records", "/credit/records/"),
            ("audit", "/supervision/audit"),
            ("inspections", "/credit/inspections"),
            ("inspection-plan", f"/credit/inspections/{d['plan']}"),
            ("risks", "/credit/risks"),
            ("qualifications", "/supervision/qualifications"),
            ("catalogue-manage", "/catalogue/manage/"),
            ("criteria", "/credit/criteria"),
            ("redlist", "/credit/redlist"),
            ("payments", "/payments"),
            ("statistics", "/statistics/"),
        ],
        "operator": signed_in
        + [
            ("rectifications", "/operator/rectifications"),
            ("payments", "/payments"),
            ("credit-records", "/credit/records/"),
            ("audit", "/supervision/audit"),
            ("notice", f"/notices/{d['contracted']}"),
            ("statistics", "/statistics/"),
        ],
    }


def _login(page, live_server, email):
    from playwright.sync_api import expect

    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    # the header's logout form (its button is folded away at a phone's width)
    expect(page.locator("nav.navbar form[action$='/logout']")).to_be_attached()


SCROLL_WIDTH = "document.documentElement.scrollWidth"
HEADER_HEIGHT = "document.querySelector('body > nav.navbar').getBoundingClientRect().height"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_fits_a_phone_and_keeps_a_one_line_header(
    page, live_server, layout_data, artifacts_dir, language
):
    browser = page.context.browser
    failures = []
    for role, pages in _pages(layout_data).items():
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": PHONE, "height": 800}
        )
        context.set_default_timeout(15_000)
        tab = context.new_page()
        try:
            if role != "visitor":
                _login(tab, live_server, layout_data["emails"][role])
            tab.goto(f"{live_server}/language/{language}")
            for name, path in pages:
                where = f"{language} {role} {name} ({path})"
                tab.set_viewport_size({"width": PHONE, "height": 800})
                response = tab.goto(live_server + path)
                if response is None or not response.ok:
                    failures.append(f"{where}: HTTP {response.status if response else '—'}")
                    continue
                width = tab.evaluate(SCROLL_WIDTH)
                if width > PHONE:
                    failures.append(f"{where}: {width} px wide at {PHONE} px")
                tab.screenshot(
                    path=str(artifacts_dir / f"layout-{language}-{role}-{name}-{PHONE}.png"),
                    full_page=True,
                )
                tab.set_viewport_size({"width": LAPTOP, "height": 800})
                width, header = tab.evaluate(SCROLL_WIDTH), tab.evaluate(HEADER_HEIGHT)
                if width > LAPTOP:
                    failures.append(f"{where}: {width} px wide at {LAPTOP} px")
                if header > HEADER_MAX:
                    failures.append(f"{where}: header {header:.0f} px tall at {LAPTOP} px")
                tab.screenshot(
                    path=str(artifacts_dir / f"layout-{language}-{role}-{name}-{LAPTOP}.png"),
                    full_page=True,
                )
        finally:
            context.close()
    assert failures == [], "\n".join(failures)
