"""Committing only what was written: a page that wrote nothing ends its read-only transaction
without a commit, so the objects it shows are not expired and loaded a second time."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

WROTE_KEY = "market.wrote"


@event.listens_for(Session, "after_flush")
def _wrote(session, flush_context):
    session.info[WROTE_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(WROTE_KEY, None)


def commit_if_written() -> bool:
    """Commit if this transaction flushed or holds changes; True if it committed."""
    session = db.session
    if session.info.get(WROTE_KEY) or session.new or session.dirty or session.deleted:
        session.commit()
        return True
    return False
