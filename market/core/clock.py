"""The one source of "now". Tests freeze it; nothing else calls datetime.now()."""

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Pin utcnow() to `moment` (aware), or release it with None."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(UTC) if moment is not None else None


def to_local(moment: datetime) -> datetime:
    """An aware UTC datetime shown in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI)


def from_local(naive_local: datetime) -> datetime:
    """A naive datetime typed by a user in Asia/Shanghai, as aware UTC."""
    return naive_local.replace(tzinfo=SHANGHAI).astimezone(UTC)


@contextmanager
def travel(moment: datetime):
    """Run a block as if it were `moment` (demo data, tests), then restore the previous clock."""
    global _frozen
    saved = _frozen
    freeze(moment)
    try:
        yield
    finally:
        _frozen = saved


def local_today(now: datetime | None = None) -> date:
    """Today's calendar date in Shanghai (validity dates are local calendar days)."""
    return to_local(now or utcnow()).date()


def add_months(moment: datetime, months: int) -> datetime:
    """The same clock time `months` calendar months later (the end of a month clamps)."""
    return moment + relativedelta(months=months)
