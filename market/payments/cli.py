"""`flask payments …`: reconciliation with the gateway, and the due milestones at once."""

import click
from flask.cli import AppGroup

from ..core.i18n import _, _l
from ..extensions import db
from . import gateway, services
from .reconcile import reconcile

payments_cli = AppGroup("payments", help=_l("付款：与支付平台对账、处理到期付款节点"))


@payments_cli.command("reconcile")
def reconcile_command():
    """Compare local payments with Stripe's records; repair what they settle, report the rest."""
    if not gateway.configured():
        click.echo(_("未配置在线支付（STRIPE_SECRET_KEY），线下转账无需对账"))
        return
    try:
        run = reconcile()
    except gateway.GatewayError as err:
        db.session.rollback()
        raise click.ClickException(str(err.message)) from err
    db.session.commit()
    click.echo(
        _(
            "核对 %(checked)s 笔在线付款，修复 %(repaired)s 处",
            checked=run.checked,
            repaired=run.repaired,
        )
    )
    for finding in run.findings:
        click.echo(
            _(
                "- [%(kind)s] %(text)s（付款 %(payment)s）",
                kind=finding["kind"],
                text=finding["text"],
                payment=finding.get("payment_id", "-"),
            )
        )


@payments_cli.command("run-due")
def run_due_command():
    """Apply due milestone deadlines now (the worker does this every minute)."""
    changed = services.run_due()
    db.session.commit()
    click.echo(_("处理到期付款节点 %(n)s 个", n=changed))
