"""An agency quotes, replaces its quote and then withdraws it (after confirming) before the
deadline, in a real Chromium against a live server."""

import re

import pytest

from market.extensions import db as _db

from .. import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def quoting(browser_app):
    """A notice taking quotes and an agency offering its item: (notice id, agency e-mail)."""
    with browser_app.app_context():
        notice = factories.notice()
        agency_user = factories.agency()
        _db.session.commit()
        ids = notice.id, agency_user.email
        _db.session.remove()
    return ids


def _login(page, live_server, email):
    from playwright.sync_api import expect

    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_an_agency_replaces_then_withdraws_its_quote(page, live_server, quoting, artifacts_dir):
    from playwright.sync_api import expect

    notice_id, email = quoting
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    _login(page, live_server, email)
    page.goto(f"{live_server}/notices/{notice_id}")

    page.locator("#bid-box").get_by_label("报价（元）").fill("81000")
    page.get_by_role("button", name="密封提交").click()
    expect(page.locator("#receipt")).to_contain_text("¥81,000.00")
    first = page.locator("#receipt-commitment").inner_text()

    page.locator("#replace-bid summary").click()
    page.locator("#replace-bid").get_by_label("报价（元）").fill("79000")
    page.get_by_role("button", name="提交修改后的报价").click()
    expect(page.get_by_role("alert").first).to_contain_text("报价已修改并重新密封")
    expect(page.locator("#receipt")).to_contain_text("¥79,000.00")
    second = page.locator("#receipt-commitment").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", second) and second != first
    expect(page.locator("#receipt-earlier")).to_contain_text("已替换")
    page.locator("#receipt-earlier a").first.click()
    expect(page.locator("#receipt-superseded")).to_contain_text("已被替换")
    expect(page.locator("#receipt-commitment")).to_have_text(first)
    page.screenshot(path=str(artifacts_dir / "bid-receipt-replaced.png"), full_page=True)
    page.goto(f"{live_server}/notices/{notice_id}")

    page.locator("#withdraw-bid").click()
    expect(page).to_have_url(re.compile(rf"/notices/{notice_id}/bid/withdraw$"))
    expect(page.locator("#withdraw-warning")).to_contain_text("¥79,000.00")
    page.get_by_role("button", name="确认撤回").click()
    expect(page).to_have_url(re.compile(rf"/notices/{notice_id}$"))
    expect(page.get_by_role("alert").first).to_contain_text("报价已撤回")
    expect(page.locator("#bid-withdrawn")).to_contain_text("截止前可重新报价")
    expect(page.get_by_role("button", name="密封提交")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "bid-withdrawn.png"), full_page=True)
    assert blocked == []
