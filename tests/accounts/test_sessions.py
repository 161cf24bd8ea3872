"""Login sessions end when the user logs out, everywhere, and at their expiry: a copied
cookie is worth nothing afterwards; a remembered login gets a new cookie each time."""

from datetime import timedelta

import pytest

from market import create_app
from market.accounts.sessions import purge_sessions


@pytest.fixture(autouse=True)
def real_lifetimes(app, monkeypatch):
    """The site's lifetimes of a login (the suite's own are long: its tests move the clock)."""
    monkeypatch.setitem(app.config, "LOGIN_SESSION_HOURS", 12)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_DURATION", timedelta(days=14))


def test_the_site_keeps_a_login_12_hours_and_a_remembered_one_14_days(tmp_path):
    site = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x"}
    )
    assert site.config["LOGIN_SESSION_HOURS"] == 12
    assert site.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def login(client, user, password, remember=False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def signed_in(client) -> bool:
    """Whether this browser is signed in (the account page opens instead of the login)."""
    return client.get("/account").status_code == 200


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found is not None else None


@pytest.fixture
def browser(app):
    """Another browser: a client with its own cookies."""
    return app.test_client


def test_a_session_cookie_copied_before_logout_does_not_work_after_it(client, browser, make):
    user = make.agency()
    login(client, user, make.PASSWORD)
    copied = cookie(client, "session")
    client.post("/logout")

    replay = browser()
    replay.set_cookie("session", copied)
    assert not signed_in(replay)


def test_logout_ends_the_sessions_in_every_other_browser_too(client, browser, make):
    user = make.agency()
    office, phone = browser(), browser()
    login(office, user, make.PASSWORD)
    login(phone, user, make.PASSWORD)
    assert signed_in(office) and signed_in(phone)

    office.post("/logout")
    assert not signed_in(phone)
    assert not signed_in(office)


def test_each_login_gets_a_new_remember_cookie_and_logout_voids_the_old_one(client, browser, make):
    user = make.agency()
    login(client, user, make.PASSWORD, remember=True)
    first = cookie(client, "remember_token")
    client.post("/logout")
    assert cookie(client, "remember_token") is None
    login(client, user, make.PASSWORD, remember=True)
    second = cookie(client, "remember_token")
    assert first and second and first != second

    replay = browser()
    replay.set_cookie("remember_token", first)
    assert not signed_in(replay)


def test_a_remembered_login_restored_from_its_cookie_gets_a_new_one(client, browser, make):
    user = make.agency()
    login(client, user, make.PASSWORD, remember=True)
    old = cookie(client, "remember_token")

    reopened = browser()  # the browser restarted: no session cookie, the remember cookie only
    reopened.set_cookie("remember_token", old)
    assert signed_in(reopened)
    new = cookie(reopened, "remember_token")
    assert new and new != old
    assert signed_in(reopened)

    thief = browser()
    thief.set_cookie("remember_token", old)
    assert not signed_in(thief)


def test_a_login_lasts_12_hours_and_a_remembered_one_14_days(client, browser, make, frozen_clock):
    user = make.agency()
    plain, remembered = browser(), browser()
    login(plain, user, make.PASSWORD)
    login(remembered, user, make.PASSWORD, remember=True)

    frozen_clock.advance(hours=11, minutes=59)
    assert signed_in(plain)
    frozen_clock.advance(minutes=2)
    assert not signed_in(plain)
    assert signed_in(remembered)

    frozen_clock.advance(days=13, hours=11)
    assert signed_in(remembered)
    frozen_clock.advance(hours=1)
    assert not signed_in(remembered)


def test_login_starts_a_new_session_with_nothing_from_before(client, make):
    user = make.agency()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    login(client, user, make.PASSWORD)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"].startswith(f"{user.id}.")


def test_a_session_cookie_of_the_old_form_or_a_guessed_token_signs_nobody_in(browser, make):
    user = make.agency()
    for forged in (str(user.id), f"{user.id}.", f"{user.id}.{'A' * 43}", "x.y", ""):
        client = browser()
        with client.session_transaction() as session:
            session["_user_id"] = forged
            session["_fresh"] = True
        assert not signed_in(client), forged


def test_the_worker_deletes_sessions_a_day_after_they_ended(client, make, frozen_clock, db):
    user = make.agency()
    login(client, user, make.PASSWORD)
    client.post("/logout")
    login(client, user, make.PASSWORD)  # expires in 12 hours
    frozen_clock.advance(hours=23)
    assert purge_sessions() == 0
    frozen_clock.advance(hours=2)
    assert purge_sessions() == 1  # the one ended at logout; the other expired 13 hours ago
    frozen_clock.advance(hours=12)
    assert purge_sessions() == 1
