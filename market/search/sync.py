"""Durable index sync. A change to an indexed model writes an outbox row in the same
transaction (after_flush); after the request's commit, `drain` indexes the rows' documents,
commits the index, and only then deletes the rows. A crash between the two leaves the rows,
and the next drain indexes them again (indexing is idempotent). Several processes may drain
at once: rows are claimed with SKIP LOCKED on PostgreSQL, and the index's own lock orders the
writers."""

from collections import defaultdict

from flask import current_app
from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..agencies.models import Agency, Offering, Qualification
from ..catalogue.models import ServiceItem
from ..extensions import db
from ..procurement.models import Notice
from . import engine
from .models import SearchOutbox

WRITTEN, COMMITTED = "search_outbox_written", "search_outbox_committed"


def _changes(session) -> set[tuple[str, int]]:
    """(kind, id) of the indexed documents the objects being flushed touch."""
    found = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Agency):
            found.add(("agencies", obj.org_id))
        elif isinstance(obj, Organisation) and obj.kind == "agency" and obj.id:
            found.add(("agencies", obj.id))
        elif isinstance(obj, (Offering, Qualification)) and obj.agency_id:
            found.add(("agencies", obj.agency_id))
        elif isinstance(obj, Notice) and obj.id and obj.published_dt is not None:
            found.add(("notices", obj.id))
        elif isinstance(obj, ServiceItem) and obj.id:
            found.add(("items", obj.id))
    return found


@event.listens_for(Session, "after_flush")
def _write_outbox(session, flush_context):
    changes = _changes(session)
    if changes:
        session.connection().execute(
            insert(SearchOutbox.__table__),
            [{"kind": kind, "doc_id": doc_id} for kind, doc_id in sorted(changes)],
        )
        session.info[WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _committed(session):
    if session.info.pop(WRITTEN, False):
        session.info[COMMITTED] = True


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    session.info.pop(WRITTEN, None)


def enqueue(kind: str, doc_id: int) -> None:
    """Mark one document for re-indexing (for changes made without the ORM, e.g. the nightly
    credit recompute's bulk update)."""
    db.session.execute(insert(SearchOutbox.__table__), {"kind": kind, "doc_id": doc_id})
    db.session.info[WRITTEN] = True


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
        db.session.commit()
        db.session.info.pop(COMMITTED, None)
        handled += len(rows)
        if len(rows) < limit:
            return handled


def drain_after_request(response):
    """After a request that committed outbox rows: index them now, so the change is
    searchable at once. A failure leaves the rows for the next drain (`flask search sync`)."""
    if db.session.info.pop(COMMITTED, False):
        try:
            drain()
        except Exception:  # the rows stay; the next drain indexes them
            db.session.rollback()
            current_app.logger.exception("search index sync failed; the outbox keeps the rows")
    return response


def on_standing_changed(org_id, **_):
    enqueue("agencies", org_id)
