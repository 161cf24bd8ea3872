"""The statistics' filters, read from a query string (or typed on the command line): the
period in whole months (Shanghai calendar), a department (the catalogue items' approving
department, as regulators' organisations name theirs) and a catalogue item. Every bad value
is refused with a Chinese message naming it; nothing reaches the database unchecked."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select

from ..catalogue.models import ServiceItem
from ..catalogue.states import ITEM
from ..core.clock import from_local, local_today
from ..core.i18n import _
from ..extensions import db

FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2100, 12, 1)
#: the longest period asked at once: ten years of months on one axis
MAX_MONTHS = 120
#: the period shown when none is asked for: the last twelve months, this one included
DEFAULT_MONTHS = 12
#: what an id may be in an address at most (a positive 64-bit integer); beyond what an id
#: column holds it names no item (core.converters.MAX_ID)
MAX_ID_TEXT = 2**63 - 1
MONTH = re.compile(r"(\d{4})-(\d{2})")
#: the query string's names
ARG_NAMES = ("from", "to", "department", "item")


class FilterError(Exception):
    """One or more filter values cannot be used; `messages` says which and why, in Chinese."""

    def __init__(self, messages: list[str]):
        super().__init__(_("；").join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Filters:
    """Months from `start` to `end` (first days, both included), optionally one department's
    items or one item."""

    start: date
    end: date
    department: str = ""
    item_id: int | None = None
    #: the item's code and name, for titles (not part of what is counted)
    item_label: str = ""

    @property
    def months(self) -> list[str]:
        """Every month of the period as 'YYYY-MM', in order."""
        months, month = [], self.start
        while month <= self.end:
            months.append(f"{month:%Y-%m}")
            month += relativedelta(months=1)
        return months

    @property
    def since(self) -> datetime:
        """The period's first instant (UTC)."""
        return from_local(datetime.combine(self.start, datetime.min.time()))

    @property
    def until(self) -> datetime:
        """The instant after the period (UTC)."""
        after = self.end + relativedelta(months=1)
        return from_local(datetime.combine(after, datetime.min.time()))

    @property
    def key(self) -> tuple:
        """What the figures depend on (the cache's key)."""
        return (self.start, self.end, self.department, self.item_id)

    @property
    def args(self) -> dict[str, str]:
        """The query string giving these filters (for links, the JSON and the CSV files)."""
        values = {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}
        if self.department:
            values["department"] = self.department
        if self.item_id is not None:
            values["item"] = str(self.item_id)
        return values

    @property
    def period_label(self) -> str:
        if self.start == self.end:
            return _month_label(self.start)
        return _("%(start)s至%(end)s", start=_month_label(self.start), end=_month_label(self.end))

    @property
    def scope_label(self) -> str:
        """What is counted besides the period, in words."""
        parts = []
        if self.department:
            parts.append(_("审批部门：%(department)s", department=self.department))
        if self.item_label:
            parts.append(_("服务事项：%(item)s", item=self.item_label))
        return _("；").join(parts) or _("全部审批部门、全部服务事项")


def _month_label(month: date) -> str:
    """A month in words (2026年01月)."""
    return _("%(year)s年%(month)s月", year=month.strftime("%Y"), month=month.strftime("%m"))


def _month(text: str, label: str, errors: list[str]) -> date | None:
    match = MONTH.fullmatch(text.strip())
    if match is None:
        errors.append(_("%(label)s格式应为 YYYY-MM（年-月），例如 2026-01", label=label))
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        errors.append(_("%(label)s的月份应在 01 至 12 之间", label=label))
        return None
    value = date(year, month, 1)
    if not FIRST_MONTH <= value <= LAST_MONTH:
        errors.append(_("%(label)s应在 2000-01 至 2100-12 之间", label=label))
        return None
    return value


def _shown(text: str, limit: int = 20) -> str:
    """A value someone typed, short enough to be quoted back."""
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[:limit] + "…"


def _listed():
    """Items the public list has shown: a department's drafts are its own until published."""
    return or_(
        ServiceItem.first_public_on.is_not(None), ServiceItem.status.in_(ITEM.where(public=True))
    )


def departments() -> list[str]:
    """The approving departments of the catalogue's items, for the filter."""
    return list(
        db.session.scalars(
            select(ServiceItem.approving_department)
            .where(ServiceItem.approving_department != "", _listed())
            .distinct()
            .order_by(ServiceItem.approving_department)
        )
    )


def items() -> list[tuple[int, str, str, str]]:
    """Every catalogue item (id, code, name, department), for the filter."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                ServiceItem.id,
                ServiceItem.code,
                ServiceItem.name,
                ServiceItem.approving_department,
            )
            .where(_listed())
            .order_by(ServiceItem.code)
        )
    ]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last DEFAULT_MONTHS months, this one included."""
    today = today or local_today()
    end = today.replace(day=1)
    return end - relativedelta(months=DEFAULT_MONTHS - 1), end


def read_filters(args, today: date | None = None) -> Filters:
    """The filters a query string (a mapping of the names in ARG_NAMES) asks for; FilterError
    with every problem found otherwise. Missing or empty values take their defaults."""
    errors: list[str] = []
    default_start, default_end = default_period(today)
    raw_from = (args.get("from") or "").strip()
    raw_to = (args.get("to") or "").strip()
    start = _month(raw_from, _("起始月份"), errors) if raw_from else None
    end = _month(raw_to, _("截止月份"), errors) if raw_to else None
    if not errors:
        if start is None and end is None:
            start, end = default_start, default_end
        elif start is None:
            start = max(end - relativedelta(months=DEFAULT_MONTHS - 1), FIRST_MONTH)
        elif end is None:
            end = min(max(start, default_end), start + relativedelta(months=MAX_MONTHS - 1))
        if start > end:
            errors.append(_("起始月份不能晚于截止月份"))
        elif (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS:
            errors.append(_("统计期间最长 %(months)s 个月（10 年），请缩短期间", months=MAX_MONTHS))

    department = (args.get("department") or "").strip()
    if department and (len(department) > 100 or department not in departments()):
        errors.append(
            _(
                "没有名为「%(department)s」的审批部门，请从列表中选择",
                department=_shown(department),
            )
        )
        department = ""

    item_id, item_label = None, ""
    raw_item = (args.get("item") or "").strip()
    if raw_item:
        if not raw_item.isascii() or not raw_item.isdigit() or int(raw_item) < 1:
            errors.append(_("服务事项应从列表中选择（编号为正整数）"))
        elif int(raw_item) > MAX_ID_TEXT:
            errors.append(_("服务事项编号超出范围，请从列表中选择"))
        else:
            item = db.session.get(ServiceItem, int(raw_item)) if int(raw_item) < 2**31 else None
            if item is None or not item.ever_public:
                errors.append(_("所选服务事项不存在，请从列表中选择"))
            elif department and item.approving_department != department:
                errors.append(
                    _(
                        "服务事项「%(item)s」的审批部门是%(actual)s，不是%(department)s",
                        item=" ".join((item.code, item.name)),
                        actual=item.approving_department,
                        department=department,
                    )
                )
            else:
                item_id, item_label = item.id, f"{item.code} {item.name}"
    if errors:
        raise FilterError(errors)
    return Filters(start, end, department, item_id, item_label)


def month_filters(text: str) -> Filters:
    """The filters of one month typed as YYYY-MM (the monthly report); FilterError otherwise,
    including a month that has not begun yet."""
    errors: list[str] = []
    month = _month(text or "", _("月份"), errors)
    if month is not None and month > local_today().replace(day=1):
        errors.append(
            _("%(month)s 尚未开始，不能生成该月的统计月报", month=month.strftime("%Y-%m"))
        )
    if errors:
        raise FilterError(errors)
    return Filters(month, month)
