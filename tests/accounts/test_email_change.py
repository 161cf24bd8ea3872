"""A new login e-mail takes effect only from the link mailed to it (24 hours, once); the old
address is told; the form never tells whether another account uses the new address."""

import pytest
from sqlalchemy import select

from market.core.models import AuditEvent
from tests.pages import without_csrf_tokens

from .mailbox import link_path, mails_to

NEW_ADDRESS = "li.new@example.cn"


@pytest.fixture
def user(auth, make):
    signed_in = make.agency(contact_name="李四")
    auth.login(signed_in)
    return signed_in


def ask(client, password, email=NEW_ADDRESS):
    return client.post("/account/email", data={"email": email, "password": password})


def test_the_link_mailed_to_the_new_address_changes_it_and_the_old_one_is_told(
    client, user, make, db, mailbox
):
    old = user.email
    assert "修改登录邮箱" in client.get("/account").get_data(as_text=True)
    page = ask(client, make.PASSWORD, " Li.New@Example.cn ").get_data(as_text=True)
    assert "我们已向 <strong>li.new@example.cn</strong> 发送了一封邮件" in page
    assert "请在 24 小时内打开邮件中的链接确认" in page
    assert user.email == old  # nothing changes before the link is opened

    (mail,) = mails_to(mailbox, NEW_ADDRESS)
    assert mail["Subject"] == "网上中介超市：请确认新的登录邮箱"
    body = mail.get_content()
    assert f"由 {old} 改为本邮箱（{NEW_ADDRESS}）" in body
    assert "请在 24 小时内打开以下链接确认" in body and "只能使用一次" in body
    assert "如果不是您本人申请，请忽略本邮件" in body

    path = link_path(mail, "/account/email/confirm/")
    done = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert f"登录邮箱已改为 {NEW_ADDRESS}" in done
    assert user.email == NEW_ADDRESS
    event = db.session.scalars(
        select(AuditEvent).filter_by(
            subject_type="user", subject_id=user.id, action="email_changed"
        )
    ).one()
    assert event.data == {"from": old, "to": NEW_ADDRESS}

    (told,) = mails_to(mailbox, old)
    assert told["Subject"] == "网上中介超市：您的登录邮箱已修改"
    assert f"由本邮箱（{old}）改为 {NEW_ADDRESS}" in told.get_content()
    assert "如果不是您本人操作" in told.get_content()

    again = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "该确认链接已使用过或已失效" in again
    client.post("/logout")
    assert (
        client.post("/login", data={"email": NEW_ADDRESS, "password": make.PASSWORD}).status_code
        == 302
    )


def test_an_address_of_another_account_gets_the_same_answer_and_a_mail_instead_of_a_link(
    client, user, make, mailbox
):
    other = make.agency(email="taken@example.cn")
    client.get("/account")  # the login's welcome shown
    # (the forms' tokens carry the second they were made in)
    free = without_csrf_tokens(ask(client, make.PASSWORD, "free@example.cn").get_data(as_text=True))
    taken = without_csrf_tokens(ask(client, make.PASSWORD, other.email).get_data(as_text=True))
    assert free.replace("free@example.cn", "X") == taken.replace("taken@example.cn", "X")

    (mail,) = mails_to(mailbox, other.email)
    assert mail["Subject"] == "网上中介超市：该邮箱已有账号"
    body = mail.get_content()
    assert "本邮箱已有账号" in body and "没有作任何修改" in body and "http" not in body
    assert user.email != other.email


def test_the_link_expires_after_24_hours(client, user, make, mailbox, frozen_clock):
    ask(client, make.PASSWORD)
    path = link_path(mails_to(mailbox, NEW_ADDRESS)[0], "/account/email/confirm/")
    frozen_clock.advance(hours=24, minutes=1)
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "该确认链接已超过 24 小时有效期，已失效" in page
    assert user.email != NEW_ADDRESS


def test_an_address_registered_after_the_link_was_sent_is_not_taken(client, user, make, mailbox):
    ask(client, make.PASSWORD)
    path = link_path(mails_to(mailbox, NEW_ADDRESS)[0], "/account/email/confirm/")
    make.agency(email=NEW_ADDRESS)
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "该邮箱已有账号，不能用作本账号的登录邮箱" in page
    assert user.email != NEW_ADDRESS


def test_every_problem_is_shown_beside_its_field_at_once(client, user, make, mailbox):
    page = ask(client, "not-my-pass-1", "not-an-address").get_data(as_text=True)
    assert "邮箱格式不正确" in page and "当前密码不正确" in page
    assert page.count("invalid-feedback") >= 2
    same = ask(client, make.PASSWORD, user.email.upper()).get_data(as_text=True)
    assert "新邮箱与当前登录邮箱相同" in same
    assert mailbox == []


def test_the_pages_need_a_login(client):
    assert client.get("/account/email").status_code == 302
    assert client.get("/account/password").status_code == 302
