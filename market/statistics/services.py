"""The statistics' public interface: the figures of a set of filters as sections of key
figures and tables (the page, the JSON, the CSV files, the monthly report and the operators'
workspace all read these), and the overview the home page shows."""

import time
from dataclasses import dataclass

from flask import current_app

from ..core.clock import to_local, utcnow
from ..core.csvfile import csv_bytes
from . import cache
from .figures import count_figures
from .filters import FilterError, Filters, departments, items, read_filters  # noqa: F401
from .overview import OVERVIEW, count_overview
from .sections import sections
from .tables import KeyFigure, Section, Table, json_value, tables_of

#: the kept overview of the whole platform (the home page's figures)
OVERVIEW_KEY = "market_live_figures"


@dataclass
class Statistics:
    """The figures of one set of filters, as the pages show them."""

    filters: Filters
    home_region: str
    sections: list[Section]

    @property
    def tables(self) -> dict[str, Table]:
        return tables_of(self.sections)

    @property
    def key_figures(self) -> dict[str, KeyFigure]:
        return {f.key: f for section in self.sections for f in section.figures}

    def to_json(self, overview: dict[str, int]) -> dict:
        """The JSON document (data.json): every key figure, table and chart; money in fen,
        shares as fractions, times in Asia/Shanghai."""
        return {
            "generated_at": to_local(utcnow()).isoformat(timespec="seconds"),
            "filters": {
                "from": f"{self.filters.start:%Y-%m}",
                "to": f"{self.filters.end:%Y-%m}",
                "department": self.filters.department or None,
                "item": self.filters.item_id,
            },
            "home_region": self.home_region,
            "overview": overview,
            "summary": {
                f.key: {
                    "label": f.label,
                    "value": json_value(f.kind, f.value),
                    "band": f.band[1] if f.band else None,
                }
                for f in self.key_figures.values()
            },
            "tables": {
                name: {
                    "title": table.title,
                    "note": table.note,
                    "columns": [{"key": c.key, "label": c.label} for c in table.columns],
                    "rows": table.json_rows(),
                    "chart": table.chart_spec(),
                }
                for name, table in self.tables.items()
            },
        }

    def csv(self, name: str) -> bytes:
        """The CSV file of one table (KeyError for a name that is none)."""
        table = self.tables[name]
        return csv_bytes([c.csv_label for c in table.columns], table.csv_rows())


def home_region() -> str:
    """The platform's home region (HOME_REGION)."""
    return current_app.config["HOME_REGION"]


def statistics(filters: Filters) -> Statistics:
    """Every figure for `filters`, counted once per version of the data (cache.kept)."""
    region = home_region()
    figures = cache.kept(("figures", filters.key, region), lambda: count_figures(filters, region))
    return Statistics(filters, region, sections(figures, region))


def overview(filters: Filters | None = None) -> dict[str, int]:
    """The platform to date (agencies, purchasers, items online, notices taking quotes now,
    signed contracts and their total), within the filters' department or item if any; the
    period does not apply. One query."""
    return count_overview(filters, utcnow())


def live_figures() -> dict[str, int]:
    """The whole platform's overview, counted at most once every LIVE_FIGURES_SECONDS per
    process: every visitor of the home page must not count the whole platform again."""
    ttl = current_app.config["LIVE_FIGURES_SECONDS"]
    kept = current_app.extensions.get(OVERVIEW_KEY)
    if ttl and kept is not None and time.monotonic() - kept[0] < ttl:
        return kept[1]
    figures = overview()
    current_app.extensions[OVERVIEW_KEY] = (time.monotonic(), figures)
    return figures


def overview_labels() -> tuple[tuple[str, str], ...]:
    """(key, label) of each overview figure, in the order shown."""
    return OVERVIEW
