"""A page applies the deadlines of the notices it shows, at most DUE_ON_READ_LIMIT (5) of them,
and nothing else: the rest is the worker's."""

from datetime import timedelta

import pytest

from market.core import worker


@pytest.fixture
def overdue(make, frozen_clock):
    """25 notices whose bidding deadline passed an hour ago (the worker has not run), the
    latest published first."""
    notices = []
    for n in range(25):
        frozen_clock.set(frozen_clock.now + timedelta(minutes=1))
        notices.append(make.notice(title=f"逾期公告 {n:02d}"))
    frozen_clock.set(max(n.deadline_dt for n in notices) + timedelta(hours=1))
    return notices


def states(notices):
    return [n.state for n in notices]


def test_the_notice_list_applies_its_first_five_rows_and_marks_the_rest(client, overdue):
    page = client.get("/notices/").get_data(as_text=True)
    # 20 a page, the latest first: the first 5 applied, 15 more shown, 5 on the next page
    applied, waiting, hidden = overdue[20:], overdue[5:20], overdue[:5]
    assert states(applied) == ["failed"] * 5
    assert states(waiting) == ["published"] * 15
    assert states(hidden) == ["published"] * 5
    assert "逾期公告 05" in page and "逾期公告 04" not in page
    assert page.count("状态更新中") == 15


def test_no_row_is_marked_once_the_worker_has_run(app, client, overdue):
    worker.run_once(app)
    assert "状态更新中" not in client.get("/notices/").get_data(as_text=True)


def test_a_page_applies_at_most_due_on_read_limit(app, client, overdue, monkeypatch):
    monkeypatch.setitem(app.config, "DUE_ON_READ_LIMIT", 3)
    client.get("/notices/")
    assert states(overdue).count("failed") == 3


def test_the_home_page_applies_only_the_first_five_of_its_eight_latest(client, overdue):
    page = client.get("/").get_data(as_text=True)
    assert states(overdue).count("failed") == 5
    assert states(overdue[-5:]) == ["failed"] * 5
    assert page.count("状态更新中") == 3


def test_a_notice_page_applies_only_its_own_notice(client, overdue):
    assert client.get(f"/notices/{overdue[0].id}").status_code == 200
    assert overdue[0].state == "failed" and states(overdue[1:]) == ["published"] * 24


def test_the_worker_applies_what_no_page_showed(app, client, overdue):
    client.get("/notices/")
    assert worker.run_once(app)["deadlines"] == 20
    assert states(overdue) == ["failed"] * 25


def test_a_purchasers_workspace_brings_its_own_notices_up_to_date(app, make, overdue):
    mine = overdue[0]
    client = app.test_client()
    client.post("/login", data={"email": mine.created_by.email, "password": make.PASSWORD})
    assert client.get("/dashboard").status_code == 200
    assert mine.state == "failed" and states(overdue[1:]) == ["published"] * 24
