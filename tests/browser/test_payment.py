"""A purchaser pays a milestone by bank transfer and the agency confirms it, in a real Chromium
against a live server (offline payment, the embedded default)."""

import re
from datetime import timedelta

import pytest

from market.core import clock
from market.core.clock import local_today, utcnow
from market.extensions import db as _db
from market.payments import services as payments

from .. import factories

pytestmark = pytest.mark.browser
SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


@pytest.fixture
def signed_contract(browser_app):
    """A contract signed about three weeks ago (its advance now overdue): the notice id, the
    milestone id and the parties' e-mail addresses."""
    with browser_app.app_context():
        clock.freeze(utcnow() - timedelta(days=30))
        try:
            notice, buyer, winner = factories.contracted_notice(
                amount_fen=80_000_00, payment_plan=SPLIT
            )
        finally:
            clock.freeze(None)
        advance = payments.contract_milestones(notice.contract.id)[0]
        payments.apply_due(advance)
        _db.session.commit()
        ids = notice.id, advance.id, buyer.email, winner.email
        _db.session.remove()
    return ids


def _login(page, live_server, email):
    from playwright.sync_api import expect

    page.goto(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_a_milestone_paid_by_bank_transfer_end_to_end(
    page, browser_app, live_server, signed_contract, artifacts_dir, tmp_path
):
    from playwright.sync_api import expect

    notice_id, milestone_id, buyer_email, winner_email = signed_contract
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    voucher = tmp_path / "回单.pdf"
    voucher.write_bytes(factories.PDF_BYTES)

    _login(page, live_server, buyer_email)
    page.goto(f"{live_server}/notices/{notice_id}")
    row = page.locator("#milestone-1")
    expect(row).to_contain_text("预付款")
    expect(row).to_contain_text("¥24,000.00")
    expect(row).to_contain_text("逾期未付")
    row.get_by_role("link", name="详情与办理").click()
    expect(page).to_have_url(re.compile(rf"/payments/milestones/{milestone_id}$"))
    expect(page.locator("#report-warning")).to_contain_text("逾期付款")

    page.fill("#paid_on", f"{local_today():%Y-%m-%d}")
    page.fill("#amount", "24000")
    page.fill("#bank_reference", "31050161360000001234")
    page.set_input_files("#file", str(voucher))
    page.get_by_role("button", name="登记付款").click()
    expect(page.get_by_role("alert")).to_contain_text("付款已登记，等待中选机构确认收款")
    expect(page.locator("#milestone-state")).to_have_text("待机构确认收款")
    page.get_by_role("button", name="退出").click()

    _login(page, live_server, winner_email)
    page.goto(f"{live_server}/payments/milestones/{milestone_id}")
    expect(page.locator("#payments")).to_contain_text("31050161360000001234")
    page.get_by_role("button", name="确认已收到 ¥24,000.00").click()
    expect(page.get_by_role("alert")).to_contain_text("已确认收款")
    expect(page.locator("#milestone-state")).to_have_text("已付款")
    expect(page.locator("#receipt-link")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "payment-milestone.png"), full_page=True)

    page.goto(f"{live_server}/notices/{notice_id}")
    expect(page.locator("#milestone-1")).to_contain_text("已付款")
    expect(page.locator("#timeline")).to_contain_text("预付款（¥24,000.00）：中选机构确认收款")
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(artifacts_dir / "payment-notice-375.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the notice page scrolls sideways at 375 px ({width} px)"
    assert blocked == []
