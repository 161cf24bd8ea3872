"""Connections to PostgreSQL: one kept per gunicorn thread, so a loaded site does not open a
new database backend for each request; read-only transactions keep their prepared statements."""

import os
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from market import create_app
from market.core.prepared import keep_prepared_statements, ping_server
from market.extensions import db

on_postgresql = pytest.mark.skipif(
    "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""),
    reason="prepared statements are PostgreSQL's (scripts/with-postgres.sh)",
)


def _app(tmp_path, **config):
    return create_app(
        {
            "SECRET_KEY": "x",
            "LOG_JSON": False,
            # Never connected to: the engine is only built.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://market@127.0.0.1:9/market",
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            **config,
        }
    )


def test_each_process_keeps_8_connections_and_4_more_at_a_peak(tmp_path):
    with _app(tmp_path).app_context():
        assert db.engine.pool.size() == 8
        assert db.engine.pool._max_overflow == 4
        assert db.engine.pool._pre_ping


def test_the_pool_follows_the_threads_it_is_configured_for(tmp_path):
    with _app(tmp_path, DB_POOL_SIZE=32).app_context():
        assert db.engine.pool.size() == 32
        assert db.engine.pool._max_overflow == 16


@on_postgresql
def test_a_statement_is_prepared_on_a_connection_the_first_time_it_runs(app):
    with app.app_context():
        db.session.execute(text("SELECT 'prepared-once' AS marker")).scalar_one()
        # The check's own text must not contain the marker: it is prepared too.
        found = db.session.execute(
            text(
                "SELECT count(*) FROM pg_prepared_statements "
                "WHERE statement LIKE '%' || 'prepared' || '-once%'"
            )
        ).scalar_one()
        db.session.rollback()
    assert found == 1


def test_the_prepare_threshold_is_configurable(tmp_path):
    configured = _app(tmp_path, DB_PREPARE_THRESHOLD=5).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert configured["connect_args"] == {"prepare_threshold": 5}
    default = _app(tmp_path).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert default["connect_args"] == {"prepare_threshold": 0}


def _prepared(conn, marker):
    """How many statements prepared on `conn` contain `marker` (the check's own text does
    not: the marker is its parameter)."""
    return conn.execute(
        text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :pattern"),
        {"pattern": f"%{marker}%"},
    ).scalar_one()


def _all_prepared(conn):
    """How many statements are prepared on `conn`."""
    return conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


@on_postgresql
def test_a_read_only_transaction_keeps_its_prepared_statements_for_the_next_one(app):
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("SELECT 'kept-across-requests' AS marker")).scalar_one()
        conn.rollback()  # as every page ends: the session rolls back what it did not commit
        assert _prepared(conn, "kept-across-requests") == 1
        conn.rollback()
        assert _prepared(conn, "kept-across-requests") == 1


@on_postgresql
def test_a_transaction_that_wrote_is_still_undone_by_its_rollback(app):
    row = {"host": "rollback-check", "pid": 424242, "seen": datetime(2026, 12, 1, 8)}
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO worker_heartbeats (hostname, pid, last_seen_dt)"
                    " VALUES (:host, :pid, :seen)"
                ),
                row,
            )
            conn.execute(text("SELECT 1")).scalar_one()
            conn.rollback()
        with db.engine.connect() as other:
            left = other.execute(
                text("SELECT count(*) FROM worker_heartbeats WHERE hostname = 'rollback-check'")
            ).scalar_one()
    assert left == 0


@on_postgresql
def test_a_failed_transaction_is_rolled_back_and_the_connection_serves_the_next(app):
    with app.app_context(), db.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT 1 / (SELECT count(*) - count(*) FROM worker_heartbeats)"))
        conn.rollback()
        assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42


@on_postgresql
def test_checking_a_connection_before_use_leaves_nothing_prepared_behind(app):
    with app.app_context(), db.engine.connect() as conn:
        before = _all_prepared(conn)
        conn.commit()  # the ping runs outside any transaction, as the pool runs it
        raw = conn.connection.dbapi_connection
        for _ in range(5):
            assert ping_server(raw)
        assert _all_prepared(conn) == before


def _one_connection(app):
    """An engine of one pooled connection, checked before use as the application's are."""
    engine = create_engine(
        app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0, pool_pre_ping=True
    )
    keep_prepared_statements(engine)
    return engine


def _backend(conn) -> int:
    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    conn.commit()
    return pid


@on_postgresql
def test_a_connection_the_server_ended_is_replaced_before_it_is_used(app):
    engine = _one_connection(app)
    try:
        with engine.connect() as conn:
            ended = _backend(conn)
        with app.app_context(), db.engine.connect() as other:
            # As a restart ends every session; waits until the backend has gone.
            assert other.execute(
                text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": ended}
            ).scalar_one()
        with engine.connect() as conn:  # no error: the pool noticed and connected again
            assert _backend(conn) != ended
    finally:
        engine.dispose()


@on_postgresql
def test_taking_a_live_connection_from_the_pool_costs_no_round_trip(app, tmp_path):
    engine = _one_connection(app)
    trace = tmp_path / "protocol.log"
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            pid = _backend(conn)
        with open(trace, "w") as fh:
            raw.pgconn.trace(fh.fileno())
            try:
                with engine.connect() as conn:
                    checked_out = conn.connection.dbapi_connection
            finally:
                raw.pgconn.untrace()
        assert checked_out is raw
        assert trace.read_text() == ""  # not a message either way
        with engine.connect() as conn:
            assert _backend(conn) == pid
    finally:
        engine.dispose()
