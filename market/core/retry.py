"""Trying a unit of work again when the database connection drops under it (PostgreSQL
restarted, a failover) or PostgreSQL chose it to break a deadlock: the work is rolled back and
run again, with the same inputs, for a bounded time. A quote keeps the moment it arrived
however many tries it takes."""

import time

from flask import current_app
from sqlalchemy.exc import DBAPIError

from ..extensions import db

#: SQLSTATEs of a transaction PostgreSQL aborted so that others could go on: deadlock_detected,
#: serialization_failure. Run again, it succeeds.
RUN_AGAIN = frozenset({"40P01", "40001"})


def _disconnected(error: DBAPIError) -> bool:
    # SQLAlchemy marks errors that mean "the connection is gone" (pool_pre_ping replaces it).
    return bool(getattr(error, "connection_invalidated", False))


def _worth_again(error: DBAPIError) -> bool:
    return _disconnected(error) or getattr(error.orig, "sqlstate", None) in RUN_AGAIN


def retrying(work):
    """Run `work()` (which ends with its commit); on a dropped connection or a deadlock roll
    back and run it again, pausing a little longer each time, for at most DB_RETRY_SECONDS."""
    give_up = time.monotonic() + current_app.config["DB_RETRY_SECONDS"]
    pause = 0.1
    while True:
        try:
            return work()
        except DBAPIError as error:
            if not _worth_again(error) or time.monotonic() + pause > give_up:
                raise
            current_app.logger.warning("database work interrupted; trying again: %s", error)
            try:
                db.session.rollback()
            except DBAPIError:
                db.session.close()
            time.sleep(pause)  # a back-off before reconnecting, not an ordering
            pause = min(pause * 2, 1.0)
