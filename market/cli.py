"""The `flask market` command group."""

import sys
from datetime import date

import click
from flask.cli import with_appcontext

from .core.errors import ServiceError
from .extensions import db


@click.group("market")
def market_cli():
    """网上中介超市 administration commands."""


def _fail(err: ServiceError):
    click.echo(f"错误：{err.message}", err=True)
    sys.exit(1)


@market_cli.command("create-user")
@click.option("--role", type=click.Choice(["regulator", "operator"]), required=True)
@click.option("--email", required=True)
@click.option("--name", required=True, help="姓名")
@click.option("--org", "org_name", required=True, help="所属部门（监管部门名称或运营方）")
@click.option(
    "--department",
    default="",
    help="监管部门对应的审批部门（如 生态环境部门），缺省与 --org 相同",
)
@click.password_option()
@with_appcontext
def create_user(role, email, name, org_name, department, password):
    """Create a regulator or operator account."""
    from .accounts.services import create_staff_user

    try:
        user = create_staff_user(role, email, name, password, org_name, department)
    except ServiceError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"已创建{user.organisation.kind_label}账号 {user.email}（{org_name}）")


@market_cli.command("load-catalogue")
@click.argument("csv_path", required=False, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def load_catalogue(csv_path):
    """Load catalogue items (the shipped list, or CSV_PATH); existing codes are updated."""
    import csv

    from .catalogue.services import load_items, seed_rows

    if csv_path:
        with open(csv_path, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = seed_rows()
    try:
        created, updated = load_items(rows)
    except ServiceError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"中介服务事项：新增 {created} 项，更新 {updated} 项，共 {len(rows)} 项")


@market_cli.command("demo-data")
@with_appcontext
def demo_data():
    """Load demo organisations, users and notices in every state (idempotent)."""
    from .demo import DEMO_PASSWORD, load_demo

    created = load_demo()
    db.session.commit()
    click.echo("演示数据已加载" if created else "演示数据已存在，未重复加载")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for role, email in (
        ("采购人", "purchaser01@demo.cn"),
        ("中介机构", "agency01@demo.cn"),
        ("监管部门", "regulator@demo.cn"),
        ("运营方", "operator@demo.cn"),
    ):
        click.echo(f"  {role:<6} {email}")


@market_cli.command("run-due")
@with_appcontext
def run_due_command():
    """Apply every deadline transition that is due (run from cron or a systemd timer)."""
    from .agencies.qualifications import expire_due
    from .procurement.runner import run_due

    changed = run_due()
    expired = expire_due()
    db.session.commit()
    click.echo(f"已处理到期公告 {changed} 个，到期资质 {expired} 项")


@market_cli.command("calendar-override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--holiday", required=True, help="该日为工作日（调休上班）或休息日")
@click.option("--note", default="", help="依据，例如国务院办公厅通知文号")
@with_appcontext
def calendar_override(day, working, note):
    """Record that DAY is a working day or a holiday, overriding the holidays package."""
    from .core.models import CalendarOverride

    the_day: date = day.date()
    row = db.session.get(CalendarOverride, the_day) or CalendarOverride(day=the_day)
    row.is_working_day = working
    row.note = note
    db.session.add(row)
    db.session.commit()
    click.echo(f"{the_day} 已设为{'工作日' if working else '休息日'}")
