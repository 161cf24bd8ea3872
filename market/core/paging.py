"""Pages of a list that cost what they show: the rows of one page (one more is read to know
whether another follows), and a count that stops at COUNT_LIMIT rows instead of counting a
whole table on every page view. Pages beyond the limit are not offered: a list that long is
narrowed with its filters or the search."""

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from flask import current_app, request
from sqlalchemy import Table, bindparam, func, literal, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression
from sqlalchemy.sql.selectable import Join
from sqlalchemy.sql.util import find_tables

from ..extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    #: the rows counted, exact unless `capped`
    total: int
    #: more rows exist than were counted (the count stopped at the limit)
    capped: bool = False
    #: another page of rows follows this one
    more: bool = False

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1 if self.total else 0)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more and self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=2, left_current=2, right_current=4, right_edge=2):
        """Page numbers to link, None where a gap is (as Flask-SQLAlchemy's pager); only the
        numbers shown are visited, however many pages there are."""
        pages, last = self.pages, 0
        shown = sorted(
            {
                *range(1, min(left_edge, pages) + 1),
                *range(max(1, self.page - left_current), min(pages, self.page + right_current) + 1),
                *range(max(1, pages - right_edge + 1), pages + 1),
            }
        )
        for number in shown:
            if last + 1 != number:
                yield None
            yield number
            last = number


#: no list pages further (its count stops at COUNT_LIMIT rows long before)
MAX_PAGE = 100_000


def requested_page() -> int:
    """The page the request asks for (1 when missing, nonsense or beyond any list)."""
    number = request.args.get("page", 1, type=int)
    return number if number and 0 < number <= MAX_PAGE else 1


def _plain(element):
    """A table, alias or column without the ORM's annotations (those are copies)."""
    return element._deannotate()


def _keeps_rows(join: Join, base: Table) -> bool:
    """Whether `join` (of `base` to one more table) gives each row of `base` exactly once: it
    is on one of base's columns equal to the other table's primary key (no row repeated), and
    it is an outer join, or that column is NOT NULL and a foreign key to that table (no row
    dropped)."""
    on, other = join.onclause, _plain(join.right)
    if not isinstance(on, BinaryExpression) or on.operator is not operators.eq:
        return False
    for mine, theirs in ((_plain(on.left), _plain(on.right)), (_plain(on.right), _plain(on.left))):
        if getattr(mine, "table", None) is base and getattr(theirs, "table", None) is other:
            if list(other.primary_key) != [theirs]:
                return False
            referenced = getattr(other, "element", other)  # an alias's table
            return join.isouter or (
                not mine.nullable and any(fk.references(referenced) for fk in mine.foreign_keys)
            )
    return False


def _counted(stmt):
    """The rows `stmt` returns, as cheaply as they can be counted: without its columns, and
    without its joins where none of them can drop or repeat a row and its WHERE reads only the
    first table (the count of a notice list then reads one index, not three tables)."""
    rows = stmt.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    froms = stmt.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Join):
        return rows
    joins, at = [], froms[0]
    while isinstance(at, Join):
        joins.append(at)
        at = at.left
    base = _plain(at)
    if not isinstance(base, Table) or not all(_keeps_rows(join, base) for join in joins):
        return rows
    where = stmt.whereclause
    if where is None:
        return select(literal(1)).select_from(base)
    # Every table its WHERE reads, through its columns too, and any subquery in it (which
    # could correlate to a joined table): only the first table may remain.
    read = find_tables(where, check_columns=True, include_aliases=True, include_selects=True)
    if {_plain(table) for table in read} - {base}:
        return rows
    return select(literal(1)).select_from(base).where(where)


@lru_cache(maxsize=256)
def _paged(stmt, count_limit: int):
    """`stmt` with its bounded count riding along each row (an uncorrelated subquery: computed
    once), the page's size and offset left as parameters; and the count alone. Built once
    per statement: a list whose statement is built once (procurement.listing) then costs
    neither the building nor its cache key again."""
    count = select(func.count()).select_from(_counted(stmt).limit(count_limit + 1).subquery())
    paged = stmt.add_columns(count.scalar_subquery())
    return paged.limit(bindparam("page_size")).offset(bindparam("page_offset")), count


def paginate(
    stmt, page: int | None = None, per_page: int | None = None, make=None, params=None
) -> Page:
    """One page of `stmt`'s rows with a count bounded by COUNT_LIMIT, in one query. The items
    are the statement's entities, or `make(*row)` for each row of a column select. No DISTINCT
    or GROUP BY: the count reads the rows without their columns. `params` binds a statement
    built once with bound parameters (one user's list: the paged form is then built once)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    limit = current_app.config["COUNT_LIMIT"]
    page = page or requested_page()
    paged, count = _paged(stmt, limit)
    if (page - 1) * per_page > limit:  # past any page offered: no rows to read
        counted = db.session.scalar(count, params)
        return Page([], page, per_page, min(counted, limit), counted > limit)
    window = {**(params or {}), "page_size": per_page + 1, "page_offset": (page - 1) * per_page}
    if make is None:
        rows = db.session.execute(paged, window).unique().all()
        items = [row[0] for row in rows]
    else:
        # Plain columns need none of the ORM's work on the result: the session's connection
        # runs the statement (after writing anything pending, as the session would).
        db.session.flush()
        rows = db.session.connection().execute(paged, window).all()
        items = [make(*row[:-1]) for row in rows]
    if rows:
        counted = rows[0][-1]
    elif page == 1:
        counted = 0
    else:  # past the last page: how many there are, for the pager
        counted = db.session.scalar(count, params)
    total, capped = min(counted, limit), counted > limit
    return Page(items[:per_page], page, per_page, total, capped, len(items) > per_page)
