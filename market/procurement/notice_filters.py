"""The public notice list's filters and sorts (/notices/): read from the query string, every
bad value dropped with a short note (never a failure), and the list's statement built once per
set of filters in use, their values bound when it runs.

A row also names the winner once the result is public, as the notice page does (the selected
quote's agency: `notice.selected_bid`); nothing else about quotes, not even how many there
are, is read here.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, exists, literal_column, select
from sqlalchemy.orm import aliased

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..core.clock import utcnow
from ..core.converters import MAX_ID
from ..core.i18n import _, _l
from ..core.money import MAX_FEN, MoneyError, yuan_to_fen
from ..core.query_args import day_arg, start_of_day, text_arg
from ..extensions import db
from .listing import NoticeRow, notice_rows
from .models import Bid, Notice
from .selection import method_labels
from .states import NOTICE

#: the sorts offered, the first the default
SORTS = {
    "newest": _l("最新发布"),
    "deadline": _l("报价截止最近"),
    "ceiling_desc": _l("最高限价从高到低"),
    "ceiling_asc": _l("最高限价从低到高"),
}
#: the query string's names (besides `state`, `sort` and `page`)
FILTER_NAMES = ("item", "purchaser", "department", "region", "method", "from", "to", "min", "max")
#: the longest text a department or region filter takes (their columns' lengths)
MAX_DEPARTMENT = 100
MAX_REGION = 50


@dataclass(frozen=True, slots=True)
class ListedNotice(NoticeRow):
    """A row of the public list: a NoticeRow, when it was published, its method and, once
    the result is public, the winning agency."""

    published_dt: datetime | None = None
    method: str = ""
    winner_org_id: int | None = None
    winner_name: str | None = None

    @property
    def method_label(self) -> str:
        return method_labels().get(self.method, "")

    @property
    def winner_public(self) -> bool:
        """The notice page shows the result (its selected quote); never while quotes are
        sealed."""
        return self.winner_org_id is not None and not NOTICE[self.state].sealed


@dataclass(frozen=True)
class NoticeFilters:
    state: str | None = None
    item: int | None = None
    purchaser: int | None = None
    department: str = ""
    region: str = ""
    method: str = ""
    since: date | None = None
    until: date | None = None
    min_fen: int | None = None
    max_fen: int | None = None
    sort: str = "newest"

    @property
    def key(self) -> tuple:
        return (
            self.state,
            self.item,
            self.purchaser,
            self.department,
            self.region,
            self.method,
            self.since,
            self.until,
            self.min_fen,
            self.max_fen,
            self.sort,
        )

    @property
    def active(self) -> bool:
        """Any filter besides the state tabs and the sort is in use."""
        return any(v not in (None, "") for v in self.values().values())

    def values(self) -> dict:
        """Each filter of FILTER_NAMES as the query string writes it (None: not in use)."""
        return {
            "item": self.item,
            "purchaser": self.purchaser,
            "department": self.department or None,
            "region": self.region or None,
            "method": self.method or None,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
            "min": _yuan(self.min_fen),
            "max": _yuan(self.max_fen),
        }

    def args(self, **changes) -> dict:
        """Query arguments of this list with some changed (None drops one)."""
        values = {"state": self.state, **self.values()}
        if self.sort != "newest":
            values["sort"] = self.sort
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Parsed:
    filters: NoticeFilters
    notes: list[str] = field(default_factory=list)


def _yuan(fen: int | None) -> str | None:
    if fen is None:
        return None
    return str(fen // 100) if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def _id(args, name: str, label: str, notes: list) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    notes.append(_("筛选条件「%(label)s」的取值无效，已忽略。", label=label))
    return None


def _fen(args, name: str, label: str, notes: list) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        fen = yuan_to_fen(raw)
    except (MoneyError, ArithmeticError):  # decimal.Overflow for 1e1000000 is no ValueError
        fen = -1
    if not 0 <= fen <= MAX_FEN:
        notes.append(_("%(label)s应为 0 至 100 亿之间的元金额，已忽略。", label=label))
        return None
    return fen


def parse(args, states) -> Parsed:
    """The list's filters from `args`; each bad value dropped with a note."""
    notes: list[str] = []
    state = args.get("state")
    if state and state not in states:
        notes.append(_("未知的公告状态，已显示全部状态。"))
    state = state if state in states else None
    sort = args.get("sort") or "newest"
    if sort not in SORTS:
        notes.append(_("不支持该排序方式，已按最新发布排序。"))
        sort = "newest"
    method = args.get("method", "").strip()
    if method and method not in method_labels():
        notes.append(_("筛选条件「选取方式」的取值无效，已忽略。"))
        method = ""
    since = day_arg(args, "from", _("发布日期（起）"), notes)
    until = day_arg(args, "to", _("发布日期（止）"), notes)
    if since and until and since > until:
        notes.append(_("发布日期的起止颠倒了，已对调。"))
        since, until = until, since
    low = _fen(args, "min", _("最高限价下限"), notes)
    high = _fen(args, "max", _("最高限价上限"), notes)
    if low is not None and high is not None and low > high:
        notes.append(_("最高限价的上下限颠倒了，已对调。"))
        low, high = high, low
    filters = NoticeFilters(
        state=state,
        item=_id(args, "item", _("服务事项"), notes),
        purchaser=_id(args, "purchaser", _("采购人"), notes),
        department=text_arg(args, "department", MAX_DEPARTMENT, _("审批部门"), notes),
        region=text_arg(args, "region", MAX_REGION, _("地区"), notes),
        method=method,
        since=since,
        until=until,
        min_fen=low,
        max_fen=high,
        sort=sort,
    )
    return Parsed(_known(filters, notes), notes)


def _known(filters: NoticeFilters, notes: list) -> NoticeFilters:
    """`filters` without an item, purchaser, department or region that names nothing (one
    query, and only when one is given)."""
    checks = {
        "item": (filters.item, lambda v: exists().where(ServiceItem.id == v), _("服务事项")),
        "purchaser": (
            filters.purchaser,
            lambda v: exists().where(Organisation.id == v, Organisation.kind == "purchaser"),
            _("采购人"),
        ),
        "department": (
            filters.department,
            lambda v: exists().where(ServiceItem.approving_department == v),
            _("审批部门"),
        ),
        "region": (
            filters.region,
            lambda v: exists().where(Organisation.region == v, Organisation.kind == "purchaser"),
            _("地区"),
        ),
    }
    asked = {name: check for name, check in checks.items() if check[0] not in (None, "")}
    if not asked:
        return filters
    found = db.session.execute(select(*(c[1](c[0]) for c in asked.values()))).one()
    dropped = {}
    for (name, (__, __, label)), ok in zip(asked.items(), found, strict=True):
        if not ok:
            notes.append(_("没有找到所选的%(label)s，已忽略该条件。", label=label))
            dropped[name] = None if name in ("item", "purchaser") else ""
    if not dropped:
        return filters
    values = {k: getattr(filters, k) for k in NoticeFilters.__dataclass_fields__}
    values.update(dropped)
    return NoticeFilters(**values)


# --- the statement -------------------------------------------------------------------------


def _winner_columns():
    """The selected quote's agency (id and name) as columns correlated to the notice: at most
    one quote of a notice is selected (uq_bids_one_selected)."""
    selected = and_(Bid.notice_id == Notice.id, Bid.status == literal_column("'selected'"))
    winner = aliased(Organisation, name="winner")
    org_id = select(Bid.agency_org_id).where(selected).correlate(Notice).scalar_subquery()
    name = (
        select(winner.name)
        .join(Bid, Bid.agency_org_id == winner.id)
        .where(selected)
        .correlate(Notice)
        .scalar_subquery()
    )
    return org_id, name


@lru_cache(maxsize=256)
def statement(state: str | None, used: frozenset, sort: str):
    """The published notices in `state` (None: any), filtered by the filters `used` (their
    values bound as parameters of the same names), in `sort`'s order. Built once per set."""
    stmt = (
        notice_rows()
        .add_columns(Notice.published_dt, Notice.method, *_winner_columns())
        # Never-published notices (drafts, and drafts cancelled) were never public.
        .where(Notice.published_dt.is_not(None))
    )
    if state:
        stmt = stmt.where(Notice.state == state)
    where = {
        "item": lambda: Notice.item_id == bindparam("item"),
        "purchaser": lambda: Notice.purchaser_org_id == bindparam("purchaser"),
        "department": lambda: ServiceItem.approving_department == bindparam("department"),
        "region": lambda: Organisation.region == bindparam("region"),
        "method": lambda: Notice.method == bindparam("method"),
        "since": lambda: Notice.published_dt >= bindparam("since"),
        "until": lambda: Notice.published_dt < bindparam("until"),
        "min_fen": lambda: Notice.ceiling_fen >= bindparam("min_fen"),
        "max_fen": lambda: Notice.ceiling_fen <= bindparam("max_fen"),
    }
    for name in sorted(used):
        stmt = stmt.where(where[name]())
    if sort == "deadline":
        # Deadlines still to come first, the soonest first; then those passed, the latest first.
        upcoming = Notice.deadline_dt > bindparam("now")
        return stmt.order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, Notice.deadline_dt), else_=None),
            Notice.deadline_dt.desc(),
            Notice.id.desc(),
        )
    if sort == "ceiling_desc":
        return stmt.order_by(Notice.ceiling_fen.desc(), Notice.id.desc())
    if sort == "ceiling_asc":
        return stmt.order_by(Notice.ceiling_fen, Notice.id)
    return stmt.order_by(Notice.published_dt.desc(), Notice.id.desc())


def list_query(filters: NoticeFilters):
    """The statement and its parameters for `filters`."""
    params = {
        "item": filters.item,
        "purchaser": filters.purchaser,
        "department": filters.department or None,
        "region": filters.region or None,
        "method": filters.method or None,
        "since": start_of_day(filters.since) if filters.since else None,
        # the whole last day: before the next one starts (Shanghai)
        "until": start_of_day(filters.until + timedelta(days=1)) if filters.until else None,
        "min_fen": filters.min_fen,
        "max_fen": filters.max_fen,
    }
    params = {k: v for k, v in params.items() if v is not None}
    stmt = statement(filters.state, frozenset(params), filters.sort)
    if filters.sort == "deadline":
        params["now"] = utcnow()
    return stmt, params


# --- what the form offers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    items: list  # (id, code, name)
    departments: list[str]
    purchasers: list  # (id, name)
    regions: list[str]
    methods: dict[str, str]


def choices() -> Choices:
    """What the filters offer: the items and purchasers of published notices, their
    departments and regions, and the selection methods (two queries; read only when the page
    is rendered)."""
    published = Notice.published_dt.is_not(None)
    items = db.session.execute(
        select(ServiceItem.id, ServiceItem.code, ServiceItem.name, ServiceItem.approving_department)
        .where(exists().where(Notice.item_id == ServiceItem.id, published))
        .order_by(ServiceItem.code)
    ).all()
    purchasers = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.region)
        .where(
            Organisation.kind == "purchaser",
            exists().where(Notice.purchaser_org_id == Organisation.id, published),
        )
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return Choices(
        items=[(i.id, i.code, i.name) for i in items],
        departments=sorted({i.approving_department for i in items if i.approving_department}),
        purchasers=[(p.id, p.name) for p in purchasers],
        regions=sorted({p.region for p in purchasers if p.region}),
        methods=method_labels(),
    )
