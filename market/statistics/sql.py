"""A stored UTC moment's month and day in Shanghai, in SQL, so that figures are grouped by
the database (GROUP BY) rather than row by row in Python.

Moments are stored as naive UTC (core.types.UTCDateTime); Shanghai has kept UTC+8 all year
since 1991, so its calendar is the stored moment eight hours later. Both forms are text
('2026-11', '2026-11-24') on SQLite and PostgreSQL alike.
"""

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

#: Shanghai's offset from UTC (no daylight saving since 1991)
OFFSET_HOURS = 8


class _LocalCalendar(ColumnElement):
    # The moment is part of the statement's cache key: two columns never share a compiled form.
    _traverse_internals = [("moment", InternalTraversal.dp_clauseelement)]
    inherit_cache = True
    type = String()

    def __init__(self, moment):
        self.moment = moment


class LocalMonth(_LocalCalendar):
    """'YYYY-MM' of a stored moment in Shanghai."""

    inherit_cache = True


class LocalDay(_LocalCalendar):
    """'YYYY-MM-DD' of a stored moment in Shanghai."""

    inherit_cache = True


_SQLITE = {LocalMonth: "%Y-%m", LocalDay: "%Y-%m-%d"}
_POSTGRESQL = {LocalMonth: "YYYY-MM", LocalDay: "YYYY-MM-DD"}


@compiles(LocalMonth, "sqlite")
@compiles(LocalDay, "sqlite")
def _sqlite(element, compiler, **kw):
    moment = compiler.process(element.moment, **kw)
    return f"strftime('{_SQLITE[type(element)]}', {moment}, '+{OFFSET_HOURS} hours')"


@compiles(LocalMonth, "postgresql")
@compiles(LocalDay, "postgresql")
def _postgresql(element, compiler, **kw):
    moment = compiler.process(element.moment, **kw)
    return f"to_char({moment} + interval '{OFFSET_HOURS} hours', '{_POSTGRESQL[type(element)]}')"
