"""The search engine behind one small interface: `index_document`, `delete_document`,
`search`, `rebuild`, `check`. Whoosh indexes under the instance folder, one per kind
(agencies, notices, catalogue items); documents come from documents.py. See docs/search.md
for the ranking formula."""

import math
import os
import threading
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup
from whoosh import index, sorting
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.highlight import HtmlFormatter, PinpointFragmenter
from whoosh.query import And, Every, NumericRange, Or, Term

from ..core.clock import utcnow
from . import analysis, documents

KINDS = ("agencies", "notices", "items")
#: the text fields searched, with their weights
FIELDS = {
    "agencies": {
        "name": 3.0,
        "items": 2.0,
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
#: how many best-by-relevance hits are re-ranked by the blend (pages beyond it keep order)
RERANK = 200


def _text(stored=False):
    return TEXT(analyzer=analysis.chinese_analyzer(), stored=stored, chars=stored)


def schema(kind: str) -> Schema:
    common = dict(
        id=ID(stored=True, unique=True),
        digest=STORED(),
        initials=KEYWORD(lowercase=True, scorable=True),
        category=KEYWORD(stored=True, commas=True),
        region=_text(stored=True),
        region_facet=ID(stored=True),
        created=DATETIME(stored=True, sortable=True),
    )
    if kind == "agencies":
        return Schema(
            **common,
            name=_text(stored=True),
            items=_text(stored=True),
            qualifications=_text(),
            description=_text(stored=True),
            grade=ID(stored=True),
            score=NUMERIC(int, stored=True, sortable=True, default=0),
            credit_factor=NUMERIC(float, stored=True, default=0),
            rating=NUMERIC(float, stored=True, sortable=True, default=0),
            blocked_until=NUMERIC(int, stored=True, default=0),
        )
    if kind == "notices":
        return Schema(
            **common,
            title=_text(stored=True),
            item=_text(stored=True),
            project=_text(),
            purchaser=_text(stored=True),
            state=ID(stored=True),
            state_label=STORED(),
            score=NUMERIC(int, sortable=True, default=0),
            rating=NUMERIC(float, sortable=True, default=0),
        )
    return Schema(
        **common,
        code=ID(stored=True),
        name=_text(stored=True),
        licensing=_text(stored=True),
        legal_basis=_text(),
        score=NUMERIC(int, sortable=True, default=0),
        rating=NUMERIC(float, sortable=True, default=0),
    )


# --- opening (one index object per process; searchers reused until the index changes) ---

_indexes: dict[str, index.Index] = {}
_searchers: dict[str, object] = {}
_open_lock = threading.Lock()


def index_dir(kind: str) -> str:
    base = current_app.config.get("SEARCH_INDEX_DIR") or os.path.join(
        current_app.instance_path, "search"
    )
    return os.path.join(base, kind)


def _setup():
    analysis.setup(os.path.join(current_app.instance_path, "jieba"))


def open_index(kind: str, fresh: bool = False) -> index.Index:
    """The kind's index, created on first use (or emptied, `fresh`)."""
    _setup()
    path = index_dir(kind)
    key = path
    with _open_lock:
        if fresh or not index.exists_in(path):
            os.makedirs(path, exist_ok=True)
            _indexes[key] = index.create_in(path, schema(kind))
            _searchers.pop(key, None)
        elif key not in _indexes:
            _indexes[key] = index.open_dir(path)
        return _indexes[key]


def searcher(kind: str):
    """A warm searcher, reopened when the index has changed since it was opened. (Not
    `Searcher.refresh()`: reusing segment readers there brings back merged-away segments.)"""
    ix = open_index(kind)
    key = index_dir(kind)
    current = _searchers.get(key)
    if current is None or not current.up_to_date():
        if current is not None:
            current.close()
        current = _searchers[key] = ix.searcher()
    return current


def writer(kind: str, fresh: bool = False):
    """A writer that waits for another process's writer (the index's file lock)."""
    return open_index(kind, fresh).writer(timeout=30.0)


# --- writing -------------------------------------------------------------------------------


def index_document(kind: str, doc_id: int) -> bool:
    """(Re)index one document from the database, or delete it if it no longer belongs."""
    doc = documents.build(kind, [doc_id]).get(doc_id)
    with writer(kind) as w:
        return _write(w, doc_id, doc)


def delete_document(kind: str, doc_id: int) -> None:
    with writer(kind) as w:
        w.delete_by_term("id", str(doc_id))


def _write(w, doc_id: int, doc: dict | None) -> bool:
    """Replace the document (None: it no longer belongs in the index)."""
    if doc is None:
        w.delete_by_term("id", str(doc_id))
        return False
    w.update_document(**doc)
    return True


def write_many(kind: str, ids) -> int:
    """Index these documents in one writer commit (the sync's batch). Returns how many."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    docs = documents.build(kind, ids)
    with writer(kind) as w:
        for doc_id in ids:
            _write(w, doc_id, docs.get(doc_id))
    return len(ids)


def rebuild(kinds=None, progress=None, batch: int = 2000) -> dict[str, int]:
    """Index every document again from the database, into an emptied index. `progress(kind,
    done, total)` is called after each batch."""
    counts = {}
    for kind in kinds or KINDS:
        ids = documents.all_ids(kind)
        w = writer(kind, fresh=True)
        try:
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch]
                for doc in documents.build(kind, chunk).values():
                    w.add_document(**doc)
                if progress:
                    progress(kind, min(start + batch, len(ids)), len(ids))
            w.commit()
        except BaseException:
            w.cancel()
            raise
        counts[kind] = len(ids)
    return counts


def check(kinds=None) -> dict[str, dict[str, list[int]]]:
    """Documents missing from the index, stale in it (its digest differs from the
    database's), or left over in it; by kind."""
    report = {}
    for kind in kinds or KINDS:
        stored = {int(f["id"]): f.get("digest") for f in searcher(kind).all_stored_fields()}
        expected = documents.digests(kind)
        report[kind] = {
            "missing": sorted(set(expected) - set(stored)),
            "stale": sorted(i for i in expected if i in stored and stored[i] != expected[i]),
            "extra": sorted(set(stored) - set(expected)),
        }
    return report


# --- searching -----------------------------------------------------------------------------


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


def query_words(text: str) -> list[str]:
    """The query's finest words as the index has them (analysed, deduplicated, in order): a
    compound whose parts are words too is left to its parts (环境影响 → 环境, 影响), since the
    index holds the parts of every compound but not every compound a query makes."""
    spans = [
        (t.text, t.startchar, t.endchar) for t in analysis.chinese_analyzer()(text, chars=True)
    ]
    finest = [
        (word, start, end)
        for word, start, end in spans
        if not any(s >= start and e <= end and (s, e) != (start, end) for _, s, e in spans)
    ]
    return list(dict.fromkeys(word for word, _, _ in finest))


def _word_query(kind: str, group: list[str]):
    fields = FIELDS[kind]
    terms = [Term(name, word, boost=weight) for word in group for name, weight in fields.items()]
    return Or(terms)


def build_query(kind: str, text: str):
    """Every query word (or one of its synonyms) in some field; ASCII letters also match the
    pinyin initials (hp → 环评)."""
    _setup()
    text = (text or "").strip()
    if not text:
        return Every(), []
    words = query_words(text)
    groups = analysis.expand(words)
    parts = [_word_query(kind, group) for group in groups]
    query = And(parts) if parts else None
    if text.isascii() and text.replace(" ", "").isalpha():
        initials = Term("initials", text.replace(" ", "").lower(), boost=2.0)
        query = Or([query, initials]) if query is not None else initials
    return query or Every(), words


def _filters(kind: str, filters: dict | None, can_bid_only: bool):
    parts = []
    for name, value in (filters or {}).items():
        if name in FACETS[kind] and value:
            parts.append(Term("region_facet" if name == "region" else name, value))
    if can_bid_only and kind == "agencies":
        parts.append(NumericRange("blocked_until", None, int(utcnow().timestamp())))
    return And(parts) if parts else None


def _grouping(kind: str) -> dict:
    """The facets, counted in the same pass as the search (no extra searches)."""
    return {
        name: sorting.FieldFacet(
            "region_facet" if name == "region" else name, maptype=sorting.Count
        )
        for name in FACETS[kind]
    }


#: a facet every document has exactly one value of: its counts add up to the exact total
TOTAL_FACET = {"agencies": "grade", "notices": "state", "items": "category"}


def _facet_counts(results, kind) -> dict[str, list[tuple[str, int]]]:
    facets = {}
    for name in FACETS[kind]:
        counts = results.groups(name)
        facets[name] = sorted(
            ((v, n) for v, n in counts.items() if v), key=lambda pair: (-pair[1], pair[0])
        )
    return facets


def _total(results, kind) -> int:
    return sum(results.groups(TOTAL_FACET[kind]).values())


def search(
    kind: str,
    text: str,
    filters: dict | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    can_bid_only: bool = False,
) -> SearchResults:
    """Search one kind. Relevance is blended with the credit factor for agencies (exactly,
    over the best RERANK hits); equal blends go to the higher credit. Facets count the
    matching documents under the other filters."""
    s = searcher(kind)
    query, words = build_query(kind, text)
    filter_q = _filters(kind, filters, can_bid_only)
    sort = sort if sort in SORTS else "relevance"
    page = max(page, 1)
    grouping = _grouping(kind)
    if sort == "relevance" and text.strip():
        results = s.search(query, filter=filter_q, limit=RERANK, groupedby=grouping)
        _style(results)
        hits = [_hit(kind, r) for r in results]
        hits.sort(key=lambda h: (-h.blended, -h.fields.get("credit_factor", 0), h.id))
        start = (page - 1) * per_page
        shown = hits[start : start + per_page]
        by_id = {int(r["id"]): r for r in results}
        for hit in shown:
            hit.highlights = _highlights(kind, by_id[hit.id])
    else:
        facet = SORTS[sort] or "created"
        found = s.search_page(
            query,
            page,
            pagelen=per_page,
            filter=filter_q,
            sortedby=facet,
            reverse=True,
            groupedby=grouping,
        )
        results = found.results
        _style(results)
        shown = [_hit(kind, r, relevance=False) for r in found]
        for hit, r in zip(shown, found, strict=True):
            hit.highlights = _highlights(kind, r) if text.strip() else {}
    total = _total(results, kind)
    suggestion = _suggest(s, kind, words) if total == 0 and words else None
    return SearchResults(
        hits=shown,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        facets=_facet_counts(results, kind),
        suggestion=suggestion,
        words=words,
    )


def blend(relevance: float, credit_factor: float) -> float:
    """The ranking score of an agency: relevance × credit factor (docs/search.md)."""
    return relevance * credit_factor


def _hit(kind, r, relevance: bool = True) -> Hit:
    fields = r.fields()
    factor = fields.get("credit_factor", 1.0) if kind == "agencies" else 1.0
    score = (r.score or 0.0) if relevance else 0.0  # sorted by a field: no relevance
    return Hit(int(fields["id"]), score, blend(score, factor), fields)


_FORMATTER = HtmlFormatter(tagname="mark", classname="hl", termclass="hl", between="…")


def _highlights(kind, r) -> dict:
    out = {}
    for name in FIELDS[kind]:
        try:
            text = r.highlights(name, top=2)
        except KeyError:
            continue
        if text:
            out[name] = Markup(text)
    return out


def _suggest(s, kind, words) -> str | None:
    """'Did you mean': each word unknown to the index replaced by its closest indexed term
    (edit distance) in the main fields; None if nothing better is known."""
    changed, out = False, []
    fields = list(FIELDS[kind])[:2]
    for word in words:
        known = any(s.doc_frequency(f, word) for f in fields) or word in analysis.synonyms()
        if known:
            out.append(word)
            continue
        # Close in spelling and sharing a character: 环竟 → 环境, not any two-character word.
        options = [
            o
            for f in fields
            for o in s.suggest(f, word, limit=10, maxdist=1 if len(word) <= 3 else 2)
            if set(o) & set(word)
        ]
        if options:
            out.append(options[0])
            changed = True
        else:
            out.append(word)
    return "".join(out) if changed else None


def _style(results) -> None:
    """Snippets of about 80 characters around the matches, found from the character offsets
    the index stored (no second analysis of the text), matches in <mark class="hl">."""
    results.fragmenter = PinpointFragmenter(maxchars=80, surround=20)
    results.formatter = _FORMATTER
