"""The search outbox: a row per changed document, written in the transaction of the change,
removed only once the index has committed it (sync.py); and the PostgreSQL backend's index
(pg.py), used when SEARCH_BACKEND is "postgres"."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.types import UTCDateTime
from ..extensions import db

KINDS = ("agencies", "notices", "items")


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        Index("ix_search_outbox_kind_doc", "kind", "doc_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int]
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the PostgreSQL backend's index (pg.py; SEARCH_BACKEND = "postgres") --------------------
# The tables exist on every database (the migrations are the same everywhere); only
# PostgreSQL fills them. A JSON column on SQLite stands for each PostgreSQL-only type.

_JSON = JSON().with_variant(JSONB(), "postgresql")


class SearchKind(db.Model):
    """One row per kind: the version the search page caches by (raised by every write, which
    also takes the row's lock, so writers of a kind go one at a time), the document count
    and each field's total length (BM25F's N and average lengths), the index format."""

    __tablename__ = "search_kinds"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS}", name="kind"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    documents: Mapped[int] = mapped_column(default=0)
    #: field name → the sum of its length (in words) over the kind's documents
    lengths: Mapped[dict] = mapped_column(_JSON, default=dict)
    #: pg.FORMAT when the kind was last rebuilt: another one means a rebuild is due
    format: Mapped[int] = mapped_column(default=0)


class SearchDocument(db.Model):
    """A document's facets and number columns: what filters, facet counts and sorts read for
    every match (narrow on purpose; the stored document is in SearchStored)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        Index("ix_search_documents_blocked", "kind", "blocked_until"),
        Index("ix_search_documents_categories", "categories", postgresql_using="gin"),
    )

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    doc_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    region: Mapped[str] = mapped_column(String(100), default="")
    grade: Mapped[str] = mapped_column(String(10), default="")
    state: Mapped[str] = mapped_column(String(30), default="")
    #: the item categories (agencies offer several)
    categories: Mapped[list] = mapped_column(
        JSON().with_variant(ARRAY(Text()), "postgresql"), default=list
    )
    score: Mapped[int] = mapped_column(default=0)
    credit_factor: Mapped[float] = mapped_column(Double, default=1.0)
    rating: Mapped[float] = mapped_column(Double, default=0.0)
    #: when the agency may bid again (epoch seconds), 0 if it may now
    blocked_until: Mapped[int] = mapped_column(BigInteger, default=0)
    #: naive UTC, as documents.py gives it
    created: Mapped[datetime | None] = mapped_column(DateTime)
    digest: Mapped[str] = mapped_column(String(16))


class SearchStored(db.Model):
    """The document as documents.build gives it (the hits' fields), and the terms indexed
    from it (field → {term: frequency}), which its next write takes out again."""

    __tablename__ = "search_stored"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS}", name="kind"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    doc_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    document: Mapped[dict] = mapped_column(_JSON)
    terms: Mapped[dict] = mapped_column(_JSON)


#: the most fields a kind may index (each a pair of columns in search_postings)
POSTING_SLOTS = 8


class SearchPosting(db.Model):
    """The inverted index: one row per kind, term and document, with the term's frequency
    in each field of the document that has it (tf1…tf8, NULL where it has not) and that
    field's length in the document (len1…len8): what BM25F needs, summed over the fields in
    one row. pg.field_codes numbers a kind's fields (slot = code − the kind's base). The
    primary key's index also holds the frequencies and lengths, so a query reads a term's
    postings from the index alone."""

    __tablename__ = "search_postings"
    __table_args__ = (
        PrimaryKeyConstraint(
            "kind",
            "term",
            "doc_id",
            postgresql_include=[
                *(f"tf{n}" for n in range(1, POSTING_SLOTS + 1)),
                *(f"len{n}" for n in range(1, POSTING_SLOTS + 1)),
            ],
        ),
    )

    #: 1 agencies, 2 notices, 3 items (pg.KIND_CODES)
    kind: Mapped[int] = mapped_column(SmallInteger)
    term: Mapped[str] = mapped_column(Text)
    doc_id: Mapped[int]
    tf1: Mapped[int | None] = mapped_column(SmallInteger)
    tf2: Mapped[int | None] = mapped_column(SmallInteger)
    tf3: Mapped[int | None] = mapped_column(SmallInteger)
    tf4: Mapped[int | None] = mapped_column(SmallInteger)
    tf5: Mapped[int | None] = mapped_column(SmallInteger)
    tf6: Mapped[int | None] = mapped_column(SmallInteger)
    tf7: Mapped[int | None] = mapped_column(SmallInteger)
    tf8: Mapped[int | None] = mapped_column(SmallInteger)
    len1: Mapped[int | None] = mapped_column(SmallInteger)
    len2: Mapped[int | None] = mapped_column(SmallInteger)
    len3: Mapped[int | None] = mapped_column(SmallInteger)
    len4: Mapped[int | None] = mapped_column(SmallInteger)
    len5: Mapped[int | None] = mapped_column(SmallInteger)
    len6: Mapped[int | None] = mapped_column(SmallInteger)
    len7: Mapped[int | None] = mapped_column(SmallInteger)
    len8: Mapped[int | None] = mapped_column(SmallInteger)


class SearchTerm(db.Model):
    """Each indexed term of a field: in how many documents (df, for idf) and how often in
    all (for "did you mean", which prefers the commonest)."""

    __tablename__ = "search_terms"

    field: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    df: Mapped[int]
    cf: Mapped[int]
