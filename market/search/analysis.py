"""Chinese analysis for the index: jieba's search-mode segmentation with real positions and
character offsets (so phrase queries and highlighting work), lowercasing, stop words; the
domain dictionary and the abbreviations people type (环评 → 环境影响评价), kept as data files;
pinyin initials (hp → 环评).

Whoosh pickles the analyzer into the index schema: this module's path must stay stable."""

import os
import re
import threading
from functools import cache, lru_cache
from pathlib import Path

from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer

DATA = Path(__file__).parent / "data"
_lock = threading.Lock()
_ready = False


def _lines(name: str):
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def setup(cache_dir: str | None = None) -> None:
    """Load jieba and the domain dictionary once per process; its cache goes to `cache_dir`
    (the instance folder) rather than the system temp folder."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        import jieba

        if cache_dir:
            os.makedirs(cache_dir, exist_ok=True)
            jieba.dt.tmp_dir = cache_dir
        jieba.setLogLevel(60)
        jieba.initialize()
        with open(DATA / "dictionary.txt", "rb") as handle:
            jieba.load_userdict(handle)
        _ready = True


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Each abbreviation and each full name → the whole group (without itself)."""
    groups = {}
    for line in _lines("synonyms.txt"):
        short, _, names = line.partition("=")
        group = [short.strip(), *(n.strip() for n in names.split("|") if n.strip())]
        for term in group:
            others = [t for t in group if t != term]
            groups[term] = tuple(dict.fromkeys([*groups.get(term, ()), *others]))
    return groups


class ChineseTokenizer(Tokenizer):
    """jieba.tokenize(mode="search") as Whoosh tokens: sequential positions, the characters'
    start and end offsets, whitespace and punctuation dropped."""

    def __eq__(self, other):
        return other is not None and other.__class__ is self.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        setup()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for word, start, end in words_of(value):
            token.text = token.original = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


@lru_cache(maxsize=200_000)
def _chunk_words(chunk: str) -> tuple[tuple[str, int, int], ...]:
    import jieba

    return tuple(
        (word, start, end)
        for word, start, end in jieba.tokenize(chunk, mode="search")
        if any(ch.isalnum() for ch in word)
    )


def words_of(text: str):
    """jieba's search-mode words of `text` with their character offsets, punctuation dropped.
    jieba never joins across whitespace, so each whitespace-separated chunk is segmented
    once per process: item names, regions and qualifications recur in thousands of
    documents."""
    for match in _CHUNKS.finditer(text):
        offset = match.start()
        for word, start, end in _chunk_words(match.group()):
            yield word, offset + start, offset + end


_CHUNKS = re.compile(r"\S+")


def chinese_analyzer():
    """The analyzer every text field uses."""
    return ChineseTokenizer() | LowercaseFilter() | StopFilter(stoplist=stop_words(), minsize=1)


@lru_cache(maxsize=200_000)
def _word_initials(word: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(word, style=Style.FIRST_LETTER)).lower()


def initials(text: str) -> str:
    """Pinyin initials of the Chinese words in `text` (环境影响评价 → hjyxpj), space-separated,
    with those of its known abbreviations, so `hp` finds 环评. Words repeat across documents
    (company names, items): each word's initials are worked out once per process."""
    setup()
    words = set()
    for word, _, _ in words_of(text):
        if len(word) >= 2 and any("\u4e00" <= ch <= "\u9fff" for ch in word):
            words.add(word)
            words.update(t for t in synonyms().get(word, ()) if len(t) <= 4)
    return " ".join(sorted({_word_initials(w) for w in words}))


def expand(words: list[str]) -> list[list[str]]:
    """For each query word, the word and its synonyms (an OR group)."""
    return [[w, *synonyms().get(w, ())] for w in words]


def snippets(text: str, words, width: int = 80, before: int = 20, top: int = 2):
    """Up to `top` passages of about `width` characters of `text` around the tokens that are
    among `words`, those tokens in <mark class="hl">, cut at spaces where there are any, "…"
    where the text goes on; None if none.
    The tokens' own character offsets place the marks (overlapping search-mode tokens such as
    环境 / 环境影响评价 merge into one mark)."""
    from markupsafe import Markup, escape

    lowered = text.lower()
    if not any(word in lowered for word in words):  # no word of the query in the text at all
        return None
    spans = []
    # The analyzer's words as it indexes them (lowercased; stop words cannot be among
    # `words`), read from the segmentation cache without building its token pipeline.
    for start, end in sorted(
        (start, end) for word, start, end in words_of(text) if word.lower() in words
    ):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    passages = []
    while spans and len(passages) < top:
        begin = max(0, spans[0][0] - before)
        space = text.find(" ", begin, spans[0][0])
        begin = space + 1 if begin and space >= 0 else begin  # not in the middle of a word
        finish = min(len(text), begin + width)
        inside = [s for s in spans if s[0] < finish]
        spans = spans[len(inside) :]
        finish = max(finish, inside[-1][1])
        space = text.rfind(" ", inside[-1][1], finish)
        finish = space if finish < len(text) and space >= 0 else finish
        # Escaped pieces joined as plain text, made Markup once (a page cuts dozens of these).
        out, at = ["…" if begin else ""], begin
        for start, end in inside:
            out += [escape(text[at:start]), '<mark class="hl">', escape(text[start:end]), "</mark>"]
            at = end
        out.append(escape(text[at:finish]))
        out.append("…" if finish < len(text) else "")
        passages.append("".join(out))
    return Markup(" ".join(passages)) if passages else None
