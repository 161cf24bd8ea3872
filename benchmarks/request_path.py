"""Show that pages do no unbounded work on the request path: the same pages with 0 and with
2,000 overdue notices, then the background worker clearing them.

    .venv/bin/python benchmarks/request_path.py                        # temporary SQLite in /tmp
    .venv/bin/python benchmarks/request_path.py --database-url postgresql+psycopg://…  # empty
    .venv/bin/python benchmarks/request_path.py --postgres             # throw-away PostgreSQL 15

The database is the demo scale of benchmarks/pages.py (migrations, catalogue, demo data,
search index rebuilt) plus 2,000 published notices added in bulk (model objects committed in
batches, as benchmarks/run_due.py does; 3 in 5 with quotes, lowest price: due, the runner
selects at once), published ten days ago. They are switched between two states with one UPDATE
each time: "0 overdue", their deadline (and due_dt) a day ahead, and "2,000 overdue", their
deadline an hour ago with due_dt at it, as if cron had not run. Anonymous GETs are timed
in-process with the test client in both states, alternating (--rounds rounds of --requests
requests per page and state), so that drift in the machine's speed falls on both alike.

So that every sample meets the same 2,000 overdue notices, requests run as the test suite runs
them (tests/conftest.py, fixture `db`): the session's commit only flushes, and the session is
rolled back after each request. Pages:

- `/`, `/notices/` (their first page: the newest notices, the demo's) and one notice page (an
  evaluated notice of the demo): the 2,000 overdue notices must cost them nothing. Targets:
  p95 ≤ 200 ms; p50 and p95 with 2,000 overdue notices ≤ 1.5× those with none.
- `/notices/?page=K`, a page of the list showing 20 of the overdue notices, and the page of one
  overdue notice: these apply the deadlines of what they show (at most DUE_ON_READ_LIMIT per
  page) in every request, and are rendered again after it; their cost is bounded by what they
  show, never by the 2,000. Target: p95 ≤ 200 ms (the ratio printed is that bounded work).

Then real commits again, with the notices overdue, and they are applied by the background
worker run as a subprocess against the database: `flask --app market market worker --once`
(one pass over all pending work). Printed: how many of the 2,000 are still overdue afterwards
(target 0), their states, and how long it took.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from random import Random

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]
BIN = os.path.dirname(sys.executable)  # the virtualenv's flask

from flask import current_app, g  # noqa: E402
from pages import (  # noqa: E402
    analyze,
    app_env,
    create_database,
    empty_database,
    load_demo_data,
    ok,
    percentiles,
    pick_targets,
    prepare,
    rebuild_index,
    redacted,
    throwaway_postgres,
)
from sqlalchemy import func, select, update  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.accounts.models import Membership, Organisation  # noqa: E402
from market.agencies.models import Agency, Offering  # noqa: E402
from market.core.clock import utcnow  # noqa: E402
from market.core.models import OutgoingMail  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.models import Bid, Notice  # noqa: E402
from market.search.models import SearchOutbox  # noqa: E402

OVERDUE = 2000
P95_TARGET = 200  # ms
RATIO_TARGET = 1.5


def timed(app, paths, requests, warmups=3):
    """Samples (seconds) per page; each request's commit only flushes and the session is rolled
    back after it (as tests/conftest.py's `db` fixture does), so nothing a request applies
    stays for the next one."""
    client = app.test_client()
    session = db.session
    session.commit = session.flush  # the scoped session's attribute, as monkeypatch sets it
    session.remove = lambda: None
    out = {}
    try:
        for key, path in paths.items():
            times = []
            for n in range(warmups + requests):
                g.pop("_login_user", None)  # one app context for all: forget the cached user
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                session.rollback()
                session.expunge_all()
                if response.status_code != 200:
                    sys.exit(f"{path} 返回 {response.status_code}")
                if n >= warmups:
                    times.append(elapsed)
            out[key] = times
    finally:
        del session.commit, session.remove  # real commits again
        session.rollback()
    return out


def overdue_count(ids=None):
    stmt = select(func.count()).select_from(Notice).where(Notice.due_dt <= utcnow())
    if ids is not None:
        stmt = stmt.where(Notice.id.in_(ids))
    return db.session.scalar(stmt)


def add_notices(count, seed=2026):
    """`count` published notices, published ten days ago, quotes on 3 in 5 (lowest price: the
    runner selects at once); their deadline an hour ago (overdue: see `make_overdue`). Model
    objects, committed in batches of 1,000. Returns their ids."""
    rng = Random(seed)
    now = utcnow()
    deadline = now - timedelta(hours=1)
    buyers = db.session.execute(
        select(Organisation.id, Membership.user_id)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Organisation.kind == "purchaser")
        .order_by(Organisation.id)
    ).all()
    # agencies by the items they offer, with a member to submit the quotes
    offered = {}
    for item_id, org_id, user_id in db.session.execute(
        select(Offering.item_id, Agency.org_id, func.min(Membership.user_id))
        .join(Agency, Agency.org_id == Offering.agency_id)
        .join(Membership, Membership.organisation_id == Agency.org_id)
        .group_by(Offering.item_id, Agency.org_id)
    ):
        offered.setdefault(item_id, []).append((org_id, user_id))
    items = sorted(item for item, agencies in offered.items() if len(agencies) >= 3)
    ids = []
    for start in range(0, count, 1000):
        batch = []
        for i in range(start, min(count, start + 1000)):
            buyer = rng.choice(buyers)
            item_id = rng.choice(items)
            notice = Notice(
                purchaser_org_id=buyer[0],
                item_id=item_id,
                title=f"逾期基准项目 {i} 技术服务采购",
                scope="编制技术报告并配合审查",
                ceiling_fen=rng.randrange(5, 50) * 10_000_00,
                method="lowest",
                service_days=30,
                deadline_dt=deadline,
                contact_name="王五",
                contact_phone="023-67001234",
                created_by_id=buyer[1],
                created_dt=now - timedelta(days=11),
                published_dt=now - timedelta(days=10),
                state_changed_dt=now - timedelta(days=10),
                draw_salt=secrets.token_hex(16),
                state="published",
                due_dt=deadline,
            )
            db.session.add(notice)
            batch.append(notice)
            if rng.random() < 0.6:
                for org_id, user_id in rng.sample(offered[item_id], rng.randint(1, 3)):
                    db.session.add(
                        Bid(
                            notice=notice,
                            agency_org_id=org_id,
                            amount_fen=rng.randrange(
                                notice.ceiling_fen // 2, notice.ceiling_fen, 100_00
                            ),
                            plan="方案",
                            submitted_by_id=user_id,
                            submitted_dt=now - timedelta(days=2),
                            nonce=secrets.token_hex(16),
                            commitment=secrets.token_hex(32),
                        )
                    )
        db.session.commit()
        ids += [n.id for n in batch]
    # Index them now (the outbox rows written with them), so no timed request meets them.
    from market.search import sync

    sync.drain()
    db.session.commit()
    return ids


def make_overdue(ids, overdue: bool):
    """The notices' deadline (and due_dt) an hour ago, or a day ahead; committed."""
    moment = utcnow() + (timedelta(hours=-1) if overdue else timedelta(days=1))
    db.session.execute(
        update(Notice).where(Notice.id.in_(ids)).values(deadline_dt=moment, due_dt=moment)
    )
    db.session.commit()
    db.session.expunge_all()


def pages_of(ids, notice_id):
    """The paths timed: (key, label, path, whether the 2,000 must cost it nothing)."""
    per_page = current_app.config["PER_PAGE"]
    # The first page of the list made only of the added notices (they are the oldest shown):
    # how many published notices the list shows before the newest of them.
    newest = db.session.get(Notice, max(ids))
    before = db.session.scalar(
        select(func.count())
        .select_from(Notice)
        .where(
            Notice.published_dt.is_not(None),
            (Notice.published_dt > newest.published_dt)
            | ((Notice.published_dt == newest.published_dt) & (Notice.id > newest.id)),
        )
    )
    page = before // per_page + 2
    return (
        ("home", "首页", "/", True),
        ("notices", "公告列表（首页）", "/notices/", True),
        ("notice", "公告详情（演示公告）", f"/notices/{notice_id}", True),
        (
            "overdue_list",
            f"公告列表第 {page} 页（{per_page} 个逾期）",
            f"/notices/?page={page}",
            False,
        ),
        ("overdue_notice", "逾期公告的详情", f"/notices/{newest.id}", False),
    )


def report(samples, pages, requests, rounds):
    print(
        f"\n### 请求路径：0 与 {OVERDUE:,} 个逾期公告（进程内，交替 {rounds} 轮，"
        f"每轮每页 {requests} 次）\n"
    )
    print("| 页面 | 路径 | 0 个逾期：p50 / p95 | 2,000 个逾期：p50 / p95 | 倍数 p50 / p95 | 目标 |")
    print("|---|---|---|---|---|---|")
    for key, label, path, unaffected in pages:
        (b50, b95), (a50, a95) = percentiles(samples[False][key]), percentiles(samples[True][key])
        r50, r95 = a50 / b50, a95 / b95
        if unaffected:
            target = f"p95 ≤ {P95_TARGET} ms，倍数 ≤ {RATIO_TARGET}"
            good = a95 <= P95_TARGET and b95 <= P95_TARGET and max(r50, r95) <= RATIO_TARGET
        else:
            target = f"p95 ≤ {P95_TARGET} ms（每次请求处理所示逾期公告）"
            good = a95 <= P95_TARGET and b95 <= P95_TARGET
        print(
            f"| {label} | `{path}` | {b50:.1f} / {b95:.1f} ms | {a50:.1f} / {a95:.1f} ms "
            f"| {r50:.2f}× / {r95:.2f}× | {target}：{ok(good)} |"
        )


def run(url, workdir, app, requests, rounds):
    prepare(app, url, workdir)
    print(f"数据库：{db.engine.dialect.name}：{redacted(url)}", flush=True)
    started = time.perf_counter()
    load_demo_data()
    rebuild_index()
    print(f"演示数据与索引：{time.perf_counter() - started:.1f} 秒", flush=True)
    notice_id = pick_targets()["notice"]
    started = time.perf_counter()
    ids = add_notices(OVERDUE)
    with_bids = db.session.scalar(
        select(func.count(func.distinct(Bid.notice_id))).where(Bid.notice_id.in_(ids))
    )
    analyze()
    print(
        f"已添加公告 {len(ids):,} 个（其中有报价 {with_bids:,} 个），"
        f"用时 {time.perf_counter() - started:.1f} 秒",
        flush=True,
    )
    pages = pages_of(ids, notice_id)
    paths = {key: path for key, _, path, _ in pages}
    samples = {False: {key: [] for key in paths}, True: {key: [] for key in paths}}
    for round_ in range(1, rounds + 1):
        for overdue in (False, True):
            make_overdue(ids, overdue)
            print(f"第 {round_} 轮：逾期公告 {overdue_count()} 个", flush=True)
            for key, times in timed(app, paths, requests).items():
                samples[overdue][key] += times
    if overdue_count(ids) != OVERDUE:
        sys.exit(f"计时后仍逾期的只有 {overdue_count(ids)} 个：有请求提交了它们")
    report(samples, pages, requests, rounds)

    db.session.remove()
    db.engine.dispose()  # the worker has the database to itself (SQLite: no open transaction)
    shown, elapsed, code = run_worker(url, workdir)
    left = overdue_count(ids)
    states = dict(
        db.session.execute(
            select(Notice.state, func.count()).where(Notice.id.in_(ids)).group_by(Notice.state)
        ).all()
    )
    print(
        f"\n后台处理：`{shown}` 用时 {elapsed:.1f} 秒（含进程启动），退出码 {code}；"
        f"{OVERDUE:,} 个中仍逾期 {left} 个（目标 0：{ok(left == 0)}）"
    )
    print("处理后这些公告的状态：" + "，".join(f"{s} {n}" for s, n in sorted(states.items())))
    unsent = db.session.scalar(
        select(func.count()).select_from(OutgoingMail).where(OutgoingMail.sent_dt.is_(None))
    )
    unindexed = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    print(f"之后发件箱待发邮件 {unsent} 封，search_outbox 待索引 {unindexed} 行")
    db.session.remove()
    db.engine.dispose()


def run_worker(url, workdir):
    """One pass of the background worker over everything pending, as a subprocess."""
    env = app_env(url, workdir)
    command = [os.path.join(BIN, "flask"), "--app", "market", "market", "worker", "--once"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    shown = " ".join(["flask", *command[1:]])
    print(f"\n$ {shown}（退出码 {done.returncode}，用时 {elapsed:.1f} 秒）")
    for line in (done.stdout + done.stderr).strip().splitlines()[-15:]:
        print(f"  {line}")
    return shown, elapsed, done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="per page, state and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two states")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an EMPTY database (default: SQLite in /tmp)")
    where.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL 15")
    args = parser.parse_args()
    with ExitStack() as stack:
        base = stack.enter_context(throwaway_postgres()) if args.postgres else None
        url = create_database(base, "market_request_path") if base else args.database_url
        app, url, workdir = stack.enter_context(benchmark_app("market-request-path-", url))
        with app.app_context():
            run(url, workdir, app, args.requests, args.rounds)
            if args.database_url:
                empty_database()
                db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
