"""PostgreSQL's prepared statements kept from one request to the next.

A statement prepared on a connection is parsed and planned once there (DB_PREPARE_THRESHOLD),
but psycopg forgets every prepared statement, and tells the server to drop them all, whenever
a transaction is rolled back. Every page ends its transaction that way: the session rolls back
what it did not commit when the request ends, and so does the pool when it takes a connection
back. So each page's statements were prepared afresh, and dropped again, at every request:
parsed and planned each time, with a round trip more than running them unprepared.

A transaction that wrote nothing ends the same whether it commits or rolls back. Here a
connection notes any statement that is not a plain SELECT (an INSERT, UPDATE or DELETE, a
savepoint, anything else); a rollback of a transaction without one, and not failed, is sent as
a COMMIT, which keeps the connection's prepared statements. A transaction that wrote anything,
or failed, is rolled back as before: what it wrote is undone.

The pool checks a connection before each checkout (`pool_pre_ping`). A connection the server
ended has its farewell waiting on the socket; only then is the server asked (with `;`,
unprepared: psycopg would leave one prepared statement behind per ping). An idle connection
with nothing to read costs no round trip, which was a tenth of a cheap page's work on both
sides.
"""

import select

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: set in a pooled connection's info while its transaction has run a statement that may write
WROTE_KEY = "market.may_have_written"


def _has_news(dbapi_connection) -> bool:
    """Whether an idle pooled connection has anything to read: a server that ends a session
    (a restart, a terminated backend) sends its reason and closes the stream, which waits
    there. An idle connection with nothing to read is as alive as a round trip would show."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except Exception:  # closed, or no socket to ask: ask the server
        return True


def ping_server(dbapi_connection) -> bool:
    """Ask the server whether the connection still works (raises if it does not)."""
    # psycopg prepares the empty statement `;` like any other, but keeps no note of it (an
    # empty query has no result to reuse): kept across transactions, every ping would leave
    # one more prepared statement on the server. Unprepared.
    autocommit = dbapi_connection.autocommit
    if not autocommit:
        dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(";", prepare=False)
    finally:
        cursor.close()
        if not autocommit and not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit
    return True


def keep_prepared_statements(engine: Engine) -> None:
    """End read-only transactions on `engine` (postgresql+psycopg) with a COMMIT."""
    dialect = engine.dialect
    rollback = dialect.do_rollback

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info[WROTE_KEY] = True

    @event.listens_for(engine, "commit")
    def _committed(conn):
        conn.info.pop(WROTE_KEY, None)

    def do_rollback(connection):
        try:
            info = connection.info
        except NotImplementedError:  # the engine's first connection, not yet pooled
            return rollback(connection)
        wrote = info.pop(WROTE_KEY, False)
        raw = connection.dbapi_connection
        if not wrote and raw.info.transaction_status == TransactionStatus.INTRANS:
            raw.commit()  # nothing to undo: the prepared statements stay
        else:
            rollback(connection)

    def do_ping(dbapi_connection):
        return ping_server(dbapi_connection) if _has_news(dbapi_connection) else True

    # The dialect belongs to this engine alone.
    dialect.do_rollback = do_rollback
    dialect.do_ping = do_ping
