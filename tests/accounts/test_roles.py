"""What each role sees in the navigation, what it may open, and staff accounts from the CLI."""

import pytest
from sqlalchemy import func, select

from market.accounts.models import Organisation, User


def page_of(client, url="/"):
    return client.get(url).get_data(as_text=True)


def test_anonymous_visitors_are_offered_login_and_free_registration(client):
    page = page_of(client)
    assert "登录" in page and "免费入驻" in page
    assert "我的采购" not in page and "我的服务" not in page and "操作日志" not in page


def test_a_purchaser_sees_its_procurement_menu(client, auth, make):
    auth.login(make.purchaser(contact_name="钱七"))
    page = page_of(client)
    assert "我的采购" in page and "发布采购" in page
    assert "我的服务" not in page and "可报价公告" not in page and "操作日志" not in page
    assert "钱七 · 采购人" in page and "退出" in page


def test_an_agency_sees_its_service_menu(client, auth, make):
    auth.login(make.agency(contact_name="孙八"))
    page = page_of(client)
    assert "我的服务" in page and "可报价公告" in page and "我的报价" in page
    assert "我的采购" not in page and "发布采购" not in page and "操作日志" not in page
    assert "孙八 · 中介机构" in page


@pytest.mark.parametrize("role", ["regulator", "operator"])
def test_staff_see_the_audit_log_menu(client, auth, make, role):
    auth.login(make.staff(role))
    page = page_of(client)
    assert "操作日志" in page
    assert "我的采购" not in page and "我的服务" not in page


@pytest.mark.parametrize("kind", ["agency", "purchaser"])
def test_supervision_pages_are_forbidden_to_market_participants(client, auth, make, kind):
    auth.login(make.agency() if kind == "agency" else make.purchaser())
    response = client.get("/supervision/audit")
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


def test_purchaser_pages_are_forbidden_to_agencies_and_vice_versa(client, auth, make):
    auth.login(make.agency())
    assert client.get("/purchaser/notices").status_code == 403
    assert client.get("/notices/new").status_code == 403
    auth.logout()
    auth.login(make.purchaser())
    assert client.get("/agency/opportunities").status_code == 403
    assert client.get("/agency/offerings").status_code == 403


def test_staff_account_page_shows_the_department(client, auth, make):
    auth.login(make.staff("regulator", org_name="重庆市生态环境局"))
    page = page_of(client, "/account")
    assert "重庆市生态环境局（监管部门）" in page and "单位管理员" in page
    assert "统一社会信用代码" not in page and "信用承诺书" not in page


# --- flask market create-user -------------------------------------------------------------


def create_user(app, *args):
    return app.test_cli_runner().invoke(args=["market", "create-user", *args])


def staff_args(email, org="重庆市生态环境局", role="regulator", password="strong-pass-9"):
    return [
        "--role",
        role,
        "--email",
        email,
        "--name",
        "周监管",
        "--org",
        org,
        "--password",
        password,
    ]


def test_create_user_makes_a_regulator_who_can_log_in_and_see_the_audit_log(app, client, db):
    result = create_user(app, *staff_args("Zhou@Regulator.cn"))
    assert result.exit_code == 0, result.output
    assert "已创建监管部门账号 zhou@regulator.cn（重庆市生态环境局）" in result.output

    user = db.session.scalar(select(User).where(User.email == "zhou@regulator.cn"))
    assert user.role == "regulator" and user.is_org_admin
    response = client.post(
        "/login", data={"email": "zhou@regulator.cn", "password": "strong-pass-9"}
    )
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    response = client.get("/supervision/audit")
    assert response.status_code == 200 and "操作日志" in response.get_data(as_text=True)


def test_create_user_asks_for_the_password_twice_when_not_given(app, db):
    args = staff_args("prompt@regulator.cn")[:-2]
    result = app.test_cli_runner().invoke(
        args=["market", "create-user", *args], input="strong-pass-9\nstrong-pass-9\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "prompt@regulator.cn"))


def test_a_second_user_of_a_department_joins_it_as_member(app, db):
    assert create_user(app, *staff_args("first@regulator.cn")).exit_code == 0
    assert create_user(app, *staff_args("second@regulator.cn")).exit_code == 0

    departments = db.session.scalars(
        select(Organisation).where(Organisation.name == "重庆市生态环境局")
    ).all()
    assert len(departments) == 1
    roles = {m.user.email: m.role for m in departments[0].memberships}
    assert roles == {"first@regulator.cn": "admin", "second@regulator.cn": "member"}


def test_an_operator_is_created_in_its_own_kind_of_organisation(app, db):
    result = create_user(app, *staff_args("ops@platform.cn", org="平台运营中心", role="operator"))
    assert result.exit_code == 0, result.output
    assert "已创建平台运营方账号" in result.output
    user = db.session.scalar(select(User).where(User.email == "ops@platform.cn"))
    assert user.role == "operator"


def _user_count(db):
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("role", ["agency", "purchaser", "admin"])
def test_create_user_refuses_market_roles(app, db, role):
    before = _user_count(db)
    result = create_user(app, *staff_args("x@regulator.cn", role=role))
    assert result.exit_code == 2
    assert "--role" in result.output
    assert _user_count(db) == before


def test_create_user_refuses_a_taken_email_in_chinese(app, db, make):
    make.agency(email="taken@example.cn")
    before = _user_count(db)
    result = create_user(app, *staff_args("TAKEN@example.cn"))
    assert result.exit_code == 1
    assert "错误：该邮箱已被注册，请直接登录或使用其他邮箱" in result.output
    assert _user_count(db) == before


def test_create_user_refuses_a_short_password_in_chinese(app, db):
    result = create_user(app, *staff_args("short@regulator.cn", password="abc"))
    assert result.exit_code == 1
    assert "错误：密码至少 8 位" in result.output
    assert not db.session.scalar(select(User).where(User.email == "short@regulator.cn"))


def test_create_user_refuses_a_malformed_email_in_chinese(app, db):
    before = _user_count(db)
    result = create_user(app, *staff_args("zhou.regulator.cn"))
    assert result.exit_code == 1
    assert "错误：邮箱格式不正确" in result.output
    assert _user_count(db) == before
