"""Logging in and out: Chinese messages, no user enumeration, safe redirects, hashed passwords."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from market.accounts.models import User
from market.accounts.services import authenticate
from market.core.errors import ServiceError


def login(client, email, password, next_=None):
    url = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(url, data={"email": email, "password": password})


def test_login_lands_on_the_dashboard_with_a_welcome(client, make, frozen_clock):
    user = make.purchaser(contact_name="赵六")
    response = login(client, user.email, make.PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/purchaser/notices").get_data(as_text=True)
    assert "欢迎回来，赵六" in page
    assert user.last_login_dt == frozen_clock.now


def test_login_ignores_the_case_and_spaces_of_the_email(client, make):
    make.agency(email="li.si@example.cn")
    assert login(client, "  Li.Si@EXAMPLE.cn ", make.PASSWORD).status_code == 302


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, make):
    user = make.agency()
    wrong_password = login(client, user.email, "not-the-password")
    unknown_email = login(client, "nobody@example.cn", make.PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "邮箱或密码不正确" in page
        assert "不存在" not in page and "未注册" not in page
    assert client.get("/account").status_code == 302  # still anonymous


def test_empty_fields_are_asked_for_in_chinese(client):
    page = login(client, "", "").get_data(as_text=True)
    assert page.count("请填写此项") == 2


def test_a_deactivated_user_cannot_log_in(client, make, db):
    user = make.agency()
    user.active = False
    db.session.flush()
    response = login(client, user.email, make.PASSWORD)
    assert response.status_code == 200
    assert "该账号已停用，请联系单位管理员" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_a_deactivated_user_is_not_revealed_to_someone_without_the_password(make, db):
    user = make.agency()
    user.active = False
    db.session.flush()
    with pytest.raises(ServiceError, match="^邮箱或密码不正确$"):
        authenticate(user.email, "guessing-123")


def test_logout_must_be_a_post(client, auth, make):
    auth.login(make.agency())
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200  # a link or prefetch did not log out

    response = client.post("/logout", follow_redirects=True)
    assert response.request.path == "/"
    assert "您已安全退出" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_pages_that_need_a_login_send_to_it_and_back(client, make):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount"
    assert "请先登录" in client.get("/login").get_data(as_text=True)

    user = make.agency()
    response = login(client, user.email, make.PASSWORD, next_="%2Faccount")
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com/",
        "https://evil.com/",
        "http:evil.com",
        "/\\evil.com",  # browsers read a backslash as a slash
        "/\t/evil.com",  # browsers drop tabs and newlines: //evil.com
        "/\n/evil.com",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_to_another_site(client, make, target):
    user = make.agency()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": make.PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    # What a browser would follow: control characters removed, backslashes as slashes.
    followed = "".join(c for c in location if c not in "\t\r\n").replace("\\", "/")
    assert urlsplit(followed).netloc == "", location
    assert followed.startswith("/") and not followed.startswith("//"), location


def test_the_password_is_stored_hashed(make, db):
    user = make.agency()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert make.PASSWORD not in stored
    assert stored.startswith("pbkdf2:sha256:")  # the test config; production uses scrypt
    assert user.check_password(make.PASSWORD)
    assert not user.check_password(make.PASSWORD.upper())


def test_production_hashes_passwords_with_scrypt():
    from market.config import DefaultConfig

    assert DefaultConfig.PASSWORD_HASH_METHOD == "scrypt"
    assert DefaultConfig.PASSWORD_MIN_LENGTH == 8


def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(make, monkeypatch):
    """The answer's time does not tell whether an address has an account."""
    import werkzeug.security

    from market.accounts import models, services

    checked = []
    real = werkzeug.security.check_password_hash

    def counting(stored, password):
        checked.append(stored.split("$", 1)[0])  # the hash method, e.g. scrypt:32768:8:1
        return real(stored, password)

    monkeypatch.setattr(models, "check_password_hash", counting)
    monkeypatch.setattr(services, "check_password_hash", counting)
    user = make.agency()
    for email in (user.email, "nobody-here@example.cn"):
        with pytest.raises(ServiceError, match="^邮箱或密码不正确$"):
            authenticate(email, "guessing-123")
    assert len(checked) == 2 and checked[0] == checked[1]


@pytest.mark.parametrize("document", [1, "x", {"email": 5, "password": [1]}, "credentials"])
def test_a_json_body_is_no_form(client, make, document):
    """A JSON body (a number, values that are not text) is an empty form, never a 500."""
    user = make.agency()
    if document == "credentials":
        document = {"email": user.email, "password": make.PASSWORD}
    response = client.post("/login", json=document)
    assert response.status_code == 200 and "请填写此项" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still not signed in
