"""A list page's filters read from its address: each bad value is dropped with a note saying
which filter was ignored (a page never fails on its query string)."""

import re
from datetime import date, datetime, time

from .clock import from_local
from .forms import FIRST_YEAR, LAST_YEAR
from .i18n import _

DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_day(raw: str) -> date | None:
    """A date typed as YYYY-MM-DD within the calendar the platform takes, else None."""
    match = DAY.fullmatch(raw.strip())
    if match is None:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def day_arg(args, name: str, label: str, notes: list) -> date | None:
    """The day in `args[name]`, or None (a bad one noted)."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        notes.append(
            _(
                "%(label)s应为 %(first)s–%(last)s 年间的日期（如 2026-11-24），已忽略。",
                label=label,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    return day


def text_arg(args, name: str, limit: int, label: str, notes: list) -> str:
    """The words in `args[name]`, spaces collapsed; "" for none or a bad one (noted: too long,
    or with a character that cannot be shown)."""
    value = " ".join(args.get(name, "").split())
    if len(value) > limit or any(not ch.isprintable() for ch in value):
        notes.append(_("筛选条件「%(label)s」过长或含有无法识别的字符，已忽略。", label=label))
        return ""
    return value


def start_of_day(day: date) -> datetime:
    """The first moment of a Beijing day, in UTC (a date filter's bound)."""
    return from_local(datetime.combine(day, time.min))
