"""The figures counted once per version of the data they read, per process.

Counting every figure reads the whole history (a few GROUP BY queries over every notice, bid
and contract of the period); the data change far less often than the page is read. The key
is the filters and the data's version: one query of a few aggregates that any change to
what the figures read moves (docs/statistics.md):

- a notice's `page_version`, raised in the flush of every change to the notice or to what
  its page shows (state, bids once opened, selections, contract, delivery, evaluations;
  procurement/versions.py), and the number of notices;
- organisations (number, highest id) and each agency's `page_version` (raised by every
  change to the agency, its organisation, offerings and standing: agencies/versions.py);
- conduct records (number, and their optimistic-lock `version`, moved by every update);
- the catalogue's items (number, latest `updated_dt`), the criteria (number, highest id),
  and the calendar's overrides (number, working days among them).

A quote before the deadline raises no page version (it would tell that one exists), so it
leaves the key as it was: sealed quotes change no figure, and not the cache either.
"""

import threading
from collections import OrderedDict
from functools import cache

from flask import current_app
from sqlalchemy import case, func, select

from ..accounts.models import Organisation
from ..agencies.models import Agency
from ..catalogue.models import ServiceItem
from ..core.models import CalendarOverride
from ..credit.models import ConductRecord, ViolationCriterion
from ..extensions import db
from ..procurement.models import Notice

KEY = "market_statistics_cache"


class _Kept:
    def __init__(self):
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()


def _kept() -> _Kept:
    return current_app.extensions.setdefault(KEY, _Kept())


def clear() -> None:
    """Forget every kept result (tests; a process whose database was replaced)."""
    kept = _kept()
    with kept.lock:
        kept.entries.clear()


@cache
def _version_statement():
    aggregates = (
        select(func.count()).select_from(Notice),
        select(func.coalesce(func.sum(Notice.page_version), 0)),
        select(func.count()).select_from(Organisation),
        select(func.coalesce(func.max(Organisation.id), 0)),
        select(func.coalesce(func.sum(Agency.page_version), 0)),
        select(func.count()).select_from(ConductRecord),
        select(func.coalesce(func.sum(ConductRecord.version), 0)),
        select(func.count()).select_from(ServiceItem),
        select(func.max(ServiceItem.updated_dt)),
        select(func.coalesce(func.max(ViolationCriterion.id), 0)),
        select(func.count()).select_from(CalendarOverride),
        select(func.coalesce(func.sum(case((CalendarOverride.is_working_day, 1), else_=0)), 0)),
    )
    return select(*(stmt.scalar_subquery() for stmt in aggregates))


def data_version() -> tuple:
    """What the figures read, summed up in one query: any change to it changes this."""
    return tuple(db.session.execute(_version_statement()).one())


def kept(key: tuple, compute):
    """`compute()`'s result for `key` (the filters and what else it depends on) and the data
    as they are now: computed once per version of the data, at most
    STATISTICS_CACHE_ENTRIES results per process (0: computed every time)."""
    limit = current_app.config["STATISTICS_CACHE_ENTRIES"]
    if not limit:
        return compute()
    full_key = (*key, data_version())
    store = _kept()
    with store.lock:
        if full_key in store.entries:
            store.entries.move_to_end(full_key)
            return store.entries[full_key]
    value = compute()
    with store.lock:
        store.entries[full_key] = value
        store.entries.move_to_end(full_key)
        while len(store.entries) > limit:
            store.entries.popitem(last=False)
    return value
