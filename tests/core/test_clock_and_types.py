"""The one clock, and datetimes stored as UTC and always read back timezone-aware."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, cast, select
from sqlalchemy.exc import StatementError

from market.core import clock
from market.core.models import AuditEvent
from market.core.templating import local_dt

BEIJING = timezone(timedelta(hours=8))


def test_the_frozen_clock_is_what_the_app_sees(frozen_clock):
    assert clock.utcnow() == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    frozen_clock.advance(days=1, hours=3)
    assert clock.utcnow() == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def test_freeze_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(datetime(2026, 11, 24, 10, 0))


def test_freeze_keeps_utc_whatever_zone_it_was_given():
    clock.freeze(datetime(2026, 11, 24, 18, 0, tzinfo=BEIJING))
    assert clock.utcnow() == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert clock.utcnow().tzinfo is UTC


def test_travel_runs_a_block_at_another_time_and_restores_the_clock(frozen_clock):
    before = clock.utcnow()
    elsewhere = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    with clock.travel(elsewhere):
        assert clock.utcnow() == elsewhere
    assert clock.utcnow() == before


def test_travel_restores_the_clock_even_when_the_block_fails():
    before = clock.utcnow()
    with pytest.raises(RuntimeError), clock.travel(datetime(2020, 5, 5, tzinfo=UTC)):
        raise RuntimeError("boom")
    assert clock.utcnow() == before


def test_travel_restores_a_running_clock():
    clock.freeze(None)
    with clock.travel(datetime(2020, 5, 5, tzinfo=UTC)):
        assert clock.utcnow().year == 2020
    assert clock.utcnow() > datetime(2024, 1, 1, tzinfo=UTC)  # real time again


def test_local_and_utc_conversions():
    moment = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert clock.to_local(moment).strftime("%Y-%m-%d %H:%M") == "2026-11-24 10:00"
    assert clock.from_local(datetime(2026, 11, 24, 10, 0)) == moment
    assert local_dt(moment) == "2026-11-24 10:00"
    assert local_dt(None) == "—"


def _event(created_dt):
    return AuditEvent(subject_type="test", subject_id=1, action="checked", created_dt=created_dt)


def test_a_datetime_is_stored_as_utc_and_read_back_aware(db):
    written = datetime(2026, 11, 24, 18, 30, tzinfo=BEIJING)
    event = _event(written)
    db.session.add(event)
    db.session.flush()
    db.session.expire_all()

    read = db.session.get(AuditEvent, event.id).created_dt
    assert read == written
    assert read.tzinfo is UTC
    assert read.hour == 10


def test_the_stored_value_is_naive_utc_on_disk(db):
    db.session.add(_event(datetime(2026, 11, 24, 18, 30, tzinfo=BEIJING)))
    db.session.flush()
    column = AuditEvent.__table__.c.created_dt
    raw = db.session.execute(
        select(cast(column, String)).where(AuditEvent.subject_type == "test")
    ).scalar_one()
    assert raw.startswith("2026-11-24 10:30")


def test_a_naive_datetime_is_refused_before_it_reaches_the_database(db):
    db.session.add(_event(datetime(2026, 11, 24, 10, 30)))
    with pytest.raises(StatementError, match="naive datetimes are ambiguous"):
        db.session.flush()
    db.session.rollback()


def test_timestamps_default_to_the_frozen_clock(db, frozen_clock):
    frozen_clock.advance(minutes=7)
    event = AuditEvent(subject_type="test", subject_id=1, action="checked")
    db.session.add(event)
    db.session.flush()
    assert event.created_dt == datetime(2026, 11, 24, 2, 7, tzinfo=UTC)
