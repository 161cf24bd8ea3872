"""Pages of a list that cost what they show: the rows of one page (one more is read to know
whether another follows), and a count that stops at COUNT_LIMIT rows instead of counting a
whole table on every page view. Pages beyond the limit are not offered: a list that long is
narrowed with its filters or the search."""

from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from flask import current_app, request
from sqlalchemy import bindparam, func, literal, select

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
        """Page numbers to link, None where a gap is (as Flask-SQLAlchemy's pager)."""
        last = 0
        for number in range(1, self.pages + 1):
            if (
                number <= left_edge
                or self.page - left_current <= number <= self.page + right_current
                or number > self.pages - right_edge
            ):
                if last + 1 != number:
                    yield None
                yield number
                last = number


def requested_page() -> int:
    """The page the request asks for (1 when missing or nonsense)."""
    number = request.args.get("page", 1, type=int)
    return number if number and number > 0 else 1


@lru_cache(maxsize=256)
def _paged(stmt, count_limit: int):
    """`stmt` with its bounded count riding along each row (an uncorrelated subquery: computed
    once), the page's size and offset left as parameters; and the count alone. Built once
    per statement: a list whose statement is built once (procurement.listing) then costs
    neither the building nor its cache key again."""
    rows_only = stmt.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    count = select(func.count()).select_from(rows_only.limit(count_limit + 1).subquery())
    paged = stmt.add_columns(count.scalar_subquery())
    return paged.limit(bindparam("page_size")).offset(bindparam("page_offset")), count


def paginate(stmt, page: int | None = None, per_page: int | None = None, make=None) -> Page:
    """One page of `stmt`'s rows with a count bounded by COUNT_LIMIT, in one query. The items
    are the statement's entities, or `make(*row)` for each row of a column select. No DISTINCT
    or GROUP BY: the count reads the rows without their columns."""
    per_page = per_page or current_app.config["PER_PAGE"]
    limit = current_app.config["COUNT_LIMIT"]
    page = page or requested_page()
    paged, count = _paged(stmt, limit)
    if (page - 1) * per_page > limit:  # past any page offered: no rows to read
        counted = db.session.scalar(count)
        return Page([], page, per_page, min(counted, limit), counted > limit)
    window = {"page_size": per_page + 1, "page_offset": (page - 1) * per_page}
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
        counted = db.session.scalar(count)
    total, capped = min(counted, limit), counted > limit
    return Page(items[:per_page], page, per_page, total, capped, len(items) > per_page)
