"""The PostgreSQL search backend's index (pg.py searches it): what a document is indexed
as, the kind's row (version, statistics, the writers' lock), writing, rebuilding and
checking. Nothing here commits: writes go into the caller's transaction (see pg.py and
docs/search.md, "PostgreSQL backend")."""

import json
import zlib
from collections import Counter
from datetime import datetime
from functools import lru_cache

from whoosh.util.numeric import byte_to_length, length_to_byte

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
