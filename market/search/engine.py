"""The search engine behind one small interface: `index_document`, `delete_document`,
`search`, `rebuild`, `check`. Whoosh indexes under the instance folder, one per kind
(agencies, notices, catalogue items); documents come from documents.py. See docs/search.md
for the ranking formula."""

import itertools
import math
import os
import threading
from datetime import UTC, datetime

import numpy as np
from flask import current_app
from whoosh import index
from whoosh.fields import Schema
from whoosh.query import And, DisjunctionMax, Every, Or, Term

from ..core.clock import utcnow
from ..core.health import Unhealthy
from . import analysis, documents, vector
from .fields import schema
from .query import (  # noqa: F401 (the interface: other modules name these through engine)
    FACETS,
    FIELDS,
    KINDS,
    SORTS,
    Hit,
    IndexOutdated,
    SearchResults,
    blend,
    highlights,
    query_terms,
    query_words,
    sort_for,
)
from .query import setup as _setup

#: from how many documents a rebuild analyses in several processes
PARALLEL_FROM = 5000


# --- the backend: Whoosh here (the embedded default), or PostgreSQL (pg.py) -----------------


def _postgres() -> bool:
    """Whether SEARCH_BACKEND chooses PostgreSQL: the same interface, served by pg.py."""
    return current_app.config["SEARCH_BACKEND"] == "postgres"


def _pg():
    from . import pg

    return pg


# --- opening (one index object per process; searchers reused until the index changes) ---

_indexes: dict[str, index.Index] = {}
_searchers: dict[str, object] = {}
_views: dict[str, vector.View] = {}
#: a number for each searcher opened in this process (index.version)
_serials = itertools.count(1)
_open_lock = threading.Lock()


def index_dir(kind: str) -> str:
    base = current_app.config.get("SEARCH_INDEX_DIR") or os.path.join(
        current_app.instance_path, "search"
    )
    return os.path.join(base, kind)


def _signature(fields: Schema):
    return sorted(
        (name, type(f).__name__, type(f.format).__name__, bool(f.column_type))
        for name, f in fields.items()
    )


#: the file beside an index naming the analysis it was written with (analysis.version())
ANALYSIS_FILE = "ANALYSIS"


def _analysed_with(path: str) -> str:
    try:
        with open(os.path.join(path, ANALYSIS_FILE), encoding="ascii") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return ""  # written before the analysis was versioned


def open_index(kind: str, fresh: bool = False) -> index.Index:
    """The kind's index, created on first use (or emptied, `fresh`). IndexOutdated if the one
    on disk has other fields, or was analysed otherwise (the same text would give other
    words: folding, the dictionary)."""
    _setup()
    path = index_dir(kind)
    key = path
    if not fresh and key in _indexes:  # opened already: no look at the disk on every search
        return _indexes[key]
    with _open_lock:
        if fresh or not index.exists_in(path):
            os.makedirs(path, exist_ok=True)
            _indexes[key] = index.create_in(path, schema(kind))
            with open(os.path.join(path, ANALYSIS_FILE), "w", encoding="ascii") as fh:
                fh.write(analysis.version())
            _searchers.pop(key, None)
        elif key not in _indexes:
            opened = index.open_dir(path)
            if (
                _signature(opened.schema) != _signature(schema(kind))
                or _analysed_with(path) != analysis.version()
            ):
                opened.close()
                raise IndexOutdated(kind)
            _indexes[key] = opened
        return _indexes[key]


def outdated(kinds=None) -> list[str]:
    """The kinds whose index on disk must be rebuilt before use."""
    if _postgres():
        return _pg().outdated(kinds)
    found = []
    for kind in kinds or KINDS:
        try:
            open_index(kind)
        except IndexOutdated:
            found.append(kind)
    return found


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
        current.market_serial = next(_serials)
    return current


def version(kind: str) -> int:
    """What the kind's results are read from, as a number that changes whenever the index
    has (this process's searcher, reopened on each change; a rebuilt index's generation
    numbers start again, this does not)."""
    if _postgres():
        return _pg().version(kind)
    return searcher(kind).market_serial


def health() -> dict:
    """Each kind's index opens, with its document count (a /healthz check)."""
    if _postgres():
        return _pg().health()
    counts, outdated = {}, []
    for kind in KINDS:
        try:
            counts[kind] = searcher(kind).doc_count()
        except IndexOutdated:
            outdated.append(kind)
    if outdated:
        # Search pages say so meanwhile, until `flask search sync` (or rebuild) rebuilds them.
        raise Unhealthy(reason="outdated", outdated=outdated, documents=counts)
    return {"documents": counts}


def _view(kind: str, s) -> vector.View:
    """The searcher's documents as arrays (vector.py), made once per opened searcher."""
    key = index_dir(kind)
    view = _views.get(key)
    if view is None or view.searcher is not s:
        view = _views[key] = vector.View(s, key)
    return view


def writer(kind: str, fresh: bool = False):
    """A writer that waits for another process's writer (the index's file lock)."""
    return open_index(kind, fresh).writer(timeout=30.0)


# --- writing -------------------------------------------------------------------------------


def index_document(kind: str, doc_id: int) -> bool:
    """(Re)index one document from the database, or delete it if it no longer belongs."""
    if _postgres():
        return _pg().index_document(kind, doc_id)
    doc = documents.build(kind, [doc_id]).get(doc_id)
    with writer(kind) as w:
        return _write(w, doc_id, doc)


def delete_document(kind: str, doc_id: int) -> None:
    if _postgres():
        return _pg().delete_document(kind, doc_id)
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
    if _postgres():
        return _pg().write_many(kind, ids)
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
    done, total)` is called after each batch. Large indexes are analysed by one process per
    CPU (Whoosh's MpWriter) while this one reads the database."""
    if _postgres():
        return _pg().rebuild(kinds, progress, batch)
    counts = {}
    for kind in kinds or KINDS:
        ids = documents.all_ids(kind)
        ix = open_index(kind, fresh=True)
        procs = min(os.cpu_count() or 1, 4)
        if len(ids) >= PARALLEL_FROM and procs > 1:
            w = ix.writer(procs=procs, multisegment=True, limitmb=128)
        else:
            w = ix.writer(limitmb=128)
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
    database's), or left over in it; by kind. An outdated index is reported as such."""
    if _postgres():
        return _pg().check(kinds)
    report = {}
    stale_indexes = outdated(kinds)
    for kind in kinds or KINDS:
        if kind in stale_indexes:
            report[kind] = {"outdated": True, "missing": [], "stale": [], "extra": []}
            continue
        stored = {int(f["id"]): f.get("digest") for f in searcher(kind).all_stored_fields()}
        expected = documents.digests(kind)
        report[kind] = {
            "missing": sorted(set(expected) - set(stored)),
            "stale": sorted(i for i in expected if i in stored and stored[i] != expected[i]),
            "extra": sorted(set(stored) - set(expected)),
        }
    return report


# --- searching -----------------------------------------------------------------------------


def build_query(kind: str, text: str):
    """The same query as a Whoosh query object: an And of the groups, each the best (a
    DisjunctionMax) of its words, each word an Or over the fields; or the initials."""
    groups, alternative, _ = query_terms(kind, text)
    query = And(
        [
            DisjunctionMax(
                [
                    Or([Term(f, w, boost=b) for f, w, b in group if w == word])
                    for word in dict.fromkeys(w for _, w, _ in group)
                ]
            )
            for group in groups
        ]
    )
    if alternative:
        query = Or([query, Term(alternative[0], alternative[1], boost=alternative[2])])
    return query if groups or alternative else Every()


def _filter_mask(view, kind: str, filters: dict | None, can_bid_only: bool):
    mask = view.live().copy()
    for name, value in (filters or {}).items():
        if name in FACETS[kind] and value:
            mask &= vector.term_mask(view, "region_facet" if name == "region" else name, value)
    if can_bid_only and kind == "agencies":
        mask &= view.number("blocked_until") <= int(utcnow().timestamp())
    return mask


def _facet_counts(view, kind: str, mask) -> dict[str, list[tuple[str, int]]]:
    facets = {}
    for name in FACETS[kind]:
        counted = vector.counts(
            view, "region_facet" if name == "region" else name, mask, multi=name == "category"
        )
        facets[name] = sorted(
            ((v, n) for v, n in counted.items() if v and n), key=lambda pair: (-pair[1], pair[0])
        )
    return facets


def search(
    kind: str,
    text: str,
    filters: dict | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    can_bid_only: bool = False,
) -> SearchResults:
    """Search one kind. Relevance is blended with the credit factor for agencies, exactly over
    every match; equal blends go to the higher credit. Facets count the matching documents
    under every filter chosen."""
    if _postgres():
        return _pg().search(kind, text, filters, sort, page, per_page, can_bid_only)
    text = (text or "").strip()
    s = searcher(kind)
    view = _view(kind, s)
    groups, alternative, words = query_terms(kind, text)
    if groups or alternative:
        match, relevance = vector.evaluate(view, groups, alternative)
    else:
        match, relevance = np.ones(view.count, dtype=bool), np.zeros(view.count)
    mask = match & _filter_mask(view, kind, filters, can_bid_only)
    factor = view.number("credit_factor") if kind == "agencies" else np.ones(view.count)
    blended = blend(relevance, factor)
    sort = sort_for(sort, text)
    keys = [blended, factor] if sort == "relevance" else [view.number(SORTS[sort]), blended]
    page = max(page, 1)
    docnums = vector.ranked(mask, [*keys, view.number("number")], page * per_page)
    hits = [
        _hit(s, int(n), float(relevance[n]), float(blended[n]))
        for n in docnums[(page - 1) * per_page :]
    ]
    terms = {word for group in groups for _, word, _ in group}
    for hit in hits:
        hit.highlights = highlights(kind, hit.fields, terms)
    total = int(mask.sum())
    return SearchResults(
        hits=hits,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        facets=_facet_counts(view, kind, mask),
        suggestion=_suggest(s, kind, words) if total == 0 and words else None,
        words=words,
        changes_at=_next_unblocking(view) if kind == "agencies" else None,
    )


def _next_unblocking(view) -> datetime | None:
    """The first moment to come at which a measure on an indexed agency ends."""
    until = view.number("blocked_until")
    coming = until[until > int(utcnow().timestamp())]
    return datetime.fromtimestamp(int(coming.min()), UTC) if coming.size else None


def _hit(s, docnum: int, relevance: float, blended: float) -> Hit:
    with vector.read_lock:
        fields = s.stored_fields(docnum)
    return Hit(int(fields["id"]), relevance, blended, fields)


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
