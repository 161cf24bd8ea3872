"""Procurement's background work (core.worker): apply deadlines, send reminders."""

import time

from ..extensions import db
from .reminders import remind_due
from .runner import run_due

#: notices whose deadline failed to apply, by id → when: left out for a while, so one broken
#: notice is retried every RETRY_FAILED_SECONDS rather than in every round
_FAILED: dict[int, float] = {}
RETRY_FAILED_SECONDS = 600
#: notices per round: each round is one transaction, kept short (it holds the audit chain)
ROUND = 500


def apply_deadlines() -> int:
    """One round of due deadlines, committed; returns how many notices changed."""
    now = time.monotonic()
    for notice_id, at in list(_FAILED.items()):
        if now - at > RETRY_FAILED_SECONDS:
            del _FAILED[notice_id]
    failed = []
    changed = run_due(limit=ROUND, skip=set(_FAILED), failed=failed)
    db.session.commit()
    _FAILED.update(dict.fromkeys(failed, now))
    return changed


def send_reminders() -> int:
    """Reminders of deadlines close ahead (once per deadline and party), committed."""
    sent = remind_due()
    db.session.commit()
    return sent
