"""Query evaluation over the Whoosh index's own postings and columns, as numpy arrays.

Whoosh's collectors score, filter and count one matching document at a time in Python, which
costs tens of microseconds per match: a common word (环评) matches a third of the agencies.
Here each term's posting list (document numbers and term frequencies) and each column
(numbers, field lengths, facet values) is read once per index segment into arrays, kept
until the segment goes away (its documents never change; deletions are read per searcher),
and a query becomes a few vectorised operations over every document: BM25F exactly as
Whoosh scores it, the And/Or matching, the filters, exact facet counts and an exact ordering.
Only the page's hits are then read as stored documents.
"""

import math
import threading

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.fields import DATETIME, NUMERIC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

#: Whoosh's BM25F defaults (whoosh.scoring.BM25F)
B, K1 = 0.75, 1.2
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float32))
#: postings kept per searcher, and per segment, before its cache starts over (bounds memory)
MAX_CACHED_POSTINGS = 20_000_000


def _raw_postings(reader, field: str, word: str):
    """Document numbers and term frequencies of one term in one segment, deletions included
    (the searcher's live mask removes them)."""
    try:
        matcher = reader.postings(field, word)
    except TermNotFound:
        return _EMPTY
    if isinstance(matcher, FilterMatcher):  # the segment's deletions: masked later instead
        matcher = matcher.child
    ids, weights = [], []
    if isinstance(matcher, W3LeafMatcher):
        # A block at a time (up to 128 postings) rather than a posting at a time.
        while True:
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            if matcher._lastblock:
                break
            matcher._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)


def _raw_column(creader, count: int) -> np.ndarray:
    """A fixed-width numeric column as an array of its stored (sortable) integers."""
    try:
        width, typecode = creader._fixedlen, creader._typecode
        data = creader._dbfile.get(creader._basepos, creader._count * width)
        values = np.frombuffer(data, dtype=np.dtype(">" + typecode)).astype(np.uint64)
        default = creader._unpack(creader._defaultbytes)[0]
    except AttributeError:  # another column layout: the slow, public way
        return np.fromiter((creader[i] for i in range(count)), dtype=np.uint64, count=count)
    if len(values) < count:
        values = np.concatenate([values, np.full(count - len(values), default, np.uint64)])
    return values[:count]


def _decode(fieldobj, raw: np.ndarray) -> np.ndarray:
    """Whoosh's sortable column integers back to numbers (whoosh.util.numeric.to_sortable)."""
    if isinstance(fieldobj, DATETIME) or (fieldobj.numtype is int and not fieldobj.signed):
        return raw.astype(np.int64)  # (datetimes: microseconds, only ever compared)
    if fieldobj.numtype is int:
        return (raw - np.uint64(1 << (fieldobj.bits - 1))).view(np.int64)
    bits = raw
    if fieldobj.signed:
        bits = bits - np.uint64(1 << 63)
    signed = bits.view(np.int64)
    signed = np.where(signed < 0, signed ^ np.int64(0x7FFFFFFFFFFFFFFF), signed)
    return signed.view(np.float64)


class Segment:
    """One segment's arrays, read on first use; a segment's documents never change."""

    def __init__(self, count: int):
        self.count = count
        self.arrays: dict = {}
        self.postings_held = 0

    def get(self, key, load):
        value = self.arrays.get(key)
        if value is None:
            with read_lock:  # a reader's files seek then read: one thread at a time
                value = self.arrays.get(key)
                if value is None:
                    value = load()
                    if key[0] == "postings":
                        self._hold(len(value[0]))
                    self.arrays[key] = value
        return value

    def _hold(self, count: int) -> None:
        """Start the postings over when too many are held (rarely searched words pile up)."""
        self.postings_held += count
        if self.postings_held > MAX_CACHED_POSTINGS:
            self.arrays = {k: v for k, v in self.arrays.items() if k[0] != "postings"}
            self.postings_held = count


_segments: dict[tuple, Segment] = {}
_lock = threading.Lock()
#: held while reading the index's files (postings, columns, stored documents)
read_lock = threading.RLock()


class View:
    """The searcher's documents as arrays over its document numbers (segments back to back)."""

    def __init__(self, searcher, path: str):
        self.searcher = searcher
        self.count = searcher.doc_count_all()
        self.leaves = []
        with _lock:
            current = set()
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                if reader.segment() is None:  # an empty index
                    continue
                key = (path, reader.segment().segment_id())
                segment = _segments.get(key) or Segment(reader.doc_count_all())
                _segments[key] = segment
                current.add(key)
                self.leaves.append((segment, reader, offset))
            for key in [k for k in _segments if k[0] == path and k not in current]:
                del _segments[key]
        self._cache: dict = {}
        self._cached_postings = 0

    def _joined(self, key, load_one):
        """The per-segment arrays `load_one(reader, count)`, end to end, cached."""
        value = self._cache.get(key)
        if value is None:
            parts = [
                segment.get(key, lambda r=reader, n=segment.count: load_one(r, n))
                for segment, reader, _ in self.leaves
            ]
            value = self._cache[key] = np.concatenate(parts) if parts else np.zeros(0)
        return value

    def live(self) -> np.ndarray:
        """False for deleted documents (read per searcher: deletions change in place)."""
        value = self._cache.get("live")
        if value is None:
            value = np.ones(self.count, dtype=bool)
            for _, reader, offset in self.leaves:
                if reader.has_deletions():
                    deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                    value[deleted + offset] = False
            self._cache["live"] = value
        return value

    def number(self, field: str) -> np.ndarray:
        """A sortable NUMERIC or DATETIME field's values."""
        fieldobj = self.searcher.schema[field]
        assert isinstance(fieldobj, NUMERIC) and fieldobj.column_type, field

        def load(reader, count):
            creader = reader.column_reader(field, translate=False)
            return _decode(fieldobj, _raw_column(creader, count))

        return self._joined(("number", field), load)

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in the field, as Whoosh stores it (one byte, approximate)."""

        def load(reader, count):
            perdoc, name = reader._perdoc, _lenfield(field)
            if not perdoc.has_column(name):
                return np.zeros(count, np.float32)
            return _LENGTHS[_raw_column(perdoc.column_reader(name, LENGTHS_COLUMN), count)]

        return self._joined(("lengths", field), load)

    def postings(self, field: str, word: str):
        """(document numbers, term frequencies) of a term over the whole searcher."""
        key = ("postings", field, word)
        value = self._cache.get(key)
        if value is None:
            ids, weights = [], []
            for segment, reader, offset in self.leaves:
                seg_ids, seg_weights = segment.get(
                    key, lambda r=reader: _raw_postings(r, field, word)
                )
                ids.append(seg_ids + offset)
                weights.append(seg_weights)
            value = (np.concatenate(ids), np.concatenate(weights)) if ids else _EMPTY
            self._cached_postings += len(value[0])
            if self._cached_postings > MAX_CACHED_POSTINGS:
                self._cache = {k: v for k, v in self._cache.items() if k[0] != "postings"}
                self._cached_postings = len(value[0])
            self._cache[key] = value
        return value

    def labels(self, field: str) -> list[str]:
        """The values an ID or KEYWORD field takes anywhere in the index, sorted."""
        key = ("labels", field)
        if key not in self._cache:
            values = set()
            with read_lock:
                for _, reader, _ in self.leaves:
                    values.update(
                        t.decode("utf-8") if isinstance(t, bytes) else t
                        for t in reader.lexicon(field)
                    )
            self._cache[key] = sorted(values)
        return self._cache[key]

    def codes(self, field: str) -> np.ndarray:
        """For a field with one value per document: the index of its value in labels(), -1
        for none."""
        key = ("codes", field)
        value = self._cache.get(key)
        if value is None:
            value = np.full(self.count, -1, dtype=np.int32)
            for code, label in enumerate(self.labels(field)):
                value[self.postings(field, label)[0]] = code
            self._cache[key] = value
        return value

    def term_score(self, field: str, word: str, boost: float, frequency: int | None = None):
        """(document numbers, BM25F scores × boost) of one term, as Whoosh's BM25F scores it:
        idf = ln(N / (df + 1)) + 1 over the whole index, deleted documents counted; `frequency`
        replaces the term's own df (a synonym group's, see evaluate)."""
        ids, tf = self.postings(field, word)
        if not len(ids):
            return ids, tf
        searcher = self.searcher
        with read_lock:
            if frequency is None:
                frequency = searcher.doc_frequency(field, word)
            avg = searcher.avg_field_length(field) or 1
        idf = math.log(searcher.doc_count_all() / (frequency + 1)) + 1
        length = self.lengths(field)[ids]
        length = np.where(length > 0, length, 1)
        scores = idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * length / avg))
        return ids, (scores * boost).astype(np.float64)

    def group_frequency(self, field: str, words) -> int:
        """In how many documents the field holds any of the words (deleted ones counted, as
        Whoosh counts a term's df)."""
        if len(words) == 1:
            with read_lock:
                return self.searcher.doc_frequency(field, words[0])
        found = [self.postings(field, word)[0] for word in words]
        return int(np.unique(np.concatenate(found)).size) if found else 0


def evaluate(view: View, groups, alternative=None):
    """Documents matching every group (a group: one query word and its synonyms, each over the
    weighted fields: any of its (field, word, boost) terms), or the alternative term; with
    their scores. Within a group the words are one term to BM25F: a field's idf is that of
    the documents holding any of them (a rare synonym weighs no more than a common one), and
    the group counts its best word only (a word's score: the sum over its fields), not the
    sum of its synonyms. The groups' scores are summed; a group of one word scores exactly
    as Whoosh does."""
    score = np.zeros(view.count)
    match = None
    for group in groups:
        in_group = np.zeros(view.count, dtype=bool)
        best = np.zeros(view.count)
        by_word: dict[str, list] = {}
        by_field: dict[str, list] = {}
        for field, word, boost in group:
            by_word.setdefault(word, []).append((field, boost))
            by_field.setdefault(field, []).append(word)
        frequency = {field: view.group_frequency(field, words) for field, words in by_field.items()}
        for word, fields in by_word.items():
            word_score = np.zeros(view.count)
            for field, boost in fields:
                ids, scores = view.term_score(field, word, boost, frequency[field])
                in_group[ids] = True
                word_score[ids] += scores
            np.maximum(best, word_score, out=best)
        score += best
        match = in_group if match is None else match & in_group
    if match is None:
        match = np.zeros(view.count, dtype=bool)
    score[~match] = 0.0
    if alternative:
        ids, scores = view.term_score(*alternative)
        match[ids] = True
        score[ids] += scores
    return match, score


def term_mask(view: View, field: str, value: str) -> np.ndarray:
    mask = np.zeros(view.count, dtype=bool)
    mask[view.postings(field, value)[0]] = True
    return mask


def counts(view: View, field: str, mask: np.ndarray, multi: bool = False) -> dict[str, int]:
    """How many of the masked documents have each value of the field."""
    labels = view.labels(field)
    if multi:
        return {label: int(mask[view.postings(field, label)[0]].sum()) for label in labels}
    tally = np.bincount(view.codes(field)[mask] + 1, minlength=len(labels) + 1)
    return {label: int(n) for label, n in zip(labels, tally[1:], strict=True)}


def ranked(mask: np.ndarray, keys: list[np.ndarray], limit: int) -> np.ndarray:
    """The first `limit` masked document numbers, ordered by the keys (the first key first,
    each descending except the last, ascending): exact, ties included at the cut."""
    candidates = np.flatnonzero(mask)
    primary = keys[0][candidates]
    if len(candidates) > 4 * limit:
        cut = np.partition(primary, len(primary) - limit)[len(primary) - limit]
        keep = primary >= cut
        candidates, primary = candidates[keep], primary[keep]
    columns = [keys[-1][candidates]] + [-k[candidates] for k in reversed(keys[1:-1])]
    order = np.lexsort([*columns, -primary])
    return candidates[order][:limit]
