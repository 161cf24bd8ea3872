"""What the workspaces share: short lists that carry their full count, and days left.

A workspace must cost the same few queries however much data there is: the counts of all its
lists are one query (`fill`), and only a list with rows reads them (its first few, with
related rows loaded up front). Most lists are empty most of the time: a workspace where
nothing waits costs that one query."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from ..core.clock import local_today, to_local
from ..core.workdays import working_days_after
from ..extensions import db
from ..procurement.contract_models import Contract, Evaluation, Rectification
from ..procurement.services import due_notices_of

#: how many rows each short list shows; the counts beside them are always complete
SHORT_LIST = 5
LONG_LIST = 10

# A workspace's statements are built once per process, with the organisation and the moment
# as parameters bound when they run: building them and their cache keys for every request
# cost more than the queries (the counts of a dozen lists are one statement).
ORG_ID = bindparam("org_id")
NOW = bindparam("now")


@dataclass
class Due:
    """One kind of thing a party has to do (or waits for): how many, and the first few."""

    key: str
    title: str
    hint: str
    count: int = 0
    items: list = field(default_factory=list)
    #: how its rows are shown (several dues may share one: each method's selection step)
    kind: str = ""
    #: the purchaser's notice list filtered to these rows' state, if one state holds them all
    state: str | None = None
    #: where on each row's page the step is (an element id)
    anchor: str = ""

    #: the rows, most urgent first (read by `fill`)
    stmt: Select | None = field(default=None, repr=False, compare=False)
    limit: int = SHORT_LIST

    def __post_init__(self):
        self.kind = self.kind or self.key


def count_of(stmt) -> int:
    """The number of rows `stmt` would return, counted by the database."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def first_rows(stmt, limit: int = SHORT_LIST) -> tuple[int, list]:
    """(how many rows `stmt` returns in all, its first `limit` rows), in one query: the
    window count is taken before the limit applies."""
    rows = db.session.execute(stmt.add_columns(func.count().over()).limit(limit)).all()
    return (rows[0][-1] if rows else 0), [row[0] for row in rows]


def due(key: str, title: str, hint: str, stmt, limit: int = SHORT_LIST, **shown) -> Due:
    """A Due to be filled (`fill`) from `stmt`, ordered most urgent first."""
    return Due(key, title, hint, stmt=stmt, limit=limit, **shown)


@lru_cache(maxsize=64)
def _counting(stmts: tuple[tuple[str, Select], ...]) -> Select:
    return select(
        *(
            select(func.count())
            .select_from(stmt.order_by(None).subquery())
            .scalar_subquery()
            .label(key)
            for key, stmt in stmts
        )
    )


@lru_cache(maxsize=256)
def limited(stmt: Select, limit: int) -> Select:
    """`stmt` with a LIMIT, built once for a statement built once."""
    return stmt.limit(limit)


def counts_of(stmts: dict[str, Select], params: dict | None = None) -> dict[str, int]:
    """How many rows each of `stmts` returns, counted by the database in one query. For
    statements built once (parameters bound when they run, `ORG_ID`), so is the count."""
    if not stmts:
        return {}
    counting = _counting(tuple(stmts.items()))
    return dict(db.session.execute(counting, params).one()._mapping)


def rows_of(stmt, limit: int, params: dict | None = None) -> list:
    """The first `limit` rows of an entity statement."""
    return list(db.session.scalars(limited(stmt, limit), params))


def fill(dues: list[Due], params: dict | None = None, **others: Select) -> dict[str, int]:
    """Count every due, and each of `others`, in one query; then read the first rows of the
    dues that have any. Returns the counts of `others`."""
    counts = counts_of({f"due_{n}": d.stmt for n, d in enumerate(dues)} | others, params)
    for n, d in enumerate(dues):
        d.count = counts.pop(f"due_{n}")
        d.items = rows_of(d.stmt, d.limit, params) if d.count else []
    return counts


def fill_once_due_applied(
    dues: tuple[Due, ...], params: dict, apply_due, **others: Select
) -> tuple[list[Due], dict[str, int]]:
    """`fill` copies of `dues` (built once) and `others`, counting the organisation's own due
    notices in the same query (`params` binds org_id, now and due_limit). When some are due,
    `apply_due()` applies them and everything is counted again: the counts and lists show
    those notices as they now are. Returns the filled dues and the counts of `others`."""
    filled = fresh(dues)
    counts = fill(filled, params, due_notices=due_notices_of(), **others)
    if counts.pop("due_notices"):
        apply_due()
        filled = fresh(dues)
        counts = fill(filled, params, **others)
    return filled, counts


def fresh(dues: tuple[Due, ...]) -> list[Due]:
    """Copies of dues built once, to be filled for one request."""
    return [replace(d) for d in dues]


def working_days_left(deadlines: list[datetime], today: date | None = None) -> list[int]:
    """For each deadline, the working days after today up to and including its local date."""
    return working_days_after(today or local_today(), [to_local(d).date() for d in deadlines])


def open_rectifications(org_id: int):
    """The organisation's rectification cases still waiting for its answer, oldest first."""
    return (
        select(Rectification)
        .where(Rectification.org_id == org_id, Rectification.status == "open")
        .options(
            joinedload(Rectification.evaluation)
            .joinedload(Evaluation.contract)
            .joinedload(Contract.notice)
        )
        .order_by(Rectification.opened_dt, Rectification.id)
    )
