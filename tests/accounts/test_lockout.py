"""Guessing passwords: ten wrong in a row lock the account until the mailed link unlocks it;
logins, registrations, quotes and list downloads are rate limited per address or user."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from market.core.models import AuditEvent, OutgoingMail

WRONG = "邮箱或密码不正确"
LOCKED = "该账号因连续多次密码错误已被锁定"


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def unlock_mails(db, user):
    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    return [m for m in rows if user.email in m.recipients and "锁定" in m.subject]


def unlock_path(mail):
    return urlsplit(re.search(r"https?://\S+/login/unlock/\S+", mail.body).group(0)).path


def test_nine_wrong_passwords_then_the_right_one_logs_in_and_starts_the_count_again(client, make):
    user = make.agency()
    for _ in range(9):
        assert WRONG in login(client, user.email, "wrong-password-1").get_data(as_text=True)
    assert login(client, user.email, make.PASSWORD).status_code == 302
    assert user.failed_logins == 0


def test_the_tenth_wrong_password_locks_the_account_even_against_the_right_one(client, make, db):
    user = make.agency()
    for _ in range(10):
        login(client, user.email, "wrong-password-1")
    assert user.locked_dt is not None

    refused = login(client, user.email, make.PASSWORD)
    assert refused.status_code == 200
    assert LOCKED in refused.get_data(as_text=True)
    # To someone without the password, a locked account answers like any other.
    guessed = login(client, user.email, "wrong-password-2").get_data(as_text=True)
    assert WRONG in guessed and LOCKED not in guessed

    (mail,) = unlock_mails(db, user)
    assert "连续多次输入错误密码" in mail.body and "24 小时内" in mail.body
    events = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "user", AuditEvent.subject_id == user.id
        )
    ).all()
    assert events == ["locked"]


def test_the_mailed_link_unlocks_once_and_the_right_password_works_again(client, make, db):
    user = make.agency()
    for _ in range(10):
        login(client, user.email, "wrong-password-1")
    path = unlock_path(unlock_mails(db, user)[0])

    response = client.get(path, follow_redirects=True)
    assert "账号已解锁" in response.get_data(as_text=True)
    assert user.locked_dt is None and user.failed_logins == 0
    again = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "已使用过或已失效" in again
    assert login(client, user.email, make.PASSWORD).status_code == 302


def test_an_unlock_link_older_than_24_hours_or_altered_does_not_unlock(
    client, make, db, frozen_clock
):
    user = make.agency()
    for _ in range(10):
        login(client, user.email, "wrong-password-1")
    path = unlock_path(unlock_mails(db, user)[0])

    payload, signature = path.rsplit(".", 1)
    forged = f"{payload}.{signature[::-1]}"
    altered = client.get(forged, follow_redirects=True).get_data(as_text=True)
    assert "解锁链接无效或已过期" in altered
    frozen_clock.advance(hours=24, minutes=1)
    late = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "解锁链接无效或已过期" in late
    assert user.locked_dt is not None


def test_an_unknown_address_is_never_locked_and_gets_the_same_answer(client, make, db):
    for _ in range(12):
        page = login(client, "nobody@example.cn", "wrong-password-1").get_data(as_text=True)
        assert WRONG in page and LOCKED not in page
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_an_address_may_try_ten_logins_a_minute(client, make, rate_limits, frozen_clock):
    rate_limits.enabled = True
    user = make.agency()
    for _ in range(10):
        assert login(client, "nobody@example.cn", "wrong-password-1").status_code == 200
    refused = login(client, user.email, make.PASSWORD)
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) <= 60
    # Another address is not held back by this one.
    other = client.post(
        "/login",
        data={"email": user.email, "password": make.PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert other.status_code == 302


def test_an_address_may_register_five_organisations_an_hour(client, rate_limits):
    rate_limits.enabled = True
    for _ in range(5):
        assert client.post("/register/agency", data={}).status_code == 200
    assert client.post("/register/agency", data={}).status_code == 429
    assert client.get("/register/agency").status_code == 200  # reading the form is not limited


def test_a_signed_in_agency_may_send_twenty_quotes_a_minute(client, auth, make, rate_limits):
    agency = make.agency()
    auth.login(agency)
    rate_limits.enabled = True
    for _ in range(20):
        assert client.post("/notices/999999/bid", data={}).status_code == 404
    assert client.post("/notices/999999/bid", data={}).status_code == 429


def test_the_open_lists_may_be_downloaded_sixty_times_a_minute(client, rate_limits):
    rate_limits.enabled = True
    for _ in range(60):
        assert client.get("/credit/blacklist.json").status_code == 200
    assert client.get("/credit/blacklist.json").status_code == 429
    assert client.get("/credit/blacklist").status_code == 200  # the page itself is not
