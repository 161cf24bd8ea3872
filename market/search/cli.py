"""`flask search rebuild | sync | check`."""

import sys
import time

import click
from flask.cli import AppGroup

from ..core.i18n import _, _l
from ..extensions import db
from . import engine, sync
from .models import SearchOutbox

search_cli = AppGroup("search", help=_l("全文检索索引：重建、同步、核对。"))


@search_cli.command("rebuild")
@click.option("--kind", type=click.Choice(engine.KINDS), multiple=True, help=_l("只重建某类索引"))
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
    summary = _("，").join(_("%(kind)s %(count)s 条", kind=k, count=n) for k, n in counts.items())
    seconds = f"{time.perf_counter() - started:.1f}"
    click.echo(_("索引已重建：%(summary)s，用时 %(seconds)s 秒", summary=summary, seconds=seconds))


@search_cli.command("sync")
def sync_command():
    """Index the changes waiting in the outbox (cron, and after an indexing failure); an index
    left by an older version is rebuilt first."""
    kinds = engine.outdated()
    if kinds:
        click.echo(_("索引结构已更新，重建：%(kinds)s", kinds=_("、").join(kinds)))
        engine.rebuild(kinds)
    click.echo(_("已同步 %(count)s 条变更", count=sync.drain()))


@search_cli.command("check")
def check():
    """Report documents missing from the index, stale in it, or left over in it."""
    report = engine.check()
    problems = 0
    for kind, found in report.items():
        if found.get("outdated"):
            problems += 1
            click.echo(_("%(kind)s：索引结构已过时，需要重建", kind=kind))
        for what, label in (("missing", _("缺失")), ("stale", _("过期")), ("extra", _("多余"))):
            if found[what]:
                problems += len(found[what])
                ids = _("、").join(map(str, found[what][:20]))
                click.echo(
                    _(
                        "%(kind)s：%(label)s %(count)s 条（%(ids)s）",
                        kind=kind,
                        label=label,
                        count=len(found[what]),
                        ids=ids,
                    )
                )
    if problems:
        click.echo(_("请运行 flask search sync 或 flask search rebuild"))
        sys.exit(1)
    click.echo(_("索引与数据库一致"))
