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
statistics they update stay exact (pg_index.py: indexing, writing, rebuilding, checking;
this module: searching). See docs/search.md, "PostgreSQL backend".
"""

import heapq
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from ..core.clock import utcnow
from . import analysis
from . import query as shared
from .pg_index import (  # noqa: F401 (the interface engine.py dispatches to, with search below)
    FACET_COLUMNS,
    K1,
    KIND_CODES,
    SORT_COLUMNS,
    B,
    _cursor,
    _decode,
    _slots,
    _stats,
    check,
    delete_document,
    field_codes,
    health,
    index_document,
    index_format,
    outdated,
    rebuild,
    version,
    write_many,
)

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
    sort = shared.sort_for(sort, text)
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
