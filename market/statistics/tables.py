"""The shapes the figures are shown in — sections of key figures and tables, each table with
the chart drawn from it (by ECharts in the browser, as SVG on paper: the same series) — and
each kind of value in each form (page, chart, JSON, CSV). sections.py fills them."""

from dataclasses import dataclass, field

from ..core.i18n import _, _l
from ..core.money import format_fen

#: the selection methods whose winner the purchaser names without competition's ranking
DIRECT_METHODS = ("direct",)
GRADES = ("A", "B", "C", "D")
#: each axis's unit, by a key that does not depend on the language (charts ask the key
#: whether an axis counts whole things: INTEGER_UNITS)
UNITS = {
    "count": _l("个"),
    "agencies": _l("家"),
    "records": _l("条"),
    "wan_yuan": _l("万元"),
    "days": _l("工作日"),
    "share": "%",
    "hhi": "HHI",
}
#: units of whole things: the chart's axis steps by whole numbers
INTEGER_UNITS = ("count", "agencies", "records")


def single_bid_band(share: float | None) -> tuple[str, str] | None:
    """(label, key) of a single-response share on the EU Single Market Scoreboard's scale:
    at most 10 % satisfactory, above 10 % average, above 20 % poor."""
    if share is None:
        return None
    if share <= 0.10:
        return _("满意"), "good"
    if share <= 0.20:
        return _("一般"), "weak"
    return _("较差"), "poor"


def hhi_band(hhi: int | None) -> tuple[str, str] | None:
    """(label, key) of a Herfindahl–Hirschman index (0–10,000): above 2,500 highly
    concentrated, 1,500 to 2,500 moderately, below 1,500 not concentrated."""
    if hhi is None:
        return None
    if hhi > 2500:
        return _("高度集中"), "high"
    if hhi >= 1500:
        return _("中度集中"), "moderate"
    return _("集中度低"), "low"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: month | text | int | fen | share | days | hhi
    kind: str = "int"

    @property
    def csv_label(self) -> str:
        if self.kind == "fen":
            return _("%(label)s（元）", label=self.label)
        if self.kind == "share":
            return _("%(label)s（%%）", label=self.label)
        if self.kind == "days":
            return _("%(label)s（工作日）", label=self.label)
        return str(self.label)


@dataclass(frozen=True)
class Series:
    """One series of a table's chart: a column, drawn as bars or a line, on the left (0) or
    right (1) axis, stacked with the other series of the same stack."""

    column: str
    kind: str = "bar"
    axis: int = 0
    stack: str | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[tuple]
    note: str = ""
    #: bar (categories along x) | hbar (categories down y) | None (a table only)
    chart: str | None = "bar"
    #: the column naming each row on the chart's category axis
    category: str = "month"
    series: list[Series] = field(default_factory=list)
    #: each axis's unit, as a key of UNITS
    axes: tuple[str, ...] = ("count",)
    #: lines drawn across the chart at a value: (value, label)
    marks: tuple[tuple[float, str], ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def values(self, key: str) -> list:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def chart_spec(self) -> dict | None:
        """What the browser's ECharts draws (and svg.py on paper): categories, and each
        series's values in the unit of its axis (万元 for money, % for shares)."""
        if self.chart is None:
            return None
        return {
            "type": self.chart,
            "title": self.title,
            "categories": [str(v) for v in self.values(self.category)],
            "axes": [str(UNITS[unit]) for unit in self.axes],
            # whether each axis counts whole things (steps of 1), whatever the language
            "integer_axes": [unit in INTEGER_UNITS for unit in self.axes],
            "marks": [{"value": v, "label": label} for v, label in self.marks],
            "series": [
                {
                    "name": self.column(s.column).label,
                    "type": s.kind,
                    "axis": s.axis,
                    "stack": s.stack,
                    "data": [
                        chart_value(self.column(s.column).kind, v) for v in self.values(s.column)
                    ],
                }
                for s in self.series
            ],
        }

    def json_rows(self) -> list[dict]:
        """The rows as plain values: money in fen, shares as fractions (0–1), days as numbers,
        None where there is nothing to compute from."""
        return [
            {c.key: json_value(c.kind, v) for c, v in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]

    def csv_rows(self) -> list[list[str]]:
        return [
            [csv_value(c.kind, v) for c, v in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]


@dataclass(frozen=True)
class KeyFigure:
    key: str
    label: str
    value: object
    kind: str = "int"
    note: str = ""
    #: a band's (label, key), shown beside the value
    band: tuple[str, str] | None = None


@dataclass
class Section:
    name: str
    title: str
    intro: str
    figures: list[KeyFigure]
    tables: list[Table]


# --- values in each form ----------------------------------------------------------------------


def days_text(value: float | None) -> str:
    """Working days with one decimal at most (2, 2.5)."""
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0")


def share_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def shown(kind: str, value) -> str:
    """A value as the page and the report print it."""
    if value is None:
        return "—"
    if kind == "fen":
        return format_fen(value)
    if kind == "share":
        return share_text(value)
    if kind == "days":
        return days_text(value)
    if kind in ("int", "hhi"):
        return f"{value:,}"
    if kind == "mean":
        return f"{value:.2f}"
    return str(value)


def chart_value(kind: str, value):
    if value is None:
        return None
    if kind == "fen":
        return round(value / 1_000_000, 2)  # 万元
    if kind == "share":
        return round(value * 100, 1)
    if kind in ("days", "mean"):
        return round(value, 2)
    return value


def json_value(kind: str, value):
    if value is None:
        return None
    if kind == "share":
        return round(value, 4)
    if kind in ("days", "mean"):
        return round(value, 2)
    return value


def csv_value(kind: str, value) -> str:
    if value is None:
        return ""
    if kind == "fen":
        return f"{value // 100}.{value % 100:02d}"
    if kind == "share":
        return f"{value * 100:.1f}"
    if kind in ("days", "mean"):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def tables_of(found: list[Section]) -> dict[str, Table]:
    return {table.name: table for section in found for table in section.tables}
