import pytest
from sqlalchemy import delete

from market.search import sync
from market.search.models import SearchOutbox


@pytest.fixture(autouse=True)
def search_index(app, db, tmp_path, monkeypatch):
    """Each test gets empty indexes of its own (Whoosh is not rolled back with the database),
    and an outbox without the rows the session's set-up left (the catalogue's)."""
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "search"))
    db.session.execute(delete(SearchOutbox))
    yield tmp_path / "search"


@pytest.fixture
def indexed():
    """Index what the test wrote so far (the outbox drained, as after a request's commit)."""

    def run():
        return sync.drain()

    return run
