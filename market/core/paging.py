"""Pages of a list that cost what they show: the rows of one page (one more is read to know
whether another follows), and a count that stops at COUNT_LIMIT rows instead of counting a
whole table on every page view. Pages beyond the limit are not offered: a list that long is
narrowed with its filters or the search."""

from dataclasses import dataclass
from math import ceil

from flask import current_app, request
from sqlalchemy import func, select

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


def paginate(stmt, page: int | None = None, per_page: int | None = None) -> Page:
    """One page of `stmt`'s rows (ORM entities), with a count bounded by COUNT_LIMIT."""
    per_page = per_page or current_app.config["PER_PAGE"]
    limit = current_app.config["COUNT_LIMIT"]
    page = page or requested_page()
    counted = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).limit(limit + 1).subquery())
    )
    total, capped = min(counted, limit), counted > limit
    last = max(ceil(total / per_page), 1)
    if page > last:
        return Page([], page, per_page, total, capped)
    rows = db.session.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page))
    items = rows.unique().all()
    return Page(items[:per_page], page, per_page, total, capped, len(items) > per_page)
