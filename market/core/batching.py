"""Work a domain collects during a bulk operation and does once at its end.

The due-time runner applies thousands of transitions in one transaction; a listener that
writes rows for each (credit's system reports, risk detectors) would flush the session each
time. Inside `batch()`, such a listener hands its item to `defer(handler, item)` instead, and
each handler runs once with all its items when the batch ends (after one flush). Outside a
batch `defer` returns False and the listener does the work at once."""

from contextlib import contextmanager

from ..extensions import db

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
            handler(items)  # may defer more: handled in a later turn of the loop
    finally:
        info.pop(KEY, None)


def defer(handler, item) -> bool:
    """Queue `item` for `handler(items)` at the end of the current batch; False outside one."""
    pending = db.session().info.get(KEY)
    if pending is None:
        return False
    pending.setdefault(handler, []).append(item)
    return True
