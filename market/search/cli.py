"""`flask search rebuild | sync | check`."""

import sys
import time

import click
from flask.cli import AppGroup

from ..extensions import db
from . import engine, sync
from .models import SearchOutbox

search_cli = AppGroup("search", help="全文检索索引：重建、同步、核对。")


@search_cli.command("rebuild")
@click.option("--kind", type=click.Choice(engine.KINDS), multiple=True, help="只重建某类索引")
def rebuild(kind):
    """Index everything again from the database (the outbox rows before it are covered)."""
    started = time.perf_counter()
    last = db.session.scalar(db.select(db.func.max(SearchOutbox.id)))
    bars = {}

    def progress(name, done, total):
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = click.progressbar(length=total, label=f"{name:8}")
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    counts = engine.rebuild(kind or None, progress)
    if last is not None:
        db.session.execute(db.delete(SearchOutbox).where(SearchOutbox.id <= last))
    db.session.commit()
    summary = "，".join(f"{k} {n} 条" for k, n in counts.items())
    click.echo(f"索引已重建：{summary}，用时 {time.perf_counter() - started:.1f} 秒")


@search_cli.command("sync")
def sync_command():
    """Index the changes waiting in the outbox (cron, and after an indexing failure); an index
    left by an older version is rebuilt first."""
    kinds = engine.outdated()
    if kinds:
        click.echo(f"索引结构已更新，重建：{'、'.join(kinds)}")
        engine.rebuild(kinds)
    click.echo(f"已同步 {sync.drain()} 条变更")


@search_cli.command("check")
def check():
    """Report documents missing from the index, stale in it, or left over in it."""
    report = engine.check()
    problems = 0
    for kind, found in report.items():
        if found.get("outdated"):
            problems += 1
            click.echo(f"{kind}：索引结构已过时，需要重建")
        for what, label in (("missing", "缺失"), ("stale", "过期"), ("extra", "多余")):
            if found[what]:
                problems += len(found[what])
                ids = "、".join(map(str, found[what][:20]))
                click.echo(f"{kind}：{label} {len(found[what])} 条（{ids}）")
    if problems:
        click.echo("请运行 flask search sync 或 flask search rebuild")
        sys.exit(1)
    click.echo("索引与数据库一致")
