"""Mail about an action goes out when its transaction commits: the test transaction never
commits, so these tests' commit also sends what was queued (as the real commit's hook does)."""

import pytest

from market.core.mail import outbox, send_queued_mail


@pytest.fixture(autouse=True)
def mail_on_commit(db, monkeypatch):
    def commit():
        db.session.flush()
        send_queued_mail()

    monkeypatch.setattr(db.session, "commit", commit)
    outbox().clear()
    yield outbox()
    outbox().clear()
