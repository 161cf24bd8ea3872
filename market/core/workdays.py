"""Working days on the official Chinese calendar (holidays + 调休), with operator overrides.

The `holidays` package knows the State Council's schedule once it is published; for a year it
does not know yet, operators enter CalendarOverride rows, which win over the package.
"""

from datetime import date, datetime, timedelta
from functools import cache, lru_cache

import holidays
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from .clock import SHANGHAI, from_local
from .models import CalendarOverride


@cache
def _cn_calendar():
    return holidays.country_holidays("CN")


CACHE_KEY = "market_calendar_overrides"


def _overrides(start: date, end: date) -> dict[date, bool]:
    # The table holds a few dozen days: read it once per transaction, not once per deadline
    # (the runner computes thousands).
    session = db.session()
    cached = session.info.get(CACHE_KEY)
    if cached is None:
        rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_working_day))
        cached = session.info[CACHE_KEY] = dict(rows.all())
    return {day: working for day, working in cached.items() if start <= day <= end}


@event.listens_for(Session, "after_flush")
def _forget_changed_overrides(session, flush_context):
    if any(
        isinstance(obj, CalendarOverride)
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info.pop(CACHE_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_overrides(session, transaction):
    if transaction.parent is None:
        session.info.pop(CACHE_KEY, None)


@lru_cache(maxsize=16384)
def _calendar_working_day(day: date) -> bool:
    # The package's answer for a day never changes within a process (overrides are checked
    # first, from the database); asked again for the same days by every span counted.
    return _cn_calendar().is_working_day(day)


def is_working_day(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """True if `day` is a working day in mainland China."""
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return _calendar_working_day(day)


def add_working_days(moment: datetime, n: int) -> datetime:
    """The same local clock time on the n-th working day after `moment`'s local date."""
    local = moment.astimezone(SHANGHAI)
    day = local.date()
    # Long holidays (Spring Festival) are at most ~9 days in a row: 3n + 20 days always suffices.
    overrides = _overrides(day, day + timedelta(days=3 * n + 20))
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return from_local(naive)


def working_days_after(today: date, days: list[date]) -> list[int]:
    """For each date, the working days after `today` up to and including it (0 if not after)."""
    if not days:
        return []
    # One read of the overrides for the whole span, not one per day.
    overrides = _overrides(today, max(max(days), today))
    return [
        sum(
            is_working_day(today + timedelta(days=n), overrides)
            for n in range(1, (day - today).days + 1)
        )
        for day in days
    ]


def working_day_numbers(first: date, last: date) -> dict[date, int]:
    """For each day from `first` to `last`, the working days after `first` up to and including
    it: the working days from one of them to another is the difference of their numbers (as
    `working_days_after` counts them), so thousands of spans cost one pass over the calendar."""
    if last < first:
        return {}
    overrides = _overrides(first, last)
    numbers, counted, day = {first: 0}, 0, first
    while day < last:
        day += timedelta(days=1)
        counted += is_working_day(day, overrides)
        numbers[day] = counted
    return numbers
