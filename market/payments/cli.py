"""`flask payments …`: reconciliation with the gateway, and the due milestones at once."""

import click
from flask.cli import AppGroup

from ..extensions import db
from . import gateway, services
from .reconcile import reconcile

payments_cli = AppGroup("payments", help="付款：与支付平台对账、处理到期付款节点")


@payments_cli.command("reconcile")
def reconcile_command():
    """Compare local payments with Stripe's records; repair what they settle, report the rest."""
    if not gateway.configured():
        click.echo("未配置在线支付（STRIPE_SECRET_KEY），线下转账无需对账")
        return
    try:
        run = reconcile()
    except gateway.GatewayError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(f"核对 {run.checked} 笔在线付款，修复 {run.repaired} 处")
    for finding in run.findings:
        click.echo(
            f"- [{finding['kind']}] {finding['text']}（付款 {finding.get('payment_id', '-')}）"
        )


@payments_cli.command("run-due")
def run_due_command():
    """Apply due milestone deadlines now (the worker does this every minute)."""
    changed = services.run_due()
    db.session.commit()
    click.echo(f"处理到期付款节点 {changed} 个")
