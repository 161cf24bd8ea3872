"""Mail a request queues is sent at its commit: the test's transaction never commits, so a test
asking for `mailbox` has its commits send what was queued too (as the worker would after the
real commit), and reads the messages from the memory outbox."""

import pytest

from market.core.mail import outbox, send_queued_mail

from ..conftest import commit_in_test


@pytest.fixture
def mailbox(db, monkeypatch):
    def commit():
        commit_in_test()
        send_queued_mail()

    monkeypatch.setattr(db.session, "commit", commit)
    outbox().clear()
    yield outbox()
    outbox().clear()
