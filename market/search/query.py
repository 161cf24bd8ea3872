"""What both search backends share (engine.py: Whoosh; pg.py: PostgreSQL): the kinds, their
weighted text fields, facets and sorts, how a query becomes groups of terms, the credit
blend, the results' shape and their snippets."""

import os
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from ..core.i18n import _
from . import analysis

KINDS = ("agencies", "notices", "items")
#: the text fields searched, with their weights
FIELDS = {
    "agencies": {
        "name": 3.0,
        "items": 2.0,
        "licensing": 1.5,
        "qualifications": 1.5,
        "region": 1.0,
        "description": 0.5,
    },
    "notices": {"title": 3.0, "item": 2.0, "project": 1.5, "purchaser": 1.5, "region": 1.0},
    "items": {"name": 3.0, "licensing": 2.0, "legal_basis": 1.0},
}
FACETS = {
    "agencies": ("category", "region", "grade"),
    "notices": ("category", "region", "state"),
    "items": ("category",),
}
SORTS = {"relevance": None, "credit": "score", "rating": "rating", "newest": "created"}


def setup():
    """Load the analysis (jieba, its dictionary) once per process, its cache in the instance
    folder."""
    analysis.setup(os.path.join(current_app.instance_path, "jieba"))


class IndexOutdated(Exception):
    """The index on disk was built with other fields or another analysis than this version's:
    it must be rebuilt (`flask search sync` does so, as does `flask search rebuild`)."""

    def __init__(self, kind: str):
        super().__init__(_("%(kind)s 索引的结构已过时，需要重建", kind=kind))
        self.kind = kind


@dataclass
class Hit:
    id: int
    score: float
    blended: float
    fields: dict
    highlights: dict = field(default_factory=dict)


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    words: list[str] = field(default_factory=list)
    #: when the results would read differently with the index unchanged (an agency's
    #: suspension ends: its badge goes, the "may bid" filter lets it in); None: never
    changes_at: datetime | None = None


def query_words(text: str) -> list[str]:
    """The query's words as the index has them (folded, English phrases translated, analysed,
    deduplicated, in order). A word with synonyms is kept whole (环境影响评价 finds what 环评
    finds); any other compound whose parts are words too is left to its parts (环境影响 → 环境,
    影响), since the index holds the parts of every compound but not every compound a query
    makes."""
    text = analysis.translate(text)
    spans = [
        (t.text, t.startchar, t.endchar) for t in analysis.chinese_analyzer()(text, chars=True)
    ]

    def within(span, others):
        __, start, end = span
        return any(s <= start and end <= e and (s, e) != (start, end) for __, s, e in others)

    known = analysis.synonyms()
    named = [span for span in spans if span[0] in known]
    whole = [span for span in named if not within(span, named)]
    spans = [span for span in spans if not within(span, whole)]
    finest = [
        (word, start, end)
        for word, start, end in spans
        if (word, start, end) in whole
        or not any(s >= start and e <= end and (s, e) != (start, end) for __, s, e in spans)
    ]
    return list(dict.fromkeys(word for word, __, ___ in finest))


def query_terms(kind: str, text: str):
    """Every query word (or one of its synonyms) in some field, as groups of (field, word,
    boost) terms; and the alternative: ASCII letters also match the pinyin initials
    (hp → 环评)."""
    setup()
    text = (text or "").strip()
    words = query_words(text) if text else []
    groups = [
        [(name, word, weight) for word in group for name, weight in FIELDS[kind].items()]
        for group in analysis.expand(words)
    ]
    alternative = None
    letters = analysis.fold(text).replace(" ", "")
    if letters.isascii() and letters.isalpha():
        alternative = ("initials", letters, 2.0)
    return groups, alternative, words


def sort_for(sort: str, text: str) -> str:
    """The sort a search uses: an unknown one is relevance, and a search without words lists
    the newest first."""
    sort = sort if sort in SORTS else "relevance"
    return "newest" if sort == "relevance" and not text else sort


def blend(relevance: float, credit_factor: float) -> float:
    """The ranking score of an agency: relevance × credit factor (docs/search.md)."""
    return relevance * credit_factor


def highlights(kind, fields: dict, terms: set[str]) -> dict:
    """Snippets of the shown hit's stored text fields around the query's words (and their
    synonyms), cut from the stored text."""
    out = {}
    for name in FIELDS[kind]:
        text = fields.get(name)
        snippet = analysis.snippets(text, terms) if text and terms else None
        if snippet:
            out[name] = snippet
    return out
