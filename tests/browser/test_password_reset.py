"""A user who forgot the password resets it by the mailed link in a real Chromium, then signs
in with the new one."""

import re

import pytest
from sqlalchemy import select

from market.core.models import OutgoingMail
from market.extensions import db as _db

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet-harbour-58"


def _reset_link(app, email):
    """The link in the reset mail the site queued for `email` (the worker would send it)."""
    with app.app_context():
        rows = _db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        (mail,) = [m for m in rows if email in m.recipients and "重置" in m.subject]
        body = mail.body
        _db.session.remove()
    assert "30 分钟内" in body
    return re.search(r"https?://\S+/password/reset/\S+", body).group(0)


def test_a_forgotten_password_is_reset_by_the_mailed_link(
    page, browser_app, live_server, purchaser_user, artifacts_dir
):
    from playwright.sync_api import expect

    email, old_password = purchaser_user
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))

    page.goto(live_server + "/login")
    page.get_by_role("link", name="忘记密码？").click()
    expect(page).to_have_url(re.compile(r"/password/forgot$"))
    page.fill("#email", email)
    page.get_by_role("button", name="发送重置邮件").click()
    expect(page.locator("#reset-sent")).to_contain_text("请在 30 分钟内打开邮件中的链接")

    # The link as mailed: on PUBLIC_URL or the request's host, here the live server's.
    link = live_server + re.sub(r"^https?://[^/]+", "", _reset_link(browser_app, email))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("重置密码")
    expect(page.locator("body")).to_contain_text("不能是常见密码")  # the rule, before a try
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    page.get_by_role("button", name="设置新密码").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("密码已重置")
    page.fill("#email", email)
    page.fill("#password", old_password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_contain_text(
        "邮箱或密码不正确"
    )
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()

    # The link worked once.
    page.goto(link)
    expect(page.locator("#reset-problem")).to_contain_text("已使用过或已失效")
    page.screenshot(path=str(artifacts_dir / "password-reset.png"), full_page=True)
    assert blocked == []
