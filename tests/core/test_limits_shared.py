"""Several app hosts hold one limit together when the counts live in Redis (a real
redis-server), and each host counts alone with the default in-process storage."""

import uuid

import pytest
from flask_migrate import upgrade

from market import create_app
from market.extensions import db as _db

from ..conftest import TEST_CONFIG


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A database both hosts use, with the schema and nothing else."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hosts') / 'shared.sqlite3'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    return url


@pytest.fixture(autouse=True)
def sessions_end_with_their_requests(db, monkeypatch):
    # The suite keeps sessions open for its rollback; these hosts' requests must end theirs.
    monkeypatch.delattr(_db.session, "remove")


def host(database, storage, prefix):
    """One app host of the site."""
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database,
            "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_KEY_PREFIX": prefix,
        }
    )
    return app.test_client()


def downloads(client, times):
    return [client.get("/credit/blacklist.json").status_code for _ in range(times)]


def test_two_hosts_on_one_redis_allow_sixty_downloads_a_minute_between_them(database, redis_server):
    prefix = f"market-{uuid.uuid4().hex}"
    first, second = host(database, redis_server, prefix), host(database, redis_server, prefix)
    assert downloads(first, 30) == [200] * 30
    assert downloads(second, 30) == [200] * 30
    assert downloads(second, 1) == [429]
    assert downloads(first, 1) == [429]


def test_two_hosts_with_memory_storage_count_each_alone(database):
    first, second = (host(database, "memory://", "market") for _ in range(2))
    assert downloads(first, 60) == [200] * 60
    assert downloads(first, 1) == [429]
    assert downloads(second, 1) == [200]
