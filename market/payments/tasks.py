"""Payments' background work (core.worker): milestone deadlines, and the daily
reconciliation with the gateway."""

from datetime import timedelta

from flask import current_app

from ..core.clock import utcnow
from ..extensions import db
from . import gateway, services
from .reconcile import last_run, reconcile

DAY = timedelta(days=1)


def apply_deadlines() -> int:
    """Milestones falling overdue or to be reported, one committed round."""
    changed = services.run_due()
    db.session.commit()
    return changed


def daily_reconciliation() -> int:
    """Reconcile with the gateway once a day (only when online payment is configured)."""
    if not gateway.configured():
        return 0
    previous = last_run()
    if previous is not None and utcnow() - previous.started_dt < DAY:
        return 0
    try:
        run = reconcile()
    except gateway.GatewayError as err:
        db.session.rollback()
        current_app.logger.warning("reconciliation could not read the gateway: %s", err)
        return 0
    db.session.commit()
    return run.repaired
