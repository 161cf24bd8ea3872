"""The due-time runner: applies deadline transitions. Idempotent; safe to call on any read."""

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from ..core.audit import lock_chain
from ..core.batching import batch as deferred_batch
from ..core.clock import utcnow
from ..extensions import db
from .contract_models import Contract
from .models import Bid, Notice

#: session.info key: ids of notices this transaction holds locked, loaded with their bids
LOCKED_KEY = "market_locked_notices"


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, transaction):
    if transaction.parent is None:
        session.info.pop(LOCKED_KEY, None)


#: notices loaded per round trip by run_due (with what their handlers read)
BATCH = 500


def _handlers():
    """state → the function applying that state's deadline, called as handler(notice, at)."""
    # Imported here: those modules use apply_due() from this one.
    from .contracts import auto_accept, end_publicity, sign_deadline_missed
    from .evaluations import end_evaluation
    from .selection import close_bidding

    return {
        "published": close_bidding,
        "publicity": end_publicity,
        "awarded": sign_deadline_missed,
        "delivered": auto_accept,
        "accepted": end_evaluation,
    }


def apply_due(notice, now=None) -> bool:
    """Apply every transition of `notice` that is due at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    handlers = None
    while notice.due_dt is not None and notice.due_dt <= now:
        handlers = handlers or _handlers()
        handler = handlers.get(notice.state)
        before = (notice.state, notice.due_dt)
        if handler is not None:
            handler(notice, notice.due_dt)
        if (notice.state, notice.due_dt) == before:
            # No handler, or one that left things as they were: never look at it again by
            # itself (a later action sets a new due time), and never loop on it.
            notice.due_dt = None
        changed = True
    return changed


def _loaded(ids):
    bids = selectinload(Notice.bids)
    return (
        select(Notice)
        .where(Notice.id.in_(ids))
        .options(
            bids.selectinload(Bid.agency),
            selectinload(Notice.contract).selectinload(Contract.deliveries),
            selectinload(Notice.contract).selectinload(Contract.evaluations),
            selectinload(Notice.objections),
            selectinload(Notice.selections),
            selectinload(Notice.item),
            selectinload(Notice.purchaser),
        )
        .order_by(Notice.due_dt, Notice.id)
    )


def run_due(now=None, limit=None) -> int:
    """Apply due transitions on all notices (or on the `limit` most overdue: a caller may
    commit between rounds to keep each transaction short); returns how many changed."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(Notice.id)
        .where(Notice.due_dt <= now)
        .order_by(Notice.due_dt, Notice.id)
        .limit(limit)
    ).all()
    changed = 0
    if ids:
        # The chain's lock first, like every writer that locks notices (see audit.lock_chain):
        # the runner then never holds the chain while waiting for a notice a request holds.
        lock_chain()
    # In batches: every due notice is handled, with its related rows loaded in a few queries
    # rather than a few per notice.
    for start in range(0, len(ids), BATCH):
        # Locked as they are loaded (FOR UPDATE on PostgreSQL), so the steps need not lock and
        # re-read each notice again (bids.lock_notice).
        batch = ids[start : start + BATCH]
        locked = _loaded(batch).with_for_update(of=Notice)
        notices = db.session.scalars(locked.execution_options(populate_existing=True)).all()
        db.session.info.setdefault(LOCKED_KEY, set()).update(batch)
        # Listeners' per-transition writes (credit's reports, risk checks) run once per batch.
        with deferred_batch():
            changed += sum(apply_due(notice, now) for notice in notices)
    return changed
