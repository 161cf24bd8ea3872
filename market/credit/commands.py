"""`flask credit recompute` (nightly) and `flask credit load-criteria`."""

import time
from pathlib import Path

import click

from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import _
from ..extensions import db
from .cli import credit_cli, fail
from .criteria import DEFAULT_CSV, load_criteria
from .records.listeners import report_overdue_deliveries
from .standing import recompute_all


@credit_cli.command("recompute")
def recompute():
    """Nightly: report deliveries overdue, then recompute every agency's score and measures
    (expired records and red-list entries, evaluations leaving the 12-month window)."""
    started = time.perf_counter()
    now = utcnow()
    overdue = report_overdue_deliveries(now)
    db.session.commit()
    counts = recompute_all(now)
    db.session.commit()
    click.echo(
        _(
            "逾期未交付新报告 %(overdue)s 条；重算 %(agencies)s 家机构，"
            "%(changed)s 家信用状况变化，用时 %(seconds)s 秒",
            overdue=overdue,
            agencies=counts["agencies"],
            changed=counts["changed"],
            seconds=f"{time.perf_counter() - started:.1f}",
        )
    )


@credit_cli.command("load-criteria")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False), required=False)
def load_criteria_command(csv_path):
    """Load a criteria CSV: new codes added, changed ones become new versions."""
    try:
        added, revised = load_criteria(Path(csv_path) if csv_path else DEFAULT_CSV)
    except ServiceError as err:
        db.session.rollback()
        fail(err)
    db.session.commit()
    click.echo(_("认定标准：新增 %(added)s 条，修订 %(revised)s 条", added=added, revised=revised))
