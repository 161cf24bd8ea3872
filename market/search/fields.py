"""The fields of each index (agencies, notices, catalogue items).

Whoosh pickles the schema, these field classes included, into each index: this module's path
and class names must stay stable (an index with other fields is refused as outdated)."""

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from . import analysis


def _text(stored=False):
    # Term frequencies only: queries are words, not phrases, and the few snippets shown are
    # cut from the stored text (positions and offsets would double the index and its build).
    return TEXT(analyzer=analysis.chinese_analyzer(), stored=stored, phrase=False)


class NumberColumn(NUMERIC):
    """A number kept only as a column, for sorting, filtering and blending (vector.py); not
    indexed as terms, which would cost a dozen postings per number and document."""

    indexed = False


class DateColumn(DATETIME):
    """A moment kept only as a column (microseconds), for sorting by newest."""

    indexed = False


def _number(kind=int, **options):
    return NumberColumn(kind, sortable=True, default=0, **options)


def schema(kind: str) -> Schema:
    common = dict(
        id=ID(stored=True, unique=True),
        number=_number(bits=64),  # the id again, as a column: the last sort key
        digest=STORED(),
        initials=KEYWORD(lowercase=True, scorable=True),
        category=KEYWORD(stored=True, commas=True),
        region=_text(stored=True),
        region_facet=ID(stored=True),
        created=DateColumn(stored=True, sortable=True),
    )
    if kind == "agencies":
        return Schema(
            **common,
            name=_text(stored=True),
            items=_text(stored=True),
            licensing=_text(stored=True),
            qualifications=_text(),
            description=_text(stored=True),
            grade=ID(stored=True),
            score=_number(stored=True),
            credit_factor=_number(float, stored=True),
            rating=_number(float, stored=True),
            blocked_until=_number(bits=64, stored=True),
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
            score=_number(),
            rating=_number(float),
        )
    return Schema(
        **common,
        code=ID(stored=True),
        name=_text(stored=True),
        licensing=_text(stored=True),
        legal_basis=_text(),
        score=_number(),
        rating=_number(float),
    )
