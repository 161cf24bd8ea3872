"""Chinese analysis for the index: text folded first (full-width → half-width, case,
traditional → simplified), then jieba's search-mode segmentation with real positions and
character offsets (so highlighting works), stop words; the domain dictionary and the
abbreviations and English names people type (环评 → 环境影响评价, eia → 环评), kept as data
files; pinyin initials (hp → 环评).

Whoosh pickles the analyzer into the index schema: this module's path must stay stable."""

import hashlib
import os
import re
import threading
import unicodedata
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
        # Every term of a synonym group is one word to the tokenizer: a group can only match
        # what the index holds as a word (雷评 = 雷电灾害风险评估 needs the whole phrase).
        for term in {t for key, group in synonyms().items() for t in (key, *group)}:
            if not term.isascii():
                jieba.add_word(term)
        _ready = True


#: bump when this code changes what a text is indexed as (the data files count by themselves)
CODE_VERSION = 2


@cache
def version() -> str:
    """What an index was analysed with: this code's version and a digest of the data files
    (an index written with another is rebuilt before use)."""
    digest = hashlib.sha256()
    for name in ("dictionary.txt", "synonyms.txt", "stopwords.txt"):
        digest.update((DATA / name).read_bytes())
    return f"{CODE_VERSION}-{digest.hexdigest()[:12]}"


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """The text as it is indexed and searched, character for character (so offsets into the
    folded text are offsets into the original): each character NFKC-folded where that gives
    one character (ＺＪ０１２ → ZJ012), lowercased, and traditional characters as simplified
    (環評 → 环评, by OpenCC)."""
    chars = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).lower()
        chars.append(folded if len(folded) == 1 else ch)
    folded = "".join(chars)
    if folded.isascii():
        return folded
    simplified = _converter().convert(folded)
    if len(simplified) == len(folded):
        return simplified
    # A phrase converted to another length (rare): character by character instead.
    return "".join(c if len(c := _converter().convert(ch)) == 1 else ch for ch in folded)


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Each abbreviation and full name → the rest of its group; each English name → the
    group it names (one way: a Chinese word does not lead to English ones, nor through them
    to another group: lightning names both 防雷 and 雷评, which stay apart)."""
    groups, aliases = {}, {}
    for line in _lines("synonyms.txt"):
        short, _, names = line.lower().partition("=")
        group = [short.strip(), *(n.strip() for n in names.split("|") if n.strip())]
        if group[0].isascii():
            aliases[group[0]] = group[1:]
            continue
        for term in group:
            others = [t for t in group if t != term]
            groups[term] = tuple(dict.fromkeys([*groups.get(term, ()), *others]))
    for alias, targets in aliases.items():
        expanded = [t for target in targets for t in (target, *groups.get(target, ()))]
        groups[alias] = tuple(dict.fromkeys(expanded))
    return groups


@cache
def _phrases() -> tuple[tuple[re.Pattern, str], ...]:
    """English names of several words, longest first, each with the Chinese word it stands
    for (the tokenizer would split them into words that mean nothing alone)."""
    found = []
    for line in _lines("synonyms.txt"):
        key, _, names = line.lower().partition("=")
        key = " ".join(key.split())
        if " " in key:
            chinese = next(n.strip() for n in names.split("|") if not n.strip().isascii())
            found.append((key, chinese))
    found.sort(key=lambda pair: -len(pair[0]))
    return tuple((re.compile(rf"\b{re.escape(k)}\b"), chinese) for k, chinese in found)


def translate(text: str) -> str:
    """The query folded, with each English phrase of the synonyms file replaced by its
    Chinese word (environmental impact assessment → 环评)."""
    text = " ".join(fold(text).split())
    if any("a" <= ch <= "z" for ch in text):
        for pattern, chinese in _phrases():
            text = pattern.sub(f" {chinese} ", text)
    return text.strip()


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
        for word, start, end in jieba.tokenize(fold(chunk), mode="search")
        if any(ch.isalnum() for ch in word)
    )


def words_of(text: str):
    """jieba's search-mode words of the folded `text` with their character offsets in `text`,
    punctuation dropped. jieba never joins across whitespace, so each whitespace-separated
    chunk is segmented once per process: item names, regions and qualifications recur in
    thousands of documents."""
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
        if len(word) >= 2 and any("\u4e00" <= ch <= "\u9fff" for ch in word):  # i18n: data
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

    lowered = fold(text)
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
