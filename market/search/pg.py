"""The search engine's PostgreSQL backend: the interface of engine.py (SEARCH_BACKEND =
"postgres"), for several app hosts sharing one index, in the application's own database.

The index is five tables (models.py): the documents' facets and number columns
(search_documents), the stored documents and the terms indexed from each
(search_stored), an inverted index (search_postings: a row per term and document with the
term's frequency and the field's length in each field that has it), the terms of each field
with their document and collection frequencies (search_terms), and a row per kind
(search_kinds) with the version the search page caches by, the document count and each
field's total length. The terms are exactly the Whoosh engine's: the analyzer of
analysis.py runs in Python and PostgreSQL never parses text.

A query is one SQL statement: the query's words joined to their postings (an index-only
scan each), BM25F summed over the fields of each posting, the best word of each group (a
query word and its synonyms) kept, the groups summed, every match joined to its facets and
numbers, filtered, ordered by the blend exactly, counted, and its facets counted.

Writes go into the caller's transaction (nothing here commits): each takes the kind's row
first, which raises the version and makes writers of one kind wait for each other, so the
statistics they update stay exact. See docs/search.md, "PostgreSQL backend".
"""

import heapq
import json
import math
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from whoosh.util.numeric import byte_to_length, length_to_byte

from ..core.clock import utcnow
from ..core.health import Unhealthy
from ..extensions import db
from . import analysis, documents
from . import query as shared
from .models import POSTING_SLOTS

#: raised when what is indexed per document changes (with the fields, it makes the format)
FORMAT = 2
#: Whoosh's BM25F defaults, as vector.py uses them
B, K1 = 0.75, 1.2
#: search_postings.kind
KIND_CODES = {"agencies": 1, "notices": 2, "items": 3}
#: each kind's field numbers start here (search_terms.field)
FIELD_BASES = {"agencies": 100, "notices": 200, "items": 300}


def field_codes(kind: str) -> dict[str, int]:
    """Each indexed field of the kind, numbered (search_terms.field; its slot in
    search_postings, tf1/len1 …, is the number less the kind's base): the weighted text
    fields of shared.FIELDS in their order, then the pinyin initials. Other fields renumber
    them: the kind's format changes with them, and the kind must be rebuilt."""
    names = [*shared.FIELDS[kind], "initials"]
    if len(names) > POSTING_SLOTS:
        raise RuntimeError(f"{kind}: {len(names)} fields, search_postings has {POSTING_SLOTS}")
    return {name: FIELD_BASES[kind] + n for n, name in enumerate(names, 1)}


def _slots(kind: str) -> dict[str, int]:
    """Each indexed field's slot in search_postings (1 … POSTING_SLOTS)."""
    return {name: code - FIELD_BASES[kind] for name, code in field_codes(kind).items()}


def index_format(kind: str) -> int:
    """A number for what a document of the kind is indexed as: FORMAT, the fields and the
    analysis (its code and data files: the same text would give other terms)."""
    signature = json.dumps([FORMAT, list(field_codes(kind).items()), analysis.version()])
    return zlib.crc32(signature.encode()) & 0x7FFFFFFF


#: the documents' moments, kept in the stored JSON as ISO strings
MOMENTS = ("created",)
#: facet name → its column in search_documents
FACET_COLUMNS = {"category": "categories", "region": "region", "grade": "grade", "state": "state"}
#: sort → its column (shared.SORTS)
SORT_COLUMNS = {"credit": "score", "rating": "rating", "newest": "created"}
#: a smallint holds field lengths and term frequencies
SMALL = 32767


# --- the connection ------------------------------------------------------------------------


def _connection():
    """The psycopg connection of the session's transaction; a RuntimeError if the database
    is not PostgreSQL."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        raise RuntimeError(
            'SEARCH_BACKEND = "postgres" needs a PostgreSQL database, but the database is '
            f"{connection.dialect.name} (set MARKET_SEARCH_BACKEND=whoosh, or move the "
            "database to PostgreSQL)"
        )
    return connection.connection.driver_connection


def _cursor():
    return _connection().cursor()


def _kinds(kinds) -> list[str]:
    return list(kinds or shared.KINDS)


# --- analysis: the terms a document is indexed under -----------------------------------------


def field_terms(name: str, text: str) -> Counter:
    """The terms of one field's text with their frequencies, as the Whoosh index has them:
    the Chinese analyzer for text fields, whitespace-separated lowercased keywords for the
    initials."""
    if not text:
        return Counter()
    if name == "initials":
        return Counter(text.lower().split())
    return Counter(_analysed(text))


@lru_cache(maxsize=100_000)
def _analysed(text: str) -> tuple[str, ...]:
    """The analyzer's terms of a text (item names, regions and qualifications recur in
    thousands of documents: each is analysed once per process)."""
    return tuple(t.text for t in analysis.chinese_analyzer()(text))


def document_terms(kind: str, doc: dict) -> dict[str, dict[str, int]]:
    """field → {term: frequency} for every indexed field of the document."""
    out = {}
    for name in field_codes(kind):
        counted = field_terms(name, str(doc.get(name) or ""))
        if counted:
            out[name] = dict(counted)
    return out


POSTING_COLUMNS = ", ".join(
    [
        "kind",
        "term",
        "doc_id",
        *(f"tf{n}" for n in range(1, POSTING_SLOTS + 1)),
        *(f"len{n}" for n in range(1, POSTING_SLOTS + 1)),
    ]
)


def _postings(kind: str, doc_id: int, terms: dict) -> set[tuple]:
    """The search_postings rows of one document: (kind code, term, doc id, tf1 … tf8,
    len1 … len8), a row per term with its frequency and the field's length in each field
    that has it (None in the others)."""
    slots, code = _slots(kind), KIND_CODES[kind]
    by_term = {}
    for name, counted in terms.items():
        slot = slots[name] - 1
        length = min(stored_length(sum(counted.values())), SMALL)
        for term, tf in counted.items():
            row = by_term.get(term)
            if row is None:
                row = by_term[term] = [None] * (2 * POSTING_SLOTS)
            row[slot] = min(tf, SMALL)
            row[POSTING_SLOTS + slot] = length
    return {(code, term, doc_id, *row) for term, row in by_term.items()}


@lru_cache(maxsize=4096)
def stored_length(length: int) -> int:
    """A field's length as Whoosh keeps it, in one byte (exact up to 10 words, then in
    steps: 11 → 12, 37 → 38), so that both backends score alike. The average lengths are
    exact, as Whoosh's are."""
    return byte_to_length(length_to_byte(length))


def _encode(doc: dict) -> str:
    def default(value):
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} in a search document")

    return json.dumps(doc, ensure_ascii=False, default=default)


def _decode(doc: dict) -> dict:
    """The stored document as documents.build gave it (its moments as datetimes again)."""
    for key in MOMENTS:
        if isinstance(doc.get(key), str):
            doc[key] = datetime.fromisoformat(doc[key])
    return doc


def _document_row(kind: str, doc_id: int, doc: dict) -> tuple:
    categories = [c.strip() for c in str(doc.get("category") or "").split(",") if c.strip()]
    return (
        kind,
        doc_id,
        doc.get("region_facet") or "",
        doc.get("grade") or "",
        doc.get("state") or "",
        categories,
        int(doc.get("score") or 0),
        float(doc.get("credit_factor", 1.0) if kind == "agencies" else 1.0),
        float(doc.get("rating") or 0.0),
        int(doc.get("blocked_until") or 0),
        doc.get("created"),
        doc["digest"],
    )


DOCUMENT_COLUMNS = (
    "kind, doc_id, region, grade, state, categories, score, credit_factor, rating, "
    "blocked_until, created, digest"
)


def _copy(cursor, table: str, columns: str, rows) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- the kind's row: version, statistics, the writers' lock ----------------------------------


def _take(cursor, kind: str, rebuilding: bool = False):
    """Raise the kind's version and hold its row until the transaction ends (writers of a
    kind go one at a time); returns (documents, lengths). shared.IndexOutdated if the kind
    was indexed in another format (unless it is being rebuilt)."""
    cursor.execute(
        "INSERT INTO search_kinds AS k (kind, version, documents, lengths, format) "
        "VALUES (%s, 1, 0, '{}', %s) ON CONFLICT (kind) DO UPDATE "
        "SET version = k.version + 1, "
        # an empty kind takes this version's format (a rebuild sets it otherwise)
        "format = CASE WHEN k.documents = 0 THEN excluded.format ELSE k.format END "
        "RETURNING documents, lengths, format",
        (kind, index_format(kind)),
    )
    documents_count, lengths, stored_format = cursor.fetchone()
    if not rebuilding and documents_count and stored_format != index_format(kind):
        raise shared.IndexOutdated(kind)
    return documents_count, dict(lengths or {})


def _stats(cursor, kind: str):
    """(version, documents, lengths, format) of the kind, zeros if never written."""
    cursor.execute(
        "SELECT version, documents, lengths, format FROM search_kinds WHERE kind = %s", (kind,)
    )
    row = cursor.fetchone()
    return row if row else (0, 0, {}, index_format(kind))


def outdated(kinds=None) -> list[str]:
    """The kinds indexed in another format than this version's (a rebuild is due)."""
    cursor = _cursor()
    found = []
    for kind in _kinds(kinds):
        _, count, _, stored_format = _stats(cursor, kind)
        if count and stored_format != index_format(kind):
            found.append(kind)
    return found


def version(kind: str) -> int:
    """The kind's version: a new number after every write of the kind's documents (the
    search page keeps public result pages per version). It only grows: a rebuild raises it
    too."""
    return int(_stats(_cursor(), kind)[0])


def health() -> dict:
    """Each kind's document count (a /healthz check); Unhealthy if a kind is outdated."""
    cursor = _cursor()
    counts = {kind: int(_stats(cursor, kind)[1]) for kind in shared.KINDS}
    stale = outdated()
    if stale:
        raise Unhealthy(reason="outdated", outdated=stale, documents={k: counts[k] for k in counts})
    return {"documents": counts}


# --- writing -------------------------------------------------------------------------------


def _replace(kind: str, docs: dict[int, dict], ids) -> None:
    """Put these documents in place of what the index holds for `ids` (an id without a
    document is taken out). Only the postings that differ are deleted and inserted."""
    cursor = _cursor()
    count, lengths = _take(cursor, kind)
    ids = sorted(set(ids))
    cursor.execute(
        "SELECT doc_id, terms FROM search_stored WHERE kind = %s AND doc_id = ANY(%s)",
        (kind, ids),
    )
    old_terms = dict(cursor.fetchall())
    new_terms = {doc_id: document_terms(kind, doc) for doc_id, doc in docs.items()}
    old_rows, new_rows = set(), set()
    for doc_id, terms in old_terms.items():
        old_rows |= _postings(kind, doc_id, terms)
    for doc_id, terms in new_terms.items():
        new_rows |= _postings(kind, doc_id, terms)
    gone, added = old_rows - new_rows, new_rows - old_rows
    if gone:
        cursor.execute(
            "DELETE FROM search_postings p USING unnest(%s::int2[], %s::text[], %s::int4[]) "
            "AS x(kind, term, doc_id) "
            "WHERE p.kind = x.kind AND p.term = x.term AND p.doc_id = x.doc_id",
            ([r[0] for r in gone], [r[1] for r in gone], [r[2] for r in gone]),
        )
    if added:
        _copy(cursor, "search_postings", POSTING_COLUMNS, sorted(added, key=_key))
    # The terms' frequencies and the fields' total lengths, by difference.
    df, cf = Counter(), Counter()
    codes = field_codes(kind)
    for sign, by_doc in ((-1, old_terms), (1, new_terms)):
        for terms in by_doc.values():
            for name, counted in terms.items():
                code = codes[name]
                lengths[name] = lengths.get(name, 0) + sign * sum(counted.values())
                for term, tf in counted.items():
                    df[code, term] += sign
                    cf[code, term] += sign * tf
    changed = [key for key in df if df[key] or cf[key]]
    if changed:
        cursor.execute(
            "INSERT INTO search_terms AS s (field, term, df, cf) "
            "SELECT * FROM unnest(%s::int2[], %s::text[], %s::int4[], %s::int4[]) "
            "ON CONFLICT (field, term) DO UPDATE "
            "SET df = s.df + excluded.df, cf = s.cf + excluded.cf",
            (
                [c for c, _ in changed],
                [t for _, t in changed],
                [df[k] for k in changed],
                [cf[k] for k in changed],
            ),
        )
        cursor.execute(
            "DELETE FROM search_terms WHERE df <= 0 AND (field, term) IN "
            "(SELECT * FROM unnest(%s::int2[], %s::text[]))",
            ([c for c, _ in changed], [t for _, t in changed]),
        )
    cursor.execute("DELETE FROM search_documents WHERE kind = %s AND doc_id = ANY(%s)", (kind, ids))
    cursor.execute("DELETE FROM search_stored WHERE kind = %s AND doc_id = ANY(%s)", (kind, ids))
    _insert_documents(cursor, kind, docs, new_terms)
    cursor.execute(
        "UPDATE search_kinds SET documents = %s, lengths = %s WHERE kind = %s",
        (count - len(old_terms) + len(docs), json.dumps(lengths), kind),
    )


def _key(row: tuple) -> tuple:
    return row[:3]


def _insert_documents(cursor, kind: str, docs: dict, terms: dict) -> None:
    _copy(
        cursor,
        "search_documents",
        DOCUMENT_COLUMNS,
        (_document_row(kind, doc_id, doc) for doc_id, doc in sorted(docs.items())),
    )
    _copy(
        cursor,
        "search_stored",
        "kind, doc_id, document, terms",
        (
            (kind, doc_id, _encode(doc), json.dumps(terms[doc_id], ensure_ascii=False))
            for doc_id, doc in sorted(docs.items())
        ),
    )


def index_document(kind: str, doc_id: int) -> bool:
    """(Re)index one document from the database, or take it out if it no longer belongs."""
    docs = documents.build(kind, [doc_id])
    _replace(kind, docs, [doc_id])
    return doc_id in docs


def delete_document(kind: str, doc_id: int) -> None:
    _replace(kind, {}, [doc_id])


def write_many(kind: str, ids) -> int:
    """Index these documents in the caller's transaction (the sync's batch). Returns how
    many ids were written or taken out."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    _replace(kind, documents.build(kind, ids), ids)
    return len(ids)


def rebuild(kinds=None, progress=None, batch: int = 2000) -> dict[str, int]:
    """Empty each kind and index every document again from the database, in batches
    (`progress(kind, done, total)` after each). All in the caller's transaction, which
    `flask search rebuild` commits at the end: until then searches read the index as it was.
    The kind's statistics (document frequencies, lengths) are counted as it goes and written
    once, then ANALYZE refreshes the planner's statistics."""
    cursor = _cursor()
    counts = {}
    for kind in _kinds(kinds):
        _take(cursor, kind, rebuilding=True)
        codes = field_codes(kind)
        cursor.execute("DELETE FROM search_postings WHERE kind = %s", (KIND_CODES[kind],))
        cursor.execute("DELETE FROM search_terms WHERE field = ANY(%s)", (list(codes.values()),))
        cursor.execute("DELETE FROM search_documents WHERE kind = %s", (kind,))
        cursor.execute("DELETE FROM search_stored WHERE kind = %s", (kind,))
        ids = documents.all_ids(kind)
        df, cf, lengths = Counter(), Counter(), Counter()
        written = 0
        for start in range(0, len(ids), batch):
            docs = documents.build(kind, ids[start : start + batch])
            terms = {doc_id: document_terms(kind, doc) for doc_id, doc in docs.items()}
            rows = []
            for doc_id, by_field in terms.items():
                rows.extend(_postings(kind, doc_id, by_field))
                for name, counted in by_field.items():
                    code = codes[name]
                    lengths[name] += sum(counted.values())
                    for term, tf in counted.items():
                        df[code, term] += 1
                        cf[code, term] += tf
            rows.sort(key=_key)
            _copy(cursor, "search_postings", POSTING_COLUMNS, rows)
            _insert_documents(cursor, kind, docs, terms)
            written += len(docs)
            if progress:
                progress(kind, min(start + batch, len(ids)), len(ids))
        _copy(
            cursor,
            "search_terms",
            "field, term, df, cf",
            ((code, term, n, cf[code, term]) for (code, term), n in sorted(df.items())),
        )
        cursor.execute(
            "UPDATE search_kinds SET documents = %s, lengths = %s, format = %s WHERE kind = %s",
            (written, json.dumps(dict(lengths)), index_format(kind), kind),
        )
        counts[kind] = len(ids)
    for table in ("search_postings", "search_terms", "search_documents", "search_stored"):
        cursor.execute(f"ANALYZE {table}")
    return counts


def check(kinds=None) -> dict[str, dict[str, list[int]]]:
    """Documents missing from the index, stale in it (its digest differs from the
    database's), or left over in it; by kind. An outdated kind is reported as such."""
    cursor = _cursor()
    report = {}
    stale_kinds = outdated(kinds)
    for kind in _kinds(kinds):
        if kind in stale_kinds:
            report[kind] = {"outdated": True, "missing": [], "stale": [], "extra": []}
            continue
        cursor.execute("SELECT doc_id, digest FROM search_documents WHERE kind = %s", (kind,))
        stored = dict(cursor.fetchall())
        expected = documents.digests(kind)
        report[kind] = {
            "missing": sorted(set(expected) - set(stored)),
            "stale": sorted(i for i in expected if i in stored and stored[i] != expected[i]),
            "extra": sorted(set(stored) - set(expected)),
        }
    return report


# --- searching -----------------------------------------------------------------------------

#: from this share of the kind's documents matched (estimated), the documents are joined by
#: hashing one scan of them rather than looked up one by one
HASH_FROM = 0.1


@dataclass
class Query:
    """A query's words, numbered: each distinct word of each group, and the alternative.
    For each word and field slot: wi = weight × idf × (K1 + 1) (0 where the word is not
    searched in the field) and lb = K1 × B / the field's average length, so that a
    posting's BM25F in the field, weight × idf × tf × (K1 + 1) / (tf + K1 × (1 − B + B ×
    length / average length)), is wi × tf / (tf + K1 × (1 − B) + lb × length)."""

    words: list[tuple]  # (group, word, {slot: (wi, lb)}); the alternative's group is -1
    groups: list[list[int]]  # each group's word numbers
    alternative: int | None  # the alternative's word number
    estimate: int  # at most this many documents match


def _query(cursor, kind: str, groups, alternative, count: int, lengths: dict) -> Query:
    """The words with their statistics (df from search_terms: idf = ln(N / (df + 1)) + 1,
    N the kind's documents)."""
    codes, slots = field_codes(kind), _slots(kind)
    terms = [(g, term) for g, group in enumerate(groups) for term in group]
    if alternative:
        terms.append((-1, alternative))
    keys = list(dict.fromkeys((codes[name], word) for _, (name, word, _) in terms))
    cursor.execute(
        "SELECT s.field, s.term, s.df FROM search_terms s "
        "JOIN unnest(%s::int2[], %s::text[]) AS q(field, term) "
        "ON s.field = q.field AND s.term = q.term",
        ([f for f, _ in keys], [w for _, w in keys]),
    )
    df = {(field, term): n for field, term, n in cursor.fetchall()}
    shared = _group_frequencies(cursor, kind, groups, df)
    numbers, weights = {}, {}
    word_groups = [[] for _ in groups]
    for g, (name, word, boost) in terms:
        number = numbers.get((g, word))
        if number is None:
            number = numbers[g, word] = len(numbers)
            weights[number] = (word, {})
            if g >= 0:
                word_groups[g].append(number)
        if not df.get((codes[name], word)) or slots[name] in weights[number][1]:
            continue  # no document has the term in this field: it adds nothing
        # a group's words share its idf; the alternative has its own
        frequency = shared[g, name] if g >= 0 else df[codes[name], word]
        idf = math.log(max(count, 1) / (frequency + 1)) + 1
        average = (lengths.get(name, 0) / count if count else 0) or 1
        weights[number][1][slots[name]] = (boost * idf * (K1 + 1), K1 * B / average)
    group_of = {n: g for (g, _), n in numbers.items()}
    words = [(group_of[n], word, by_slot) for n, (word, by_slot) in weights.items() if by_slot]
    group_df = [sum(df.get((codes[f], w), 0) for f, w, _ in group) for group in groups]
    estimate = min([count, *group_df]) if groups else 0
    if alternative:
        estimate += df.get((codes[alternative[0]], alternative[1]), 0)
    return Query(
        words,
        word_groups,
        numbers.get((-1, alternative[1])) if alternative else None,
        min(estimate, count),
    )


def _group_frequencies(cursor, kind: str, groups, df: dict) -> dict[tuple[int, str], int]:
    """(group, field) → in how many documents the field holds any word of the group: the
    group's df, which its words share (docs/search.md, "Ranking"). One word's is its df; where
    several words of a group are in a field, their documents are counted once (one pass over
    their postings)."""
    codes, slots = field_codes(kind), _slots(kind)
    out, unions = {}, {}
    for g, group in enumerate(groups):
        by_field = {}
        for name, word, _ in group:
            by_field.setdefault(name, [])
            if df.get((codes[name], word)) and word not in by_field[name]:
                by_field[name].append(word)
        for name, present in by_field.items():
            if len(present) > 1:
                unions.setdefault(g, {})[name] = present
            else:
                out[g, name] = df[codes[name], present[0]] if present else 0
    for g, fields in unions.items():
        words = sorted({w for present in fields.values() for w in present})
        counts = ", ".join(
            f"count(DISTINCT doc_id) FILTER (WHERE tf{slots[name]} IS NOT NULL"
            f" AND term = ANY(%(w_{slots[name]})s))"
            for name in fields
        )
        cursor.execute(
            f"SELECT {counts} FROM search_postings WHERE kind = %(kind)s AND term = ANY(%(words)s)",
            {
                "kind": KIND_CODES[kind],
                "words": words,
                **{f"w_{slots[name]}": present for name, present in fields.items()},
            },
        )
        for name, n in zip(fields, cursor.fetchone(), strict=True):
            out[g, name] = n
    return out


def _query_params(kind: str, query: Query) -> dict:
    """The words as parallel arrays: group, word, and wi and lb for each slot used."""
    used = sorted({slot for _, _, by_slot in query.words for slot in by_slot})
    params = {
        "kind_code": KIND_CODES[kind],
        "grp": [g for g, _, _ in query.words],
        "word": [w for _, w, _ in query.words],
    }
    for slot in used:
        params[f"w{slot}"] = [by_slot.get(slot, (0.0, 0.0))[0] for _, _, by_slot in query.words]
        params[f"l{slot}"] = [by_slot.get(slot, (0.0, 0.0))[1] for _, _, by_slot in query.words]
    return params


def _matches_sql(query: Query) -> str:
    """The matching documents with their relevance. A word's posting row gives its BM25F
    summed over the fields searched (a row per document and word); then per document,
    each group's best word, the groups summed if every group has a word (And), the
    alternative (group -1) added (Or)."""
    used = sorted({slot for _, _, by_slot in query.words for slot in by_slot})

    def best(group):
        return f"max(s) FILTER (WHERE grp = {group})"

    indexed = Counter(g for g, _, _ in query.words)  # each group's words some document has
    groups = [g for g in range(len(query.groups)) if indexed[g]]
    arrays = "".join(f", %(w{n})s::float8[], %(l{n})s::float8[]" for n in used)
    names = "".join(f", w{n}, l{n}" for n in used)
    score = " + ".join(
        f"coalesce(q.w{n} * p.tf{n} / (p.tf{n} + {K1 * (1 - B)!r}::float8"
        f" + q.l{n} * greatest(p.len{n}, 1)), 0)"
        for n in used
    )
    columns = "".join(f", tf{n}, len{n}" for n in used)
    if len(groups) < len(query.groups):  # a group none of whose words is indexed
        matched = "SELECT doc_id, max(s) AS relevance FROM words WHERE grp = -1 GROUP BY doc_id"
    elif not indexed[-1] and all(indexed[g] == 1 for g in groups):
        # each document has a row per word it has: a word per group, so a row per group
        matched = (
            "SELECT doc_id, sum(s) AS relevance FROM words GROUP BY doc_id "
            f"HAVING count(*) = {len(groups)}"
        )
    else:
        every = " AND ".join(f"{best(g)} IS NOT NULL" for g in groups) or "false"
        total = " + ".join(best(g) for g in groups) or "0"
        matched = (
            f"SELECT doc_id, CASE WHEN {every} THEN {total} ELSE 0 END"
            f" + coalesce({best(-1)}, 0) AS relevance FROM words GROUP BY doc_id"
            f" HAVING ({every}) OR {best(-1)} IS NOT NULL"
        )
    # (OFFSET 0: the scores are worked out once per posting, not once per aggregate)
    return f"""
q AS (
    SELECT * FROM unnest(%(grp)s::int4[], %(word)s::text[]{arrays})
         AS q(grp, word{names})
),
words AS (
    SELECT * FROM (
        SELECT p.doc_id, q.grp, {score or "0::float8"} AS s
        FROM q CROSS JOIN LATERAL (
            SELECT doc_id{columns} FROM search_postings
            WHERE kind = %(kind_code)s AND term = q.word
        ) p
        OFFSET 0
    ) scored
    WHERE s > 0
),
matched AS ({matched})"""


def _filters(kind: str, filters: dict | None, can_bid_only: bool, params: dict) -> str:
    sql = []
    for name, value in (filters or {}).items():
        if name in shared.FACETS[kind] and value:
            params[f"f_{name}"] = value
            if name == "category":
                sql.append(f"d.categories @> ARRAY[%(f_{name})s]::text[]")
            else:
                sql.append(f"d.{FACET_COLUMNS[name]} = %(f_{name})s")
    if can_bid_only and kind == "agencies":
        params["now"] = int(utcnow().timestamp())
        sql.append("d.blocked_until <= %(now)s")
    return "".join(f" AND {s}" for s in sql)


def search(
    kind: str,
    text: str,
    filters: dict | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    can_bid_only: bool = False,
) -> shared.SearchResults:
    """Search one kind, as engine.search does: relevance blended with the credit factor
    for agencies, exactly over every match; facets counted under the filters. One
    statement gives the page, the total and every facet's counts."""
    cursor = _cursor()
    text = (text or "").strip()
    groups, alternative, words = shared.query_terms(kind, text)
    _, count, lengths, stored_format = _stats(cursor, kind)
    if count and stored_format != index_format(kind):
        raise shared.IndexOutdated(kind)
    sort = sort if sort in shared.SORTS else "relevance"
    if sort == "relevance" and not text:
        sort = "newest"
    facet_columns = [FACET_COLUMNS[name] for name in shared.FACETS[kind]]
    keep = ["doc_id", "credit_factor", *facet_columns]
    if sort != "relevance":
        keep.append(SORT_COLUMNS[sort])
    columns = ", ".join(f"d.{c}" for c in keep)
    params = {"kind": kind}
    where = _filters(kind, filters, can_bid_only, params)
    if groups or alternative:
        query = _query(cursor, kind, groups, alternative, count, lengths)
        params.update(_query_params(kind, query))
        if query.estimate > HASH_FROM * count:  # one scan of the documents, hashed
            documents = (
                "(SELECT * FROM search_documents d "
                f"WHERE d.kind = %(kind)s{where} OFFSET 0) d ON d.doc_id = m.doc_id"
            )
        else:  # each match looked up by its key
            documents = f"search_documents d ON d.kind = %(kind)s AND d.doc_id = m.doc_id{where}"
        hits = (
            f"WITH {_matches_sql(query)}, hits AS (SELECT {columns}, m.relevance, "
            f"m.relevance * d.credit_factor AS blended FROM matched m JOIN {documents})"
        )
    else:
        hits = (
            f"WITH hits AS (SELECT {columns}, 0::float8 AS relevance, 0::float8 AS blended "
            f"FROM search_documents d WHERE d.kind = %(kind)s{where})"
        )
    if sort == "relevance":
        order = "blended DESC, credit_factor DESC, doc_id"
    else:
        order = f"{SORT_COLUMNS[sort]} DESC NULLS LAST, blended DESC, doc_id"
    page = max(page, 1)
    params.update(limit=per_page, offset=(page - 1) * per_page)
    nulls = ", ".join(f"NULL::{'text[]' if c == 'categories' else 'text'}" for c in facet_columns)
    sets = ", ".join(f"({c})" for c in facet_columns)
    cursor.execute("SELECT current_setting('work_mem'), set_config('work_mem', '64MB', true)")
    work_mem = cursor.fetchone()[0]
    cursor.execute(
        f"{hits} (SELECT -1, doc_id, relevance, credit_factor, {nulls}, 0::int8 FROM hits "
        f"ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) UNION ALL "
        f"SELECT grouping({', '.join(facet_columns)}), NULL, NULL, NULL, "
        f"{', '.join(facet_columns)}, count(*) FROM hits GROUP BY GROUPING SETS ({sets}, ())",
        params,
    )
    rows = cursor.fetchall()
    cursor.execute("SELECT set_config('work_mem', %s, true)", (work_mem,))
    ranked, total, facets = [], 0, {name: Counter() for name in shared.FACETS[kind]}
    everything = (1 << len(facet_columns)) - 1  # grouping(): a bit for each column left out
    for part, doc_id, relevance, factor, *values, n in rows:
        if part == -1:
            ranked.append((doc_id, relevance, factor))
        elif part == everything:
            total = int(n)
        else:
            at = len(facet_columns) - (everything ^ part).bit_length()  # the column grouped
            name, value = shared.FACETS[kind][at], values[at]
            for label in value if name == "category" else [value]:
                if label:
                    facets[name][label] += int(n)
    stored = _stored(cursor, kind, [doc_id for doc_id, _, _ in ranked])
    terms = {word for group in groups for _, word, _ in group}
    hits_out = []
    for doc_id, relevance, factor in ranked:
        relevance = float(relevance)
        blended = shared.blend(relevance, float(factor)) if kind == "agencies" else relevance
        fields = stored[doc_id]
        hit = shared.Hit(int(fields["id"]), relevance, blended, fields)
        hit.highlights = shared.highlights(kind, fields, terms)
        hits_out.append(hit)
    return shared.SearchResults(
        hits=hits_out,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        facets={
            name: sorted(((v, n) for v, n in counted.items() if n), key=lambda p: (-p[1], p[0]))
            for name, counted in facets.items()
        },
        suggestion=_suggest(cursor, kind, words) if total == 0 and words else None,
        words=words,
        changes_at=_next_unblocking(cursor) if kind == "agencies" else None,
    )


def _stored(cursor, kind: str, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    cursor.execute(
        "SELECT doc_id, document FROM search_stored WHERE kind = %s AND doc_id = ANY(%s)",
        (kind, ids),
    )
    return {doc_id: _decode(doc) for doc_id, doc in cursor.fetchall()}


def _next_unblocking(cursor) -> datetime | None:
    """The first moment to come at which a measure on an indexed agency ends."""
    cursor.execute(
        "SELECT min(blocked_until) FROM search_documents "
        "WHERE kind = 'agencies' AND blocked_until > %s",
        (int(utcnow().timestamp()),),
    )
    (until,) = cursor.fetchone()
    return datetime.fromtimestamp(int(until), UTC) if until else None


# --- did you mean --------------------------------------------------------------------------


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), or limit + 1 beyond."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _like(ch: str) -> str:
    return "%" + ch.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _suggestions(cursor, code: int, word: str, maxdist: int, limit: int = 10) -> list[str]:
    """As Whoosh's `Searcher.suggest(field, word, limit, maxdist)`: the terms within
    `maxdist` edits, the `limit` most frequent (then by term), most frequent first."""
    sql = (
        "SELECT term, cf FROM search_terms WHERE field = %s AND df > 0 "
        "AND char_length(term) BETWEEN %s AND %s AND term <> %s"
    )
    args = [code, max(1, len(word) - maxdist), len(word) + maxdist, word]
    if len(word) > maxdist:  # within reach, a term shares a character with the word
        sql += " AND term LIKE ANY(%s)"
        args.append([_like(ch) for ch in set(word)])
    cursor.execute(sql, args)
    heap = []
    for term, frequency in cursor.fetchall():
        if _distance(word, term, maxdist) <= maxdist:
            item = (0 - (maxdist + (1.0 / (frequency or 1) * 0.5)), term)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
    return [term for _, term in sorted(heap, key=lambda item: (0 - item[0], item[1]))]


def _suggest(cursor, kind: str, words: list[str]) -> str | None:
    """'Did you mean' as engine._suggest: each word unknown to the main two fields replaced
    by its closest indexed term there that shares a character with it."""
    codes = [field_codes(kind)[name] for name in list(shared.FIELDS[kind])[:2]]
    cursor.execute(
        "SELECT DISTINCT term FROM search_terms WHERE field = ANY(%s) AND term = ANY(%s) "
        "AND df > 0",
        (codes, words),
    )
    indexed = {term for (term,) in cursor.fetchall()}
    changed, out = False, []
    for word in words:
        if word in indexed or word in analysis.synonyms():
            out.append(word)
            continue
        maxdist = 1 if len(word) <= 3 else 2
        options = [
            o
            for code in codes
            for o in _suggestions(cursor, code, word, maxdist)
            if set(o) & set(word)
        ]
        if options:
            out.append(options[0])
            changed = True
        else:
            out.append(word)
    return "".join(out) if changed else None
