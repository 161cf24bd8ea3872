"""A failure in work done on another domain's behalf never undoes or stops the action it
followed: it is recorded for regulators and operators, and the runner's batch goes on."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from market.core.models import CalendarOverride, ListenerFailure
from market.core.signals import notice_transitioned
from market.procurement.runner import run_due
from market.procurement.states import NOTICE


def failures(db):
    return db.session.scalars(select(ListenerFailure).order_by(ListenerFailure.id)).all()


@pytest.fixture
def broken_for(db):
    """A listener on notice transitions that fails for the notices named in the set."""
    broken = set()

    def listener(notice, **_):
        if notice.id in broken:
            # a row written before failing must not outlive the failure
            db.session.add(
                CalendarOverride(day=date(2030, 1, notice.id % 28 + 1), is_working_day=True)
            )
            raise RuntimeError(f"无法处理公告 {notice.id}")

    notice_transitioned.connect(listener)
    yield broken
    notice_transitioned.disconnect(listener)


def test_a_failing_listener_is_recorded_and_the_batch_goes_on(
    make, db, frozen_clock, broken_for, listener_failures
):
    notices = [make.notice() for _ in range(3)]
    for notice in notices:
        make.bid(make.agency(), notice)
    broken_for.add(notices[1].id)
    frozen_clock.set(max(n.deadline_dt for n in notices) + timedelta(minutes=1))
    assert run_due() == 3
    assert [n.state for n in notices] == ["bidding_closed"] * 3
    (failure,) = failures(db)
    assert (failure.event, failure.subject_type, failure.subject_id) == (
        "notice-transitioned",
        "notice",
        notices[1].id,
    )
    assert failure.message == f"RuntimeError: 无法处理公告 {notices[1].id}"
    assert failure.listener.endswith("broken_for.<locals>.listener")
    assert len(listener_failures) == 1
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_a_failing_arrival_hook_leaves_the_purchasers_action_done(app, make, db, listener_failures):
    def hook(notice, **_):
        raise ValueError("消息服务不可用")

    NOTICE.on_arrival("published")(hook)
    try:
        notice = make.notice(publish=False)
        client = app.test_client()
        client.post("/login", data={"email": notice.created_by.email, "password": make.PASSWORD})
        response = client.post(f"/notices/{notice.id}/publish")
    finally:
        NOTICE._arrival["published"].remove(hook)
    assert response.status_code == 302 and notice.state == "published"
    (failure,) = failures(db)
    assert failure.event == "notice:published" and failure.message == "ValueError: 消息服务不可用"


def test_a_database_error_in_a_listener_fails_only_its_notice(
    make, db, frozen_clock, listener_failures
):
    notices = [make.notice() for _ in range(3)]
    broken = notices[2].id

    def listener(notice, **_):
        if notice.id == broken:
            db.session.execute(text("SELECT * FROM no_such_table"))

    notice_transitioned.connect(listener)
    try:
        frozen_clock.set(max(n.deadline_dt for n in notices) + timedelta(minutes=1))
        assert run_due() == 2
    finally:
        notice_transitioned.disconnect(listener)
    db.session.expire_all()
    assert [n.state for n in notices] == ["failed", "failed", "published"]
    assert notices[2].due_dt == notices[2].deadline_dt  # still due: retried later
    (failure,) = failures(db)
    assert (failure.event, failure.subject_id) == ("runner:due", broken)
    assert "no_such_table" in failure.message


def test_supervisors_see_failures_and_mark_them_handled(
    app, make, db, frozen_clock, broken_for, listener_failures
):
    notice = make.notice()
    broken_for.add(notice.id)
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    run_due()
    (failure,) = failures(db)
    regulator = make.staff("regulator", "生态环境部门")
    client = app.test_client()
    client.post("/login", data={"email": regulator.email, "password": make.PASSWORD})
    workspace = client.get("/dashboard").get_data(as_text=True)
    assert "系统后续处理异常 1 项" in workspace
    assert f"公告 {notice.id}：公告状态变化后的信用与风险处理" in workspace
    listing = client.get("/supervision/failures").get_data(as_text=True)
    assert f'href="/notices/{notice.id}"' in listing
    assert client.post(f"/supervision/failures/{failure.id}/handled").status_code == 302
    assert failure.handled_by_id == regulator.id
    assert "系统后续处理异常" not in client.get("/dashboard").get_data(as_text=True)
    agency = app.test_client()
    agency.post("/login", data={"email": make.agency().email, "password": make.PASSWORD})
    assert agency.get("/supervision/failures").status_code == 403
    assert db.session.scalar(select(func.count(ListenerFailure.id))) == 1
