"""The due-time runner: applies the deadlines the notice lifecycle declares, with the handlers
registered for them (`@NOTICE.when_due`). Idempotent; imports none of the handlers' modules.

`apply_due(notice)` brings one notice up to date (pages call it for what they show);
`run_due(limit)` applies what is due across all notices in batches (the worker, the CLI).
"""

from functools import cache

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, selectinload

from ..core.audit import begin_writing
from ..core.batching import batch as deferred_batch
from ..core.clock import utcnow
from ..core.failures import record_failure
from ..extensions import db
from .contract_models import Contract
from .models import Bid, Notice
from .states import NOTICE

#: session.info key: ids of notices this transaction holds locked, loaded with their bids
LOCKED_KEY = "market_locked_notices"


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, transaction):
    if transaction.parent is None:
        session.info.pop(LOCKED_KEY, None)


#: notices loaded per round trip by run_due (with what their handlers read)
BATCH = 500


def apply_due(notice, now=None) -> bool:
    """Apply every transition of `notice` that is due at `now`; True if anything changed."""
    now = now or utcnow()
    changed = False
    while notice.due_dt is not None and notice.due_dt <= now:
        handler = NOTICE.due_handler(notice.state)
        if handler is None and NOTICE[notice.state].due is not None:
            raise RuntimeError(f"no deadline handler registered for {notice.state!r}")
        before = (notice.state, notice.due_dt)
        if handler is not None:
            handler(notice, notice.due_dt)
        if (notice.state, notice.due_dt) == before:
            # No deadline in this state, or a handler that left things as they were: never
            # look at it again by itself (a later action sets a new due time), never loop.
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
            selectinload(Notice.avoidances),
        )
        .order_by(Notice.due_dt, Notice.id)
    )


def due_ids(now, limit=None, among=None, skip=()) -> list[int]:
    """Ids of the notices due at `now`, most overdue first (`among`: only those ids)."""
    stmt = select(Notice.id).where(Notice.due_dt <= now)
    if among is not None:
        stmt = stmt.where(Notice.id.in_(list(among)))
    if skip:
        stmt = stmt.where(Notice.id.not_in(list(skip)))
    return db.session.scalars(stmt.order_by(Notice.due_dt, Notice.id).limit(limit)).all()


def apply_batch(ids, now, failed: list | None = None) -> int:
    """Apply what is due on these notices, loaded and locked together (FOR UPDATE on
    PostgreSQL), their listeners' writes done once at the end. If the batch fails, it is
    redone notice by notice, each in a savepoint: a notice that fails alone is recorded for
    supervisors, left due and added to `failed`, and the others go on. Returns how many
    changed."""
    if not ids:
        return 0
    # SQLite: the write lock before the notices are read (PostgreSQL locks them FOR UPDATE);
    # the audit chain is locked only at the commit (see core.audit).
    begin_writing()
    session = db.session()
    try:
        with session.begin_nested():
            return _apply_locked(ids, now)
    except Exception:  # redone one by one below, where a notice failing alone is recorded
        session.expire_all()
    changed = 0
    for notice_id in ids:
        try:
            with session.begin_nested():
                changed += _apply_locked([notice_id], now)
        except Exception as error:
            session.expire_all()
            record_failure("runner:due", apply_due, db.session.get(Notice, notice_id), error)
            if failed is not None:
                failed.append(notice_id)
    return changed


def _apply_locked(ids, now) -> int:
    locked = _loaded(ids).with_for_update(of=Notice)
    notices = db.session.scalars(locked.execution_options(populate_existing=True)).all()
    # Locked as they are loaded, so the steps need not lock and re-read them (bids.lock_notice).
    db.session.info.setdefault(LOCKED_KEY, set()).update(ids)
    # Listeners' per-transition writes (credit's reports, risk checks) run once per batch.
    with deferred_batch():
        return sum(apply_due(notice, now) for notice in notices)


def run_due(now=None, limit=None, skip=(), failed: list | None = None) -> int:
    """Apply due transitions on all notices (or on the `limit` most overdue: a caller may
    commit between rounds to keep each transaction short), leaving out the ids in `skip`
    (notices that failed lately); returns how many changed, adds those failing to `failed`."""
    now = now or utcnow()
    ids = due_ids(now, limit, skip=skip)
    batches = (ids[i : i + BATCH] for i in range(0, len(ids), BATCH))
    return sum(apply_batch(batch, now, failed) for batch in batches)


def apply_due_shown(notices, now=None, limit: int = 20) -> int:
    """Bring the notices a page shows up to date: those due among them (at most `limit`),
    applied as one batch. Pages never apply anything they do not show."""
    now = now or utcnow()
    due = [n.id for n in notices if n.due_dt is not None and n.due_dt <= now]
    return apply_batch(due[:limit], now)


@cache
def due_notices_of():
    """The ids of an organisation's own notices that are due (those it published or quoted
    on), most overdue first: built once, with `org_id`, `now` and `due_limit` bound when it
    runs (a workspace counts it with its lists)."""
    org_id = bindparam("org_id")
    quoted = select(Bid.notice_id).where(Bid.agency_org_id == org_id)
    mine = (Notice.purchaser_org_id == org_id) | Notice.id.in_(quoted)
    return (
        select(Notice.id)
        .where(Notice.due_dt <= bindparam("now"), mine)
        .order_by(Notice.due_dt, Notice.id)
        .limit(bindparam("due_limit"))
    )


def apply_due_of(org_id: int, now=None, limit: int = 20) -> int:
    """Bring an organisation's own notices up to date before its workspace counts them: those
    it published or quoted on that are due (at most `limit`, most overdue first)."""
    now = now or utcnow()
    params = {"org_id": org_id, "now": now, "due_limit": limit}
    ids = db.session.scalars(due_notices_of(), params).all()
    return apply_batch(ids, now)
