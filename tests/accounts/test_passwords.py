"""A password changed while signed in, or reset by a mailed link valid 30 minutes and once;
the rule (zxcvbn on top of our own) shown beside every new password before the first try."""

import pytest
from sqlalchemy import select

from market.accounts import credentials
from market.accounts.passwords import check_password, exempt_from_estimate
from market.core.errors import ServiceError
from market.core.models import AuditEvent

from .mailbox import link_path, mails_to

NEW = "plum-river-42"
RULE = "不能是常见密码、键盘上连续的按键"


@pytest.fixture
def browser(app):
    """Another browser: a client with its own cookies."""
    return app.test_client


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def events(db, user, action):
    where = dict(subject_type="user", subject_id=user.id, action=action)
    return db.session.scalars(select(AuditEvent).filter_by(**where)).all()


# --- the rule --------------------------------------------------------------------------------


def test_zxcvbn_refuses_a_keyboard_row_in_chinese(app):
    with pytest.raises(ServiceError) as refused:
        check_password("qwertyuiop")
    assert refused.value.field == "password"
    message = refused.value.message
    assert "密码太容易被猜中：“qwertyuiop”是常见密码或其变形，猜测者会最先尝试" in message
    assert "请再加几个不常见的词、数字或符号，把密码加长" in message
    # with the site's own rule, all at once
    assert "密码应包含字母、数字、符号中的至少两类" in message


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("P@ssw0rd2026", "“P@ssw0rd”是常见密码或其变形"),
        ("zxcvbnm,./", "“zxcvbnm,./”是键盘上相邻的按键"),
        ("abcdefgh12", "连续的字母或数字"),
    ],
)
def test_zxcvbn_says_what_makes_a_password_easy(app, password, reason):
    with pytest.raises(ServiceError) as refused:
        check_password(password, "li@example.cn")
    assert reason in refused.value.message


def test_the_person_s_own_names_are_refused(app):
    with pytest.raises(ServiceError) as refused:
        check_password("chongqinglvyuan1", "boss@example.cn", ["chongqinglvyuan"])
    assert "包含了您的邮箱、姓名或单位名称" in refused.value.message


def test_the_pinyin_list_still_applies_and_good_passwords_pass(app, make):
    with pytest.raises(ServiceError, match="密码过于简单"):
        check_password("woaini1314")
    check_password(make.PASSWORD, "user1@example.cn", ["测试机构1有限公司", "联系人1"])
    check_password(NEW, "li@example.cn")


def test_only_the_exempt_password_skips_the_estimate_and_the_base_rules_stay(app):
    with exempt_from_estimate("demo1234"):
        check_password("demo1234", "agency01@demo.cn")
        with pytest.raises(ServiceError):
            check_password("qwertyuiop")
        with pytest.raises(ServiceError, match="至少 8 位"):
            check_password("demo123")
    with pytest.raises(ServiceError, match="密码太容易被猜中"):
        check_password("demo1234")


def test_registration_refuses_a_common_password_with_the_chinese_message(client, make):
    data = make.registration_form(password="qwertyuiop", password_confirm="qwertyuiop")
    page = client.post("/register/agency", data=data).get_data(as_text=True)
    assert "“qwertyuiop”是常见密码或其变形" in page


@pytest.mark.parametrize("path", ["/register/agency", "/account/password", "/password/reset/"])
def test_the_rule_is_shown_before_the_first_try(client, auth, make, mailbox, path):
    if path == "/account/password":
        auth.login(make.agency())
    if path == "/password/reset/":
        user = make.agency()
        client.post("/password/forgot", data={"email": user.email})
        path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    page = client.get(path).get_data(as_text=True)
    assert "至少 8 位" in page and RULE in page


def test_the_invitation_page_shows_the_rule(client, make):
    from market.accounts.members import invite_member

    admin = make.agency()
    _, token = invite_member(admin, "new@example.cn", "member")
    assert RULE in client.get(f"/invite/{token}").get_data(as_text=True)


def test_the_staff_command_shows_the_rule_and_checks_it(app, db):
    runner = app.test_cli_runner()
    assert RULE in runner.invoke(args=["market", "create-user", "--help"]).output
    args = ["market", "create-user", "--role", "operator", "--email", "ops@example.cn"]
    args += ["--name", "王运营", "--org", "平台运营中心"]
    result = runner.invoke(args=args, input="qwertyuiop1\nqwertyuiop1\n")
    assert result.output.index(RULE) < result.output.index("错误：")  # shown before the try
    assert "“qwertyuiop”是常见密码或其变形" in result.output and result.exit_code == 1


# --- changing the password while signed in -------------------------------------------------


def test_a_changed_password_ends_the_other_sessions_and_keeps_this_one(
    client, browser, make, db, mailbox
):
    user = make.agency()
    phone = browser()
    for each in (client, phone):
        each.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert "修改密码" in client.get("/account").get_data(as_text=True)

    data = {"current_password": make.PASSWORD, "password": NEW, "password_confirm": NEW}
    response = client.post("/account/password", data=data, follow_redirects=True)
    assert "密码已修改，其他 1 处登录已退出。" in response.get_data(as_text=True)
    assert signed_in(client) and not signed_in(phone)
    assert user.check_password(NEW)

    (event,) = events(db, user, "password_changed")
    assert event.actor_user_id == user.id and event.data == {"sessions_ended": 1}
    (mail,) = mails_to(mailbox, user.email)
    assert mail["Subject"] == "网上中介超市：您的登录密码已修改"
    body = mail.get_content()
    assert "2026-11-24 10:00（北京时间）修改" in body and "如果不是您本人操作" in body
    assert "/password/forgot" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "not-mine-12"}, "current_password", "当前密码不正确"),
        ({"password": "qwertyuiop", "password_confirm": "qwertyuiop"}, "password", "常见密码"),
        ({"password_confirm": "other-pass-1"}, "password_confirm", "两次输入的密码不一致"),
    ],
)
def test_a_change_is_refused_beside_its_field(client, auth, make, mailbox, data, field, message):
    user = make.agency()
    auth.login(user)
    form = {"current_password": make.PASSWORD, "password": NEW, "password_confirm": NEW, **data}
    page = client.post("/account/password", data=form).get_data(as_text=True)
    assert message in page and "is-invalid" in page
    assert user.check_password(make.PASSWORD) and mailbox == []


def test_the_new_password_must_differ_from_the_current_one(client, auth, make):
    user = make.agency()
    auth.login(user)
    same = {"current_password": make.PASSWORD, "password": make.PASSWORD}
    page = client.post("/account/password", data={**same, "password_confirm": make.PASSWORD})
    assert "新密码不能与当前密码相同" in page.get_data(as_text=True)


# --- forgotten password ------------------------------------------------------------------------


def ask_reset(client, email):
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_login_page_links_to_the_forgotten_password_page(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_the_reset_mail_holds_a_link_valid_30_minutes_and_says_what_to_do_otherwise(
    client, make, mailbox
):
    user = make.agency(contact_name="王五")
    page = ask_reset(client, "  " + user.email.upper())
    assert "请在 30 分钟内打开邮件中的链接" in page

    (mail,) = mails_to(mailbox, user.email)
    assert mail["Subject"] == "网上中介超市：重置登录密码"
    body = mail.get_content()
    assert body.startswith("王五，您好：")
    assert "请在 30 分钟内打开以下链接" in body and "只能使用一次" in body
    assert "如果不是您本人申请，请忽略本邮件" in body
    assert link_path(mail, "/password/reset/")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, make, mailbox):
    user = make.agency()
    known = ask_reset(client, user.email).replace(user.email, "ADDRESS")
    unknown = ask_reset(client, "nobody@example.cn").replace("nobody@example.cn", "ADDRESS")
    assert known == unknown
    assert mails_to(mailbox, "nobody@example.cn") == [] and len(mailbox) == 1


def test_an_unknown_address_costs_the_same_work(client, make, mailbox, monkeypatch):
    # The same steps either way: a token signed, the mail rendered (only sent to an account).
    signed, rendered = [], []
    real_sign, real_render = credentials._reset_token, credential_views_render()
    monkeypatch.setattr(credentials, "_reset_token", lambda *a: signed.append(a) or real_sign(*a))
    monkeypatch.setattr(
        "market.accounts.credential_views.render_template",
        lambda template, **kw: rendered.append(template) or real_render(template, **kw),
    )
    user = make.agency()
    ask_reset(client, user.email)
    ask_reset(client, "nobody@example.cn")
    assert len(signed) == 2 and rendered.count("mail/password_reset.txt") == 2


def credential_views_render():
    from market.accounts import credential_views

    return credential_views.render_template


def test_the_link_sets_a_new_password_ends_every_session_and_works_once(
    client, browser, make, db, mailbox
):
    user = make.agency()
    office = browser()
    office.post("/login", data={"email": user.email, "password": make.PASSWORD})
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")

    page = client.get(path)
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(path, data={"password": NEW, "password_confirm": NEW}, follow_redirects=True)
    assert "密码已重置，所有登录已退出。请使用新密码登录。" in done.get_data(as_text=True)
    assert user.check_password(NEW) and not signed_in(office)
    (event,) = events(db, user, "password_reset")
    assert event.data == {"sessions_ended": 1, "unlocked": False, "email_confirmed": False}
    assert (
        "密码已于 2026-11-24 10:00（北京时间）重置"
        in mails_to(mailbox, user.email)[-1].get_content()
    )

    again = client.get(path)
    assert again.status_code == 410
    assert "该重置链接已使用过或已失效" in again.get_data(as_text=True)
    refused = client.post(
        path, data={"password": "second-try-77", "password_confirm": "second-try-77"}
    )
    assert refused.status_code == 410 and user.check_password(NEW)
    login = client.post("/login", data={"email": user.email, "password": NEW})
    assert login.status_code == 302


def test_the_link_expires_after_30_minutes(client, make, mailbox, frozen_clock):
    user = make.agency()
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    frozen_clock.advance(minutes=30)
    assert client.get(path).status_code == 200
    frozen_clock.advance(minutes=1)
    expired = client.get(path)
    assert expired.status_code == 410
    assert "该重置链接已超过 30 分钟有效期，已失效。请重新申请。" in expired.get_data(as_text=True)


def test_a_password_changed_otherwise_voids_the_link(client, auth, make, mailbox):
    user = make.agency()
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    auth.login(user)
    data = {"current_password": make.PASSWORD, "password": NEW, "password_confirm": NEW}
    client.post("/account/password", data=data)
    assert client.get(path).status_code == 410


def test_an_altered_link_is_refused(client, make, mailbox):
    user = make.agency()
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    response = client.get(path[:-3] + "abc")
    assert response.status_code == 410 and "重置链接无效" in response.get_data(as_text=True)


def test_a_reset_lifts_the_lock_and_the_count_of_wrong_passwords(client, make, db, mailbox):
    user = make.agency()
    for _ in range(10):
        client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    assert user.locked_dt is not None
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[-1], "/password/reset/")
    client.post(path, data={"password": NEW, "password_confirm": NEW})
    assert user.locked_dt is None and user.failed_logins == 0
    assert events(db, user, "password_reset")[0].data["unlocked"] is True
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302


def test_a_weak_new_password_is_refused_on_the_reset_page(client, make, mailbox):
    user = make.agency()
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    page = client.post(path, data={"password": "qwertyuiop", "password_confirm": "qwertyuiop"})
    assert "常见密码" in page.get_data(as_text=True)
    assert user.check_password(make.PASSWORD)


def test_a_reset_confirms_an_address_still_waiting_for_its_registration_link(
    client, make, db, mailbox
):
    user = make.agency()
    user.confirmation_sent_dt = user.created_dt  # registered, the link never opened
    ask_reset(client, user.email)
    path = link_path(mails_to(mailbox, user.email)[0], "/password/reset/")
    client.post(path, data={"password": NEW, "password_confirm": NEW})
    assert user.confirmation_sent_dt is None
    assert events(db, user, "password_reset")[0].data["email_confirmed"] is True
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302
