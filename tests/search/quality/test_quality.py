"""Search quality: the queries of queries.toml over the fixed corpus of corpus.py, judged by
precision@5 (relevant among the top 5 / min(5, number relevant)) and recall (relevant found
among the results / number relevant). Every query must meet its expectation, and the means
must reach the thresholds below. The figures are printed in the terminal summary
(conftest.py); `-v` lists every query."""

import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from market.search import engine

from . import corpus

QUERIES = Path(__file__).with_name("queries.toml")
PER_PAGE = 20
#: the means every backend must reach
MIN_PRECISION_AT_5 = 0.9
MIN_RECALL = 0.95


def _postgres_param():
    marks = []
    if "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""):
        reason = "the postgres backend is measured on PostgreSQL (MARKET_TEST_DATABASE_URL)"
        marks.append(pytest.mark.skip(reason=reason))
    elif importlib.util.find_spec("market.search.pg") is None:
        reason = "market/search/pg.py (the postgres backend) is not written yet"
        marks.append(pytest.mark.skip(reason=reason))
    return pytest.param("postgres", marks=marks)


@dataclass
class Query:
    text: str
    category: str
    relevant: list[str]
    kind: str = "agencies"
    top: str | None = None
    first_relevant: bool = False
    suggestion: str | None = None
    why: str = ""


def load_queries() -> list[Query]:
    with QUERIES.open("rb") as fh:
        return [Query(**entry) for entry in tomllib.load(fh)["query"]]


@dataclass
class Outcome:
    query: Query
    ranked: list[str]
    total: int
    suggestion: str | None
    precision: float
    recall: float
    problems: list[str] = field(default_factory=list)
    raised: Exception | None = None

    def line(self) -> str:
        q = self.query
        label = f"{q.text} [{q.category}{', notices' if q.kind == 'notices' else ''}]"
        found = f"total {self.total}"
        if self.suggestion:
            found += f", suggested {self.suggestion}"
        head = f"    {label}: p@5 {self.precision:.2f} recall {self.recall:.2f} ({found})"
        top = ", ".join(_short(name) for name in self.ranked[:5]) or "nothing"
        if self.problems:
            head += "\n      " + "; ".join(self.problems)
        return f"{head}\n      top 5: {top}"


def _short(name: str) -> str:
    for cut in ("有限责任公司", "有限公司"):
        name = name.removesuffix(cut)
    return name


@dataclass
class Run:
    backend: str
    outcomes: list[Outcome]

    @property
    def precision(self) -> float:
        return sum(o.precision for o in self.outcomes) / len(self.outcomes)

    @property
    def recall(self) -> float:
        return sum(o.recall for o in self.outcomes) / len(self.outcomes)

    @property
    def failing(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problems]

    def headline(self) -> str:
        return (
            f"search quality ({self.backend}): precision@5 {self.precision:.2f}, "
            f"recall {self.recall:.2f} over {len(self.outcomes)} queries "
            f"({len(self.failing)} failing; thresholds {MIN_PRECISION_AT_5}, {MIN_RECALL})"
        )

    def by_category(self) -> list[str]:
        lines = []
        categories = dict.fromkeys(o.query.category for o in self.outcomes)
        for category in categories:
            group = [o for o in self.outcomes if o.query.category == category]
            p = sum(o.precision for o in group) / len(group)
            r = sum(o.recall for o in group) / len(group)
            bad = sum(1 for o in group if o.problems)
            lines.append(
                f"  {category:<21} {len(group):>3} queries  p@5 {p:.2f}  recall {r:.2f}"
                f"  failing {bad}"
            )
        return lines

    def rows(self, every: bool = False) -> list[str]:
        return [o.line() for o in self.outcomes if every or o.problems]


def judge(query: Query, names: dict[int, str]) -> Outcome:
    """Run one query and measure it against its expectation (a query that raises is a
    failing query with nothing found, so that the others are still measured)."""
    problems = []
    try:
        results = engine.search(query.kind, query.text, per_page=PER_PAGE)
        suggestion, total = results.suggestion, results.total
        if results.total == 0 and suggestion:
            if query.suggestion and suggestion != query.suggestion:
                problems.append(f"suggested {suggestion!r}, expected {query.suggestion!r}")
            results = engine.search(query.kind, suggestion, per_page=PER_PAGE)
            total = results.total
        hits = results.hits
    except Exception as error:  # reported with the query (test_search_quality re-raises
        # the first if every query raised, for its traceback)
        problems.append(f"raised {type(error).__name__}: {error}")
        hits, suggestion, total, raised = [], None, 0, error
    else:
        raised = None
    ranked = [names.get(hit.id, f"#{hit.id}") for hit in hits]
    relevant = set(query.relevant)
    precision = len(relevant & set(ranked[:5])) / min(5, len(relevant))
    recall = len(relevant & set(ranked)) / len(relevant)
    missing = [name for name in query.relevant if name not in ranked]
    if missing:
        problems.append("not found: " + ", ".join(_short(name) for name in missing))
    first = ranked[0] if ranked else None
    if query.top and first != query.top:
        problems.append(f"first should be {_short(query.top)}")
    if query.first_relevant and ranked and first not in relevant:
        problems.append(f"first is a distractor: {_short(first)}")
    return Outcome(query, ranked, total, suggestion, precision, recall, problems, raised)


def test_the_queries_name_only_what_the_corpus_holds():
    agencies = {spec.name for spec in corpus.AGENCIES}
    notices = {spec.title for spec in corpus.NOTICES}
    queries = load_queries()
    assert len(queries) >= 40
    for query in queries:
        assert query.kind in ("agencies", "notices"), query
        known = notices if query.kind == "notices" else agencies
        unknown = set(query.relevant) - known
        assert query.relevant and not unknown, (query.text, unknown)
        assert query.top is None or query.top in query.relevant, query.text


@pytest.mark.parametrize("backend", ["whoosh", _postgres_param()])
def test_search_quality(backend, app, db, make, monkeypatch, quality_report):
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", backend)
    names = corpus.build(make, db)
    engine.rebuild(["agencies", "notices", "items"])
    outcomes = [judge(query, names[query.kind]) for query in load_queries()]
    run = quality_report[backend] = Run(backend, outcomes)
    if all(o.raised for o in outcomes):
        raise outcomes[0].raised
    below = run.precision < MIN_PRECISION_AT_5 or run.recall < MIN_RECALL
    if run.failing or below:
        lines = [run.headline(), *(o.line() for o in run.failing)]
        pytest.fail("\n".join(lines), pytrace=False)
