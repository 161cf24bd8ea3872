"""The `flask market` command group."""

import csv
import os
import signal
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from .accounts.passwords import rule_text
from .accounts.services import create_staff_user
from .agencies.qualifications import expire_due
from .catalogue.services import load_items, seed_rows
from .config import DefaultConfig
from .core import backup, worker
from .core.audit import verify_chain
from .core.clock import to_local
from .core.errors import ServiceError, format_size
from .core.hashing import canonical_json
from .core.mail import deliver_outbox
from .core.models import CalendarOverride
from .core.money import format_fen
from .demo import DEMO_PASSWORD, load_demo
from .extensions import db
from .opendata import bulk
from .procurement.models import Notice
from .procurement.services import remind_due, run_due, verify_selection
from .search import engine as search_engine
from .statistics.filters import FilterError
from .statistics.report import write_monthly_report


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
# The rule is shown in --help and above the prompt, before the first try (with the default
# length: a configured one differs only if set, and the check then names it).
@click.password_option(
    help=rule_text(DefaultConfig.PASSWORD_MIN_LENGTH),
    prompt=f"密码规则：{rule_text(DefaultConfig.PASSWORD_MIN_LENGTH)}\n密码",
    confirmation_prompt="再次输入密码",
)
@with_appcontext
def create_user(role, email, name, org_name, department, password):
    """Create a regulator or operator account."""
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
    created = load_demo()
    db.session.commit()
    click.echo("演示数据已加载" if created else "演示数据已存在，未重复加载")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for role, email in (
        ("采购人", "purchaser01@demo.cn"),
        ("中介机构", "agency01@demo.cn"),
        ("监管部门", "regulator@demo.cn（规划自然资源部门）"),
        ("监管部门", "regulator-env@demo.cn（生态环境部门）"),
        ("监管部门", "regulator-qx@demo.cn（气象部门）"),
        ("监管部门", "regulator-credit@demo.cn（发展改革部门，维护认定标准）"),
        ("运营方", "operator@demo.cn"),
    ):
        click.echo(f"  {role:<6} {email}")


@market_cli.command("run-due")
@with_appcontext
def run_due_command():
    """Apply every deadline transition that is due, expire qualifications, send reminders and
    the mail waiting (for cron; the worker does all of this continuously)."""
    # Committed in rounds: each transaction holds the audit chain's lock, so keep them short.
    changed = 0
    while True:
        done = run_due(limit=500)
        db.session.commit()
        changed += done
        if done < 500:
            break
    expired = expire_due()
    reminded = remind_due()
    db.session.commit()
    sent, failed = deliver_outbox()
    click.echo(f"已处理到期公告 {changed} 个，到期资质 {expired} 项，发送期限提醒 {reminded} 条")
    click.echo(f"发出邮件 {sent} 封" + (f"，{failed} 封发送失败，留待重试" if failed else ""))


@market_cli.command("worker")
@click.option(
    "--once", is_flag=True, help="每项任务做完当前积压后退出（供 cron、测试和基准测试使用）"
)
@with_appcontext
def worker_command(once):
    """Run the background worker: deadlines, reminders, expiries, the mail and search
    outboxes (several may run at once, on several hosts)."""
    app = current_app._get_current_object()
    names = "、".join(t.name for t in worker.tasks(app))
    if once:
        done = worker.run_once(app)
        click.echo("；".join(f"{name} {count}" for name, count in done.items()))
        return
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    click.echo(f"后台任务已启动：{names}（Ctrl+C 停止）")
    worker.run_forever(app, stop=lambda: bool(stopping))
    click.echo("后台任务已停止")


@market_cli.command("calendar-override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--holiday", required=True, help="该日为工作日（调休上班）或休息日")
@click.option("--note", default="", help="依据，例如国务院办公厅通知文号")
@with_appcontext
def calendar_override(day, working, note):
    """Record that DAY is a working day or a holiday, overriding the holidays package."""
    the_day: date = day.date()
    row = db.session.get(CalendarOverride, the_day) or CalendarOverride(day=the_day)
    row.is_working_day = working
    row.note = note
    db.session.add(row)
    db.session.commit()
    click.echo(f"{the_day} 已设为{'工作日' if working else '休息日'}")


def _check_audit() -> bool:
    """Check the audit log's hash chain and say what was found; True if it is whole."""
    ok, bad_id, checked = verify_chain()
    if ok:
        click.echo(f"审计链完整：共 {checked} 条")
        return True
    click.echo(
        f"审计链断裂：第一条不符的审计记录编号为 {bad_id}（已核对 {checked} 条），"
        "该记录或其之前的记录被修改、删除或调换了顺序",
        err=True,
    )
    return False


@market_cli.command("verify-audit")
@with_appcontext
def verify_audit():
    """Check the audit log's hash chain; exit 1 at the first event that breaks it."""
    if not _check_audit():
        sys.exit(1)


@market_cli.command("verify-draw")
@click.argument("notice_id", type=int)
@with_appcontext
def verify_draw(notice_id):
    """Re-run every selection round of NOTICE_ID from its published data; exit 1 on a mismatch."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        click.echo(f"错误：公告 {notice_id} 不存在", err=True)
        sys.exit(1)
    click.echo(f"公告 {notice.id}「{notice.title}」· {notice.method_label}")
    if not notice.selections:
        click.echo("该公告尚无选取记录")
        return
    names = {c["bid_id"]: c["agency"] for s in notice.selections for c in s.candidates}

    def result(winner_id, failure):
        return f"{names.get(winner_id, '')}（报价编号 {winner_id}）" if winner_id else failure

    mismatches = 0
    for sel in notice.selections:
        check = verify_selection(sel)
        click.echo(
            f"第 {sel.round} 轮 · 算法 {sel.algorithm} · {to_local(sel.created_dt):%Y-%m-%d %H:%M}"
        )
        click.echo("  候选（按报价编号）：")
        for c in sel.candidates:
            extra = (
                f" 技术评分 {c['technical_score']}" if c.get("technical_score") is not None else ""
            )
            click.echo(
                f"    #{c['bid_id']} {c['agency']} {format_fen(c['amount_fen'])} "
                f"信用分 {c['credit_score']}{extra} 承诺值 {c['commitment']}"
            )
        click.echo(f"  种子输入：{canonical_json(sel.seed_inputs)}")
        click.echo(f"  随机种子：{sel.seed}")
        click.echo(f"  参数：{canonical_json(sel.parameters)}")
        click.echo(f"  结果：{result(sel.winner_bid_id, sel.failure)}")
        rerun = result(check.rerun.winner_bid_id, check.rerun.failure)
        click.echo(f"  重新运行：种子 {check.seed}；结果 {rerun}")
        if check.ok:
            click.echo("  复核一致 ✓")
        else:
            mismatches += 1
            for problem in check.problems:
                click.echo(f"  复核不一致 ✗：{problem}", err=True)
    if mismatches:
        sys.exit(1)


@market_cli.command("monthly-report")
@click.argument("month")
@click.option(
    "--output",
    "folder",
    type=click.Path(file_okay=False),
    help="输出目录（缺省为 instance/reports）",
)
@with_appcontext
def monthly_report(month, folder):
    """Write MONTH's statistics (YYYY-MM, e.g. 2026-11) as HTML and PDF, with the charts."""
    try:
        written = write_monthly_report(month, folder)
    except FilterError as err:
        click.echo(f"错误：{err}", err=True)
        sys.exit(1)
    click.echo(f"{written.month} 统计月报：")
    click.echo(f"  HTML  {written.html_path}")
    if written.pdf_path is None:
        click.echo(
            f"错误：本机缺少 WeasyPrint 所需的系统库，未能生成 PDF（{written.pdf_error}）",
            err=True,
        )
        sys.exit(1)
    click.echo(f"  PDF   {written.pdf_path}")


@market_cli.command("opendata-bulk")
@with_appcontext
def opendata_bulk_command():
    """Write today's bulk download files now (again, if the worker wrote them already)."""
    written = bulk.write_day()
    purged = bulk.purge(date.fromisoformat(written["date"]))
    click.echo(f"开放数据文件已写入 {os.path.join(bulk.folder(), written['date'])}")
    for f in written["files"]:
        click.echo(
            f"  {f['name']:<28} {f['rows']:>8} 行  {format_size(f['size']):>10}  {f['sha256']}"
        )
    if purged:
        click.echo(f"删除超过保留期的 {purged} 天的文件")


@market_cli.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send the messages waiting in the outbox (after a mail-server outage, or from cron)."""
    sent, failed = deliver_outbox()
    click.echo(f"发出邮件 {sent} 封" + (f"，{failed} 封发送失败，留待重试" if failed else ""))
    sys.exit(1 if failed else 0)


@market_cli.command("backup")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help="备份文件路径（缺省为 instance/backups/market-YYYYMMDD-HHMMSS.tar.gz）",
)
@with_appcontext
def backup_command(output):
    """Write the database, the uploaded files and a manifest into one .tar.gz archive (the
    site may keep running)."""
    try:
        result = backup.create_backup(output)
    except backup.BackupError as err:
        _fail(err)
    manifest = result.manifest
    rows = sum(manifest["row_counts"].values())
    files = sum(1 for name in manifest["members"] if name.startswith(f"{backup.UPLOADS}/"))
    click.echo(f"备份已写入 {result.path}（{format_size(result.size)}）")
    click.echo(
        f"数据库 {backup.KIND_LABELS[manifest['database']]}，结构版本 "
        f"{manifest['alembic_revision']}，{len(manifest['row_counts'])} 张表共 {rows} 行；"
        f"上传文件 {files} 个"
    )


@market_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="目标数据库已有数据时，确认用备份覆盖")
@with_appcontext
def restore_command(path, yes):
    """Restore a backup archive into this instance (stop the site and the worker first), then
    rebuild the search index and check the audit chain and the row counts."""
    try:
        result = backup.restore_backup(path, overwrite=yes, say=click.echo)
    except backup.BackupError as err:
        _fail(err)
    click.echo(f"数据库和 {result.uploads} 个上传文件已恢复")
    # The index is not in the archive: built again from the restored database.
    click.echo("正在重建搜索索引……")
    try:
        indexed = search_engine.rebuild()
    except Exception as err:  # the data is restored; only the index is missing
        click.echo(f"错误：搜索索引重建失败：{err}；请运行 flask search rebuild", err=True)
        sys.exit(1)
    click.echo("搜索索引已重建：" + "，".join(f"{k} {n} 条" for k, n in indexed.items()))
    audit_ok = _check_audit()
    counts_ok = _report_counts(result)
    if not (audit_ok and counts_ok):
        sys.exit(1)
    click.echo("恢复完成")


def _report_counts(result) -> bool:
    """Print each table's rows in the manifest and now; True if they agree (a schema upgraded
    after the restore may change them: then differences are reported, not failed)."""
    differ = 0
    click.echo("各表行数（备份清单 → 恢复后）：")
    for name, expected, now in backup.compare_counts(result.manifest, result.counts):
        if expected == now:
            mark = "一致"
        else:
            differ += 1
            mark = "不一致"
        click.echo(f"  {name:<28} {_rows(expected):>8} → {_rows(now):<8} {mark}")
    if not differ:
        click.echo(f"{len(result.counts)} 张表的行数与备份清单一致")
        return True
    if result.upgraded_from:
        click.echo(f"{differ} 张表的行数与备份清单不同：数据库结构已从 {result.upgraded_from} 升级")
        return True
    click.echo(f"错误：{differ} 张表的行数与备份清单不一致", err=True)
    return False


def _rows(n: int | None) -> str:
    """A row count, or a dash for a table absent on that side."""
    return "—" if n is None else str(n)
