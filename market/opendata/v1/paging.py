"""Cursor paging for the API's lists: each list is read in the order of a sort key whose
last column is unique, and the next page starts after the last row given (keyset: every
page costs the same, however deep, and a row added meanwhile is neither skipped nor
repeated). The cursor is opaque to callers: the sort's name and the last row's key, as
URL-safe base64 of JSON."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import request, url_for
from sqlalchemy import literal, tuple_

from ...core.clock import from_local
from ...extensions import db

#: items per page unless `limit` says otherwise
PAGE_SIZE = 20


class CursorError(ValueError):
    """A cursor this list did not give (or given for another sort)."""


@dataclass(frozen=True)
class Order:
    """A way to sort a list: its columns (the last unique), each ascending or descending
    together, and how to read a row's key (the values of those columns)."""

    columns: tuple
    descending: bool = False

    def after(self, key: tuple):
        """SQL for "comes after the row with `key`" in this order: one row-value comparison,
        which SQLite and PostgreSQL answer from the order's index (an OR of the columns'
        comparisons they would not)."""
        values = (literal(v, c.type) for c, v in zip(self.columns, key, strict=True))
        columns, values = tuple_(*self.columns), tuple_(*values)
        return columns < values if self.descending else columns > values

    def order_by(self) -> list:
        return [c.desc() if self.descending else c.asc() for c in self.columns]


def _encode(value):
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    return value


def _decode(value, column):
    """A key value read back from a cursor, if it is of the column's type and within what
    the database takes (ValueError otherwise: nothing unchecked reaches a query)."""
    kind = column.type.python_type
    if kind is datetime:
        if not (isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str)):
            raise ValueError("not a time")
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None or not 1900 < moment.year < 2200:
            raise ValueError("not a time the platform holds")
        return moment
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        if not -(2**63) < value < 2**63:
            raise ValueError("beyond 64 bits")
        return value
    if kind is str and isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        return value
    raise ValueError("not a key value of this list")


def cursor_for(sort: str, key: tuple) -> str:
    """The cursor of the page after the row with `key` in the order `sort`."""
    text = json.dumps([sort, *[_encode(v) for v in key]], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(cursor: str, sort: str, columns: tuple) -> tuple:
    """The key a cursor holds (values of `columns`, given for `sort`); CursorError otherwise."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != len(columns) + 1 or values[0] != sort:
            raise ValueError("another list's cursor")
        return tuple(_decode(v, c) for v, c in zip(values[1:], columns, strict=True))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as err:
        raise CursorError(
            "cursor 无效：请使用上一页返回的 next_cursor，并保持 sort 等参数不变"  # i18n: data
        ) from err


@dataclass
class Page:
    """The rows of one page and the cursor of the next (None on the last page)."""

    rows: list
    next_cursor: str | None

    def document(self, items: list) -> dict:
        """The page as the API gives it: the items, the next cursor and the links."""
        args = request.args.to_dict()
        args.pop("cursor", None)
        view_args = request.view_args or {}
        here = url_for(request.endpoint, **view_args, **request.args.to_dict())
        after = (
            url_for(request.endpoint, **view_args, **args, cursor=self.next_cursor)
            if self.next_cursor
            else None
        )
        return {
            "items": items,
            "next_cursor": self.next_cursor,
            "links": {"self": here, "next": after},
        }


def page(stmt, orders: dict[str, Order], sort: str, args: dict, key=None) -> Page:
    """One page of `stmt` in the order named `sort`, after args["cursor"], of args["limit"]
    rows (PAGE_SIZE unless given); `key(row)` reads a row's sort key (default: the values of
    the order's columns by their names). CursorError for a cursor this list did not give."""
    order = orders[sort]
    limit = args.get("limit") or PAGE_SIZE
    if args.get("cursor"):
        after = read_cursor(args["cursor"], sort, order.columns)
        stmt = stmt.where(order.after(after))
    rows = list(db.session.execute(stmt.order_by(*order.order_by()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    read = key or (lambda row: tuple(row._mapping[c.key] for c in order.columns))
    return Page(rows, cursor_for(sort, read(rows[-1])) if more and rows else None)


def day_bounds(first: date | None, last: date | None) -> tuple:
    """The UTC instants [from, to) of Beijing days `first` to `last` (both included; either
    may be None)."""
    lower = from_local(datetime.combine(first, time())) if first else None
    upper = from_local(datetime.combine(last + timedelta(days=1), time())) if last else None
    return lower, upper
