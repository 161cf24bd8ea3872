"""Connections to PostgreSQL: one kept per gunicorn thread, so a loaded site does not open a
new database backend for each request."""

import os

import pytest
from sqlalchemy import text

from market import create_app
from market.extensions import db


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


def test_each_process_keeps_16_connections_and_8_more_at_a_peak(tmp_path):
    with _app(tmp_path).app_context():
        assert db.engine.pool.size() == 16
        assert db.engine.pool._max_overflow == 8
        assert db.engine.pool._pre_ping


def test_the_pool_follows_the_threads_it_is_configured_for(tmp_path):
    with _app(tmp_path, DB_POOL_SIZE=32).app_context():
        assert db.engine.pool.size() == 32
        assert db.engine.pool._max_overflow == 16


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("MARKET_TEST_DATABASE_URL", ""),
    reason="prepared statements are PostgreSQL's (scripts/with-postgres.sh)",
)
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
