"""The catalogue's background work (core.worker): revisions and batches whose effective date
has come, and imports whose checking nobody is watching."""

from ..extensions import db
from . import imports, revisions


def apply_due_changes() -> int:
    """Apply the catalogue's due revisions and finish checking uploaded imports; one commit."""
    applied = revisions.apply_due()
    for job in imports.pending_imports():
        while imports.check_chunk(job):
            pass
    db.session.commit()
    return applied
