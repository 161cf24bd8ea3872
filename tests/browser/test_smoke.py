"""A purchaser drafts and publishes a notice in a real Chromium against a live server."""

import re
from datetime import timedelta

import pytest

from market.core.clock import to_local, utcnow
from market.procurement.services import earliest_deadline

pytestmark = pytest.mark.browser


def _deadline_value(app):
    """A deadline a week ahead (or later, if holidays push the earliest allowed one further)."""
    with app.app_context():
        deadline = max(utcnow() + timedelta(days=7), earliest_deadline() + timedelta(hours=1))
    return to_local(deadline).strftime("%Y-%m-%dT%H:%M")


def test_purchaser_publishes_a_notice(
    page, browser_app, live_server, purchaser_user, artifacts_dir
):
    from playwright.sync_api import expect

    email, password = purchaser_user
    # What the Content-Security-Policy blocked (an inline style or script left in a page).
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))

    page.goto(live_server + "/")
    page.get_by_role("link", name="登录", exact=True).click()
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()

    page.get_by_role("link", name="发布采购", exact=True).click()
    expect(page).to_have_url(re.compile(r"/notices/new$"))
    page.select_option("#item_id", label="ZJ012 环境影响评价报告书（表）编制")
    page.fill("#title", "礼嘉智慧公园环境影响评价服务采购")
    page.fill("#scope", "编制环境影响报告书并协助报批")
    page.fill("#ceiling", "120000")
    page.fill("#service_days", "45")
    page.fill("#deadline", _deadline_value(browser_app))
    page.fill("#contact_name", "王五")
    page.fill("#contact_phone", "023-67001234")
    page.get_by_role("button", name="保存草稿").click()

    expect(page).to_have_url(re.compile(r"/notices/\d+$"))
    expect(page.locator("#notice-state")).to_have_text("草稿")
    page.get_by_role("button", name="发布", exact=True).click()

    expect(page.locator("#notice-state")).to_have_text("报价中")
    expect(page.get_by_role("alert")).to_contain_text("公告已发布，符合条件的中介机构现在可以报价")
    expect(page.get_by_role("heading", level=1)).to_contain_text("礼嘉智慧公园环境影响评价服务采购")
    page.screenshot(path=str(artifacts_dir / "publish-notice.png"), full_page=True)

    # printed, the notice is its content alone: no header, menus, buttons or forms
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#notice-info")).to_be_visible()
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#print-notice")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator("#print-notice")).to_be_visible()
    assert blocked == []
