"""Durable index sync. A change to an indexed model writes an outbox row in the same
transaction (after_flush); the worker's `drain` (or `flask search sync`) indexes the rows'
documents, commits the index, and only then deletes the rows. A crash between the two leaves
the rows, and the next drain indexes them again (indexing is idempotent). Several processes
may drain at once: rows are claimed with SKIP LOCKED on PostgreSQL, and the index's own lock
orders the writers."""

from collections import defaultdict

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session, object_session

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering, Qualification
from ..catalogue.models import ServiceItem
from ..core.batching import defer
from ..extensions import db
from ..procurement.models import Notice
from . import engine
from .models import SearchOutbox

#: (kind, id) changed by the flush in progress; and those already in the outbox this transaction
CHANGED, QUEUED = "search_changed", "search_queued"

#: model → (index kind, the document id a changed row touches, or None)
TRACKED = {
    Agency: ("agencies", lambda row: row.org_id),
    Organisation: ("agencies", lambda row: row.id if row.kind == "agency" else None),
    Offering: ("agencies", lambda row: row.agency_id),
    Qualification: ("agencies", lambda row: row.agency_id),
    Notice: ("notices", lambda row: row.id if row.published_dt is not None else None),
    ServiceItem: ("items", lambda row: row.id),
}


def _row_changed(mapper, connection, row):
    # Mapper events name exactly the rows written: no scan of the session for each flush
    # (the due-time runner flushes thousands of times in one transaction).
    kind, doc_id_of = TRACKED[mapper.class_]
    doc_id = doc_id_of(row)
    session = object_session(row)
    if doc_id is not None and session is not None:
        session.info.setdefault(CHANGED, set()).add((kind, doc_id))


def _row_updated(mapper, connection, row):
    # after_update comes for a row flushed for a collection alone (a bid added to a
    # notice's bids): its document has not changed.
    session = object_session(row)
    if session is not None and session.is_modified(row, include_collections=False):
        _row_changed(mapper, connection, row)


for _model in TRACKED:
    event.listen(_model, "after_insert", _row_changed)
    event.listen(_model, "after_update", _row_updated)
    event.listen(_model, "after_delete", _row_changed)


@event.listens_for(Session, "after_flush")
def _write_outbox(session, flush_context):
    changed = session.info.pop(CHANGED, None)
    # In the runner's batch, one insert at its end rather than one per flush.
    if changed and not defer(_write_batch, changed):
        _write(session, changed)


def _write(session, changed) -> None:
    queued = session.info.setdefault(QUEUED, set())
    new = sorted(changed - queued)  # once per document and transaction is enough
    if new:
        session.connection().execute(
            insert(SearchOutbox.__table__), [{"kind": k, "doc_id": i} for k, i in new]
        )
        queued.update(new)


def _write_batch(changes: list[set]) -> None:
    _write(db.session(), set().union(*changes))


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction):
    # The outermost transaction: its rows are committed or gone; the next one starts afresh.
    # (after_commit would fire for every savepoint released, forgetting what was queued.)
    if transaction.parent is None:
        session.info.pop(QUEUED, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    # A savepoint rolled back may take outbox rows with it: queue every change again.
    session.info.pop(QUEUED, None)
    session.info.pop(CHANGED, None)


def enqueue(kind: str, doc_id: int) -> None:
    """Mark one document for re-indexing (for changes made without the ORM, e.g. the nightly
    credit recompute's bulk update)."""
    db.session.execute(insert(SearchOutbox.__table__), {"kind": kind, "doc_id": doc_id})


def pending() -> int:
    return db.session.scalar(select(db.func.count(SearchOutbox.id)))


def drain(limit: int = 2000) -> int:
    """Index what the outbox holds, in batches; each batch's rows are deleted (and committed)
    after the index commit. Returns how many rows were handled."""
    handled = 0
    while True:
        rows = db.session.execute(
            select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.doc_id)
            .order_by(SearchOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            db.session.commit()
            return handled
        by_kind = defaultdict(set)
        for _, kind, doc_id in rows:
            by_kind[kind].add(doc_id)
        for kind, ids in by_kind.items():
            engine.write_many(kind, ids)
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        db.session.info.pop(QUEUED, None)  # their rows are gone: a later change queues again
        db.session.commit()
        handled += len(rows)
        if len(rows) < limit:
            return handled


def on_standing_changed(org_id, **_):
    enqueue("agencies", org_id)
