"""Connections to PostgreSQL: one kept per gunicorn thread, so a loaded site does not open a
new database backend for each request."""

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
