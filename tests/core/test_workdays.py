"""Working days follow the official calendar (holidays and 调休), and operator overrides win."""

from datetime import UTC, date, datetime

import pytest

from market.core.clock import SHANGHAI
from market.core.models import CalendarOverride
from market.core.workdays import add_working_days, is_working_day


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def in_shanghai(moment):
    return moment.astimezone(SHANGHAI)


def test_a_friday_deadline_plus_one_working_day_lands_on_monday_same_time():
    result = add_working_days(local(2026, 11, 27, 10, 0), 1)
    assert in_shanghai(result) == local(2026, 11, 30, 10, 0)
    assert result.tzinfo is UTC


def test_five_working_days_from_tuesday_skip_the_weekend():
    assert in_shanghai(add_working_days(local(2026, 11, 24, 10, 0), 5)) == local(2026, 12, 1, 10, 0)


def test_the_local_date_counts_not_the_utc_date():
    # Saturday 00:30 in Shanghai is still Friday in UTC: Saturday is the starting day.
    start = local(2026, 11, 28, 0, 30)
    assert start.astimezone(UTC).date() == date(2026, 11, 27)
    assert in_shanghai(add_working_days(start, 1)) == local(2026, 11, 30, 0, 30)


def test_zero_working_days_is_the_same_moment():
    start = local(2026, 11, 24, 15, 45)
    assert add_working_days(start, 0) == start


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),  # day off moved from Saturday 10-10
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, adjusted working day (调休上班)
        (date(2026, 9, 20), True),  # Sunday, adjusted working day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 14), True),  # Saturday, adjusted working day
        (date(2026, 11, 28), False),  # an ordinary Saturday
        (date(2026, 11, 24), True),
    ],
)
def test_official_2026_calendar(day, working):
    assert is_working_day(day) is working


def test_national_day_golden_week_is_skipped():
    # Wednesday 30 September: the next working day is Thursday 8 October.
    assert in_shanghai(add_working_days(local(2026, 9, 30, 9, 0), 1)) == local(2026, 10, 8, 9, 0)


def test_the_adjusted_saturday_after_national_day_counts():
    # 10-08 (Thu), 10-09 (Fri), then Saturday 10-10, a working day by 调休.
    assert in_shanghai(add_working_days(local(2026, 9, 30, 9, 0), 3)) == local(2026, 10, 10, 9, 0)


def test_the_adjusted_sunday_before_mid_autumn_counts():
    # Friday 18 September + 1: Sunday 20 September is a working day in 2026.
    assert in_shanghai(add_working_days(local(2026, 9, 18, 9, 0), 1)) == local(2026, 9, 20, 9, 0)


def test_an_operator_override_makes_a_package_holiday_a_working_day(db):
    start = local(2027, 2, 4, 10, 0)  # Thursday before the 2027 Spring Festival
    assert in_shanghai(add_working_days(start, 1)) == local(2027, 2, 11, 10, 0)

    db.session.add(CalendarOverride(day=date(2027, 2, 6), is_working_day=True, note="调休上班"))
    db.session.flush()

    assert is_working_day(date(2027, 2, 6)) is True
    assert in_shanghai(add_working_days(start, 1)) == local(2027, 2, 6, 10, 0)


def test_an_operator_override_makes_a_weekday_a_holiday(db):
    db.session.add(CalendarOverride(day=date(2026, 11, 30), is_working_day=False, note="临时调整"))
    db.session.flush()

    assert is_working_day(date(2026, 11, 30)) is False
    assert in_shanghai(add_working_days(local(2026, 11, 27, 10, 0), 1)) == local(2026, 12, 1, 10, 0)


def test_an_override_far_into_a_long_count_is_still_honoured(db):
    # 20 working days from Tuesday 2026-11-24 would end on Tuesday 2026-12-22.
    assert in_shanghai(add_working_days(local(2026, 11, 24, 10, 0), 20)) == local(
        2026, 12, 22, 10, 0
    )
    db.session.add(CalendarOverride(day=date(2026, 12, 21), is_working_day=False))
    db.session.flush()
    assert in_shanghai(add_working_days(local(2026, 11, 24, 10, 0), 20)) == local(
        2026, 12, 23, 10, 0
    )
