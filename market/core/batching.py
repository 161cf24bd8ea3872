"""Work a domain collects during a bulk operation and does once at its end.

The due-time runner applies thousands of transitions in one transaction; a listener that
writes rows for each (credit's system reports, risk detectors) would flush the session each
time. Inside `batch()`, such a listener hands its item to `defer(handler, item)` instead, and
each handler runs once with all its items when the batch ends (after one flush). Outside a
batch `defer` returns False and the listener does the work at once.

Each handler runs in a SAVEPOINT: if it fails with all its items, it runs again item by item,
and only the items that fail alone are left undone (recorded as listener failures)."""

from contextlib import contextmanager

from ..extensions import db
from .failures import record_failure

KEY = "market_deferred"


@contextmanager
def batch():
    """Collect deferred work in this block; run it, handler by handler, at the end."""
    info = db.session().info
    if KEY in info:  # nested: the outer batch runs it
        yield
        return
    pending = info[KEY] = {}
    try:
        yield
        while pending:
            db.session.flush()
            handler, items = next(iter(pending.items()))
            del pending[handler]
            _run(handler, items)  # may defer more: handled in a later turn of the loop
    finally:
        info.pop(KEY, None)


def _run(handler, items) -> None:
    """handler(items) in a savepoint; if that fails, each item alone in its own."""
    session = db.session()
    try:
        with session.begin_nested():
            handler(items)
        return
    except Exception as error:  # retried item by item, or recorded
        if len(items) == 1:
            record_failure(f"batch:{handler.__name__}", handler, items[0], error)
            return
    for item in items:
        try:
            with session.begin_nested():
                handler([item])
        except Exception as error:
            record_failure(f"batch:{handler.__name__}", handler, item, error)


def active() -> bool:
    """Whether a batch is collecting deferred work now."""
    return KEY in db.session().info


def defer(handler, item) -> bool:
    """Queue `item` for `handler(items)` at the end of the current batch; False outside one."""
    pending = db.session().info.get(KEY)
    if pending is None:
        return False
    pending.setdefault(handler, []).append(item)
    return True
