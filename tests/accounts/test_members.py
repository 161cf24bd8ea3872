"""Organisation members: invitations by e-mail link, roles, the 业务授权人, deactivation."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from market.accounts import members
from market.accounts.models import Invitation, User
from market.core.errors import NotAllowed, ServiceError
from market.core.mail import outbox
from market.core.models import AuditEvent

NEW_PASSWORD = "new-pass-123"


@pytest.fixture(autouse=True)
def empty_outbox(app):
    outbox().clear()  # the app, and so its outbox, lives for the whole session


@pytest.fixture
def admin(auth, make):
    user = make.agency(contact_name="周管理")
    auth.login(user)
    return user


def invite(client, email="wu.jiu@example.cn", role="member"):
    return client.post("/org/members/invite", data={"email": email, "role": role})


def members_page(client):
    return client.get("/org/members").get_data(as_text=True)


def mailed_path(message):
    """The path of the accept link in an invitation mail."""
    link = re.search(r"https?://\S+/invite/\S+", message.get_content()).group(0)
    return urlsplit(link).path


def accept_form(**overrides):
    data = dict(name="吴九", phone="13712345678", password=NEW_PASSWORD)
    return {**data, "password_confirm": NEW_PASSWORD, **overrides}


def invitation_count(db, email):
    return db.session.scalar(select(func.count(Invitation.id)).where(Invitation.email == email))


def user_count(db, email):
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


def event(db, subject_type, subject_id, action):
    where = dict(subject_type=subject_type, subject_id=subject_id, action=action)
    return db.session.scalars(select(AuditEvent).filter_by(**where)).one()


def mailed_invitation(client, auth):
    """Invite through the page as the logged-in admin, log out, return the accept path."""
    assert invite(client).status_code == 302
    path = mailed_path(outbox()[-1])
    auth.logout()
    return path


# --- inviting and accepting --------------------------------------------------------------


def test_an_invited_colleague_joins_through_the_mailed_link(client, auth, admin, db, frozen_clock):
    org = admin.organisation
    response = invite(client, " Wu.Jiu@Example.cn ", "admin")
    assert response.status_code == 302 and response.headers["Location"] == "/org/members"

    (message,) = outbox()
    assert message["To"] == "wu.jiu@example.cn"
    assert message["Subject"] == f"{org.name} 邀请您加入网上中介超市"
    body = message.get_content()
    assert org.name in body and "周管理" in body and "「管理员」" in body
    assert "2026-12-01 10:00（北京时间）前" in body  # 7 days, shown in Shanghai time
    path = mailed_path(message)
    assert re.search(r"https?://[^/]+/invite/", body)  # absolute: it is opened from a mail client

    page = members_page(client)
    assert "已向 wu.jiu@example.cn 发送邀请邮件" in page
    assert path in page  # the link is shown once, for deployments without a mail server
    assert "wu.jiu@example.cn" in page and "2026-12-01 10:00" in page
    assert path not in members_page(client)

    auth.logout()
    page = client.get(path).get_data(as_text=True)
    assert org.name in page and "「管理员」" in page and "周管理" in page
    response = client.post(path, data=accept_form())
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    account = client.get("/account").get_data(as_text=True)
    assert "吴九" in account and f"{org.name}（中介机构）" in account and "单位管理员" in account

    user = db.session.scalar(select(User).where(User.email == "wu.jiu@example.cn"))
    assert user.membership.organisation_id == org.id and user.membership.role == "admin"
    assert user.phone == "13712345678" and user.check_password(NEW_PASSWORD)
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == user.email))
    assert invitation.accepted_dt == frozen_clock.now
    assert invitation.token_hash != path.rsplit("/", 1)[1]  # only the hash is stored

    invited = event(db, "invitation", invitation.id, "invited")
    assert (invited.actor_user_id, invited.actor_org_id) == (admin.id, org.id)
    accepted = event(db, "invitation", invitation.id, "accepted")
    assert (accepted.actor_user_id, accepted.actor_org_id) == (user.id, org.id)
    created = event(db, "user", user.id, "created")
    assert created.actor_user_id == user.id and created.data["role"] == "admin"


def test_the_member_list_shows_who_joined_with_which_role(client, auth, admin, make):
    colleague = make.member(admin, name="郑十")
    page = members_page(client)
    row = re.search(r'<tr>\s*<td data-label="姓名">郑十.*?</tr>', page, re.S).group(0)
    assert colleague.email in row and '<td data-label="角色">成员</td>' in row and "正常" in row
    assert "2026-11-24 10:00" in row  # joined
    assert "周管理" in page
    assert "没有待接受的邀请。可在下方输入同事的邮箱发出邀请。" in page


def test_the_same_email_cannot_be_invited_twice_while_pending(client, admin, db):
    invite(client)
    response = invite(client, "WU.JIU@example.cn")
    assert response.status_code == 422
    assert "已向该邮箱发出邀请，对方尚未接受；如需重发请先撤回" in response.get_data(as_text=True)
    assert invitation_count(db, "wu.jiu@example.cn") == 1
    assert len(outbox()) == 1


def test_an_email_with_an_account_cannot_be_invited(client, admin, make, db):
    other = make.purchaser()
    response = invite(client, other.email.upper())
    assert response.status_code == 422
    assert "该邮箱已注册账号，每个账号只能属于一个单位" in response.get_data(as_text=True)
    assert invitation_count(db, other.email) == 0
    assert outbox() == []


@pytest.mark.parametrize(
    "email, role, message",
    [
        ("not-an-email", "member", "邮箱格式不正确"),
        ("", "member", "请填写此项"),
        ("ok@example.cn", "owner", "不是有效的选择"),
    ],
)
def test_bad_invitations_are_refused_with_a_message(client, admin, db, email, role, message):
    response = invite(client, email, role)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_an_unknown_link_shows_a_clear_page(client):
    response = client.get("/invite/not-a-real-token")
    assert response.status_code == 404
    assert "邀请链接无效" in response.get_data(as_text=True)


def test_a_revoked_invitation_link_no_longer_works(client, auth, admin, db):
    invite(client)
    path = mailed_path(outbox()[-1])
    invitation = db.session.scalar(select(Invitation))
    response = client.post(f"/org/invitations/{invitation.id}/revoke", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已撤回对 wu.jiu@example.cn 的邀请，原链接已失效。" in page
    assert "没有待接受的邀请" in page
    assert event(db, "invitation", invitation.id, "revoked").actor_user_id == admin.id

    auth.logout()
    for response in (client.get(path), client.post(path, data=accept_form())):
        assert response.status_code == 410
        assert "该邀请已被单位管理员撤回，链接已失效" in response.get_data(as_text=True)
    assert user_count(db, "wu.jiu@example.cn") == 0
    auth.login(admin)
    assert invite(client).status_code == 302  # the address may be invited afresh
    assert invitation_count(db, "wu.jiu@example.cn") == 2


def test_an_expired_link_creates_no_user(client, auth, admin, db, frozen_clock):
    path = mailed_invitation(client, auth)
    frozen_clock.advance(days=8)
    for response in (client.get(path), client.post(path, data=accept_form())):
        assert response.status_code == 410
        assert "该邀请已于 2026-12-01 10:00（北京时间）过期" in response.get_data(as_text=True)
    assert user_count(db, "wu.jiu@example.cn") == 0


def test_a_used_link_cannot_be_used_again(client, auth, admin, db):
    path = mailed_invitation(client, auth)
    client.post(path, data=accept_form())
    auth.logout()
    response = client.post(path, data=accept_form(name="冒名者"))
    assert response.status_code == 410
    assert "该邀请链接已使用过，账号已开通，请直接登录" in response.get_data(as_text=True)
    names = db.session.scalars(select(User.name).where(User.email == "wu.jiu@example.cn"))
    assert names.all() == ["吴九"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"password_confirm": "other-pass-1"}, "两次输入的密码不一致"),
        ({"password": "short", "password_confirm": "short"}, "密码至少 8 位"),
        ({"phone": "12345"}, "联系电话格式不正确"),
        ({"name": ""}, "请填写此项"),
    ],
)
def test_a_bad_acceptance_form_writes_nothing(client, auth, admin, db, overrides, message):
    path = mailed_invitation(client, auth)
    response = client.post(path, data=accept_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_count(db, "wu.jiu@example.cn") == 0
    assert db.session.scalar(select(Invitation.accepted_dt)) is None
    assert client.get("/account").status_code == 302  # not logged in


def test_an_email_registered_meanwhile_cannot_accept(client, auth, admin, make, db):
    path = mailed_invitation(client, auth)
    make.purchaser(email="wu.jiu@example.cn")
    page = client.post(path, data=accept_form()).get_data(as_text=True)
    assert "该邮箱已注册账号，每个账号只能属于一个单位。请直接登录。" in page
    assert user_count(db, "wu.jiu@example.cn") == 1


def test_a_logged_in_visitor_is_told_they_already_have_an_account(client, auth, admin, make, db):
    path = mailed_invitation(client, auth)
    auth.login(make.purchaser(email="someone@example.cn"))
    page = client.get(path).get_data(as_text=True)
    assert "您已登录账号 someone@example.cn，已经拥有账号。每个账号只能属于一个单位" in page
    assert 'name="password"' not in page
    assert client.post(path, data=accept_form()).status_code == 403
    assert user_count(db, "wu.jiu@example.cn") == 0


def test_the_invitation_is_still_shown_when_the_mail_cannot_be_written(
    app, client, admin, db, tmp_path, monkeypatch
):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(blocked))
    invite(client)
    page = members_page(client)
    assert "邀请邮件未能发出。请复制下方链接" in page
    assert re.search(r"/invite/[\w-]{40,}", page)
    assert invitation_count(db, "wu.jiu@example.cn") == 1


# --- who may manage ----------------------------------------------------------------------


def test_a_plain_member_sees_the_list_read_only_and_cannot_change_anything(client, auth, make, db):
    boss = make.agency(contact_name="周管理")
    plain = make.member(boss, name="郑十")
    pending, _ = members.invite_member(boss, "pending@example.cn", "member")
    assert client.get("/org/members").headers["Location"].startswith("/login")
    auth.login(plain)
    page = members_page(client)
    assert "周管理" in page and "pending@example.cn" in page
    assert "成员信息由单位管理员维护" in page
    for control in ("发送邀请", "修改角色", "停用", "撤回", "设为业务授权人"):
        assert control not in page

    posts = [
        ("/org/members/invite", {"email": "x@example.cn", "role": "member"}),
        (f"/org/members/{boss.id}/role", {"role": "member"}),
        (f"/org/members/{plain.id}/role", {"role": "admin"}),
        (f"/org/members/{boss.id}/deactivate", {}),
        (f"/org/members/{plain.id}/authorise", {}),
        (f"/org/invitations/{pending.id}/revoke", {}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "只有单位管理员可以管理成员" in response.get_data(as_text=True)
    assert boss.membership.role == "admin" and plain.membership.role == "member"
    assert boss.active and boss.organisation.authorised_user_id == boss.id
    assert pending.revoked_dt is None and invitation_count(db, "x@example.cn") == 0


def test_members_of_another_organisation_cannot_be_managed(client, admin, make, db):
    stranger = make.purchaser()
    other_invitation, _ = members.invite_member(stranger, "theirs@example.cn", "member")
    for url in (
        f"/org/members/{stranger.id}/deactivate",
        f"/org/members/{stranger.id}/authorise",
        f"/org/members/{stranger.id}/role",
        f"/org/invitations/{other_invitation.id}/revoke",
    ):
        assert client.post(url, data={"role": "member"}).status_code == 403, url
    assert stranger.active and stranger.membership.role == "admin"
    assert other_invitation.revoked_dt is None
    assert admin.organisation.authorised_user_id == admin.id


@pytest.mark.parametrize("data", [{}, {"role": "owner"}])
def test_a_role_form_for_another_organisations_member_is_403_whatever_it_holds(
    client, admin, make, data
):
    stranger = make.purchaser()
    response = client.post(f"/org/members/{stranger.id}/role", data=data)
    assert response.status_code == 403
    assert "该用户不是本单位成员" in response.get_data(as_text=True)
    assert stranger.membership.role == "admin"


# --- roles, the authorised person, deactivation -------------------------------------------


def test_the_last_admin_cannot_step_down_until_another_is_made(client, admin, make, db):
    response = client.post(f"/org/members/{admin.id}/role", data={"role": "member"})
    assert "单位至少需要一名管理员" in members_page(client)
    assert response.status_code == 302 and admin.membership.role == "admin"

    colleague = make.member(admin, name="郑十")
    client.post(f"/org/members/{colleague.id}/role", data={"role": "admin"})
    assert "郑十 的角色已改为管理员。" in members_page(client)
    assert colleague.membership.role == "admin"
    assert event(db, "user", colleague.id, "role_changed").data == {"from": "member", "to": "admin"}

    client.post(f"/org/members/{admin.id}/role", data={"role": "member"})
    assert admin.membership.role == "member"
    assert "成员信息由单位管理员维护" in members_page(client)  # now read-only for them


def test_a_deactivated_admin_neither_counts_as_an_admin_nor_may_manage(admin, make):
    other_admin = make.member(admin, role="admin")
    members.set_member_active(admin, other_admin.id, False)
    with pytest.raises(ServiceError, match="单位至少需要一名管理员"):
        members.set_member_role(admin, admin.id, "member")
    with pytest.raises(NotAllowed, match="只有单位管理员可以管理成员"):
        members.invite_member(other_admin, "late@example.cn", "member")


def test_the_authorised_person_is_set_and_shown(client, admin, make, db):
    # Whoever registered acts for the organisation until an admin names someone else.
    assert f"业务授权人：<strong>{admin.name}</strong>" in members_page(client)
    colleague = make.member(admin, name="郑十")
    response = client.post(f"/org/members/{colleague.id}/authorise", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已将 郑十 设为本单位的业务授权人。" in page
    assert "业务授权人：<strong>郑十</strong>" in page
    row = re.search(r'<tr>\s*<td data-label="姓名">郑十.*?</tr>', page, re.S).group(0)
    assert "业务授权人</span>" in row
    assert admin.organisation.authorised_user_id == colleague.id
    assert event(db, "organisation", admin.organisation.id, "authorised_person_set")


def test_a_deactivated_member_cannot_log_in_and_their_session_ends(app, client, admin, make, db):
    colleague = make.member(admin, name="郑十")
    their_client = app.test_client()
    their_login = {"email": colleague.email, "password": make.PASSWORD}
    assert their_client.post("/login", data=their_login).status_code == 302
    assert their_client.get("/account").status_code == 200

    response = client.post(f"/org/members/{colleague.id}/deactivate", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已停用 郑十 的账号" in page and "已停用</span>" in page
    assert event(db, "user", colleague.id, "deactivated").actor_user_id == admin.id

    assert their_client.get("/account").status_code == 302  # the live session ended
    response = their_client.post("/login", data=their_login)
    assert "该账号已停用，请联系单位管理员" in response.get_data(as_text=True)

    client.post(f"/org/members/{colleague.id}/reactivate")
    assert colleague.active
    assert their_client.post("/login", data=their_login).status_code == 302


def test_you_cannot_deactivate_yourself(client, admin):
    client.post(f"/org/members/{admin.id}/deactivate")
    assert "不能停用自己的账号" in members_page(client)
    assert admin.active and client.get("/account").status_code == 200


def test_the_authorised_person_is_deactivated_only_after_another_is_named(client, admin, make):
    first = make.member(admin, name="郑十")
    second = make.member(admin, name="王十一")
    members.set_authorised_person(admin, first.id)
    client.post(f"/org/members/{first.id}/deactivate")
    assert "郑十 是本单位的业务授权人，不能停用。请先将其他成员" in members_page(client)
    assert first.active

    client.post(f"/org/members/{second.id}/authorise")
    client.post(f"/org/members/{first.id}/deactivate")
    assert not first.active and admin.organisation.authorised_user_id == second.id
    client.post(f"/org/members/{first.id}/authorise")  # a deactivated member cannot act for it
    assert "郑十 的账号已停用，请先启用后再设为业务授权人" in members_page(client)
    assert admin.organisation.authorised_user_id == second.id


@pytest.mark.parametrize("kind", ["agency", "purchaser", "regulator", "operator"])
def test_every_kind_of_organisation_manages_its_members(make, kind):
    makers = {"agency": make.agency, "purchaser": make.purchaser}
    boss = makers.get(kind, lambda: make.staff(kind, org_name=f"测试{kind}单位"))()
    with pytest.raises(ServiceError, match="请选择成员角色"):
        members.invite_member(boss, "joiner@example.cn", "owner")
    _, token = members.invite_member(boss, "joiner@example.cn", "member")
    joiner = members.accept_invitation(token, "新人", "023-67001234", NEW_PASSWORD)
    assert joiner.role == kind and joiner.organisation is boss.organisation
    members.set_authorised_person(boss, joiner.id)
    members.set_member_role(boss, joiner.id, "admin")
    members.set_member_active(joiner, boss.id, False)
    assert not boss.active and boss.membership.role == "admin"
    assert [m.user for m in members.members_of(boss.organisation)] == [boss, joiner]


def test_a_department_created_from_the_command_line_is_asked_to_name_one(client, auth, make):
    auth.login(make.staff("regulator", "规划自然资源部门"))
    page = members_page(client)
    assert "本单位尚未指定业务授权人。请在下方成员列表中点击“设为业务授权人”。" in page


def test_a_mailed_link_is_built_on_the_public_address_not_the_requests_host(
    client, app, make, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://zjcs.example.gov.cn/")
    user = make.agency()
    elsewhere = "http://attacker.example"  # the Host header a forged request sends
    login = {"email": user.email, "password": make.PASSWORD}
    assert client.post("/login", data=login, base_url=elsewhere).status_code == 302
    data = {"email": "wu.jiu@example.cn", "role": "member"}
    assert client.post("/org/members/invite", data=data, base_url=elsewhere).status_code == 302
    body = outbox()[-1].get_content()
    assert "https://zjcs.example.gov.cn/invite/" in body and "attacker.example" not in body


def test_requests_for_an_untrusted_host_are_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["zjcs.example.gov.cn"])
    refused = client.get("/", headers={"Host": "attacker.example"})
    assert refused.status_code == 400 and "请求无效" in refused.get_data(as_text=True)
    assert client.get("/", headers={"Host": "zjcs.example.gov.cn"}).status_code == 200
