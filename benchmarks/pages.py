"""Serve the main pages with gunicorn beside a hand-written yardstick (anchor.py) and compare.

    .venv/bin/python benchmarks/pages.py                              # SQLite: demo, then 20,000
    .venv/bin/python benchmarks/pages.py --scales demo --rounds 3 --seconds 5
    .venv/bin/python benchmarks/pages.py --postgres                   # throw-away PostgreSQL 15
    .venv/bin/python benchmarks/pages.py --database-url postgresql+psycopg://…  # an EMPTY db

Needs wrk (apt-get install -y wrk). Each scale gets its own database: an empty one migrated with
the real migrations, the catalogue and the demo data (`flask market demo-data`), and at 20,000
as many notices (in every state, with their bids, selections, contracts, deliveries,
evaluations and audit trail, published over the last year) and 10,000 agencies (offerings,
qualifications, practitioners, past performance, some conduct records and red-list entries)
added in bulk with Core inserts; the credit standings recomputed and the search index rebuilt
(and on PostgreSQL the tables ANALYZEd). No deadline is due while the benchmark runs.

The pages kept for visitors who are not signed in (the notice page, the agency page and the
credit page, rendered once per version of the notice or agency; search, once per version of
the index: core/pagecache.py) are measured twice: as such visitors get them, and rendered on
every request (PUBLIC_PAGE_SECONDS=0, a server of its own), the cost of a first visit after
each change.

Per page (anonymous GET): the application under gunicorn (2 sync workers, `wsgi:app`,
configured by MARKET_* variables) and the anchor (gunicorn, 2 workers, another port) are loaded
in turn with `wrk -t2 -c16 --latency` (anchor, page; --rounds times, --seconds each); printed
are the page's req/s (median of rounds), p50 and p99 latency, its ratio to the anchor measured
in the same alternation, the SQL queries the page issues and its in-process p50 (test client).
Targets (reported, not asserted): the notice list ≥ 0.5 of the anchor, every other page
≥ 0.35; ≤ 12 queries per page; in-process p50 at 20,000 notices ≤ 1.5× the demo figure. For
that last figure the scales' applications are kept open and measured again at the end taking
turns (--rounds rounds of --requests requests per page and scale), so that drift in the
machine's speed falls on both alike (with --database-url, emptied between scales, the figures
measured one after the other are compared instead).
With --database-url the database is emptied again after each scale.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

import statistics  # noqa: E402

BIN = os.path.dirname(sys.executable)  # the virtualenv's gunicorn and flask

from bulk import Bulk  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, delete, event, func, inspect, select, text  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.agencies.models import (  # noqa: E402
    Agency,
    Offering,
    PastPerformance,
)
from market.catalogue.services import load_items, seed_rows  # noqa: E402
from market.core.clock import utcnow  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.contract_models import Contract  # noqa: E402
from market.procurement.models import Bid, Notice, Selection  # noqa: E402

#: (key, label, path); {notice} and {agency} are filled per scale
PAGES = (
    ("home", "首页", "/"),
    ("notices", "公告列表", "/notices/"),
    ("notice", "公告详情", "/notices/{notice}"),
    ("notice_rendered", "公告详情（每次渲染）", "/notices/{notice}"),
    ("directory", "机构名录", "/agencies/"),
    ("agency", "机构主页", "/agencies/{agency}"),
    ("agency_rendered", "机构主页（每次渲染）", "/agencies/{agency}"),
    ("credit", "信用档案", "/credit/agencies/{agency}"),
    ("credit_rendered", "信用档案（每次渲染）", "/credit/agencies/{agency}"),
    ("search", "搜索", "/search?q=环评"),
    ("search_rendered", "搜索（每次渲染）", "/search?q=环评"),
)
#: pages measured with the public page cache off (PUBLIC_PAGE_SECONDS=0)
RENDERED = {"notice_rendered", "agency_rendered", "credit_rendered", "search_rendered"}
RATIO_TARGET = {"notices": 0.5}
DEFAULT_RATIO_TARGET = 0.35
MAX_QUERIES = 12
GROWTH_TARGET = 1.5
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def ok(good):
    return "达标" if good else "未达标"


def percentiles(times):
    """(p50, p95) in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redacted(url):
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# --- PostgreSQL --------------------------------------------------------------------------------


@contextmanager
def throwaway_postgres():
    """A PostgreSQL 15 server started as scripts/with-postgres.sh starts one (initdb as user
    postgres under /tmp, a free loopback port, fsync off), stopped and deleted at the end.
    Yields its base URL (add /dbname)."""
    initdb, pg_ctl = os.path.join(PG_BIN, "initdb"), os.path.join(PG_BIN, "pg_ctl")
    if not os.access(initdb, os.X_OK):
        sys.exit(f"在 {PG_BIN} 找不到 PostgreSQL 15：请先 apt-get install -y postgresql")
    root = os.getuid() == 0
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []  # the server refuses root
    tmp = tempfile.mkdtemp(prefix="market-pg.", dir="/tmp")
    data, sock, log = (os.path.join(tmp, name) for name in ("data", "sock", "server.log"))
    os.makedirs(sock)
    if root:
        subprocess.run(["chown", "-R", "postgres:postgres", tmp], check=True)

    def run(*args):
        return subprocess.run([*as_pg, *args], cwd=tmp, capture_output=True, text=True)

    try:
        done = run(
            initdb, "-D", data, "-U", "app", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"
        )
        if done.returncode:
            sys.exit(f"initdb 失败：\n{done.stdout}{done.stderr}")
        for _ in range(5):
            port = free_port()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -k {sock} -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off"
            )
            if (
                run(
                    pg_ctl, "-D", data, "-l", log, "-w", "-t", "30", "-o", options, "start"
                ).returncode
                == 0
            ):
                break
        else:
            with open(log) as fh:
                sys.exit(f"PostgreSQL 没有启动：\n{fh.read()}")
        version = subprocess.run(
            [os.path.join(PG_BIN, "postgres"), "--version"], capture_output=True, text=True
        ).stdout.split()[2]
        print(f"临时 PostgreSQL {version}：127.0.0.1:{port}（{tmp}）", flush=True)
        yield f"postgresql+psycopg://app@127.0.0.1:{port}"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            run(pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(base_url, name):
    """CREATE DATABASE on the throw-away server; returns its URL."""
    admin = create_engine(f"{base_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base_url}/{name}"


def empty_database():
    """Drop every table (as tests/conftest.py's reset_schema does), leaving the database empty."""
    db.session.rollback()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


# --- data --------------------------------------------------------------------------------------


def prepare(app, url, workdir):
    """An empty database → migrated, catalogue; SEARCH_INDEX_DIR in the work folder."""
    app.config["SEARCH_INDEX_DIR"] = os.path.join(workdir, "search")
    app.instance_path = workdir  # jieba's cache
    if inspect(db.engine).get_table_names():
        sys.exit(f"数据库 {redacted(url)} 不是空库：基准测试只在空库中建表和造数据")
    upgrade(directory=os.path.join(REPO, "migrations"))
    load_items(seed_rows())
    db.session.commit()


def load_demo_data():
    from market.demo import load_demo

    load_demo()
    db.session.commit()


def rebuild_index():
    """What `flask search rebuild` does: every index from the database, then the outbox rows
    written before it dropped."""
    from market.search import engine
    from market.search.models import SearchOutbox

    last = db.session.scalar(select(func.max(SearchOutbox.id)))
    counts = engine.rebuild()
    if last is not None:
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id <= last))
    db.session.commit()
    return counts


def analyze():
    """On PostgreSQL, ANALYZE the tables just filled (autovacuum would, in time): the planner
    then sees the real row counts. SQLite gathers no statistics by itself: left as it is."""
    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def build_scale(scale):
    """Demo data; at a numeric scale, bulk data on top up to that many notices. Returns
    a printable summary."""
    started = time.perf_counter()
    load_demo_data()
    timings = [f"演示数据 {time.perf_counter() - started:.1f} 秒"]
    if scale != "demo":
        started = time.perf_counter()
        Bulk(int(scale)).build()
        timings.append(f"批量数据 {time.perf_counter() - started:.1f} 秒")
    started = time.perf_counter()
    counts = rebuild_index()
    timings.append(f"重建索引 {time.perf_counter() - started:.1f} 秒（{counts}）")
    analyze()
    return "，".join(timings)


def table_counts():
    names = (
        "organisations",
        "agencies",
        "offerings",
        "notices",
        "bids",
        "selections",
        "contracts",
        "evaluations",
        "past_performances",
        "audit_events",
        "conduct_records",
    )
    return {n: db.session.scalar(text(f"SELECT count(*) FROM {n}")) for n in names}


def pick_targets():
    """The notice page: an evaluated notice with a contract and a selection (most bids); the
    agency pages: an agency with offerings and the most past contracts."""
    bids = select(func.count(Bid.id)).where(Bid.notice_id == Notice.id).scalar_subquery()
    notice = db.session.scalar(
        select(Notice.id)
        .join(Contract, Contract.notice_id == Notice.id)
        .where(
            Notice.state.in_(("evaluated", "contracted")),
            select(Selection.id).where(Selection.notice_id == Notice.id).exists(),
        )
        .order_by((Notice.state == "evaluated").desc(), bids.desc(), Notice.id.desc())
        .limit(1)
    )
    past = (
        select(func.count(PastPerformance.id))
        .where(PastPerformance.agency_id == Agency.org_id)
        .scalar_subquery()
    )
    agency = db.session.scalar(
        select(Agency.org_id)
        .where(select(Offering.id).where(Offering.agency_id == Agency.org_id).exists())
        .order_by(past.desc(), Agency.org_id)
        .limit(1)
    )
    if notice is None or agency is None:
        sys.exit("没有找到带合同和选取记录的公告，或带服务和业绩的机构")
    return {"notice": notice, "agency": agency}


def page_paths(targets):
    return {key: quote(path.format(**targets), safe="/?=&") for key, _, path in PAGES}


# --- in-process figures ------------------------------------------------------------------------


def in_process(app, paths, requests, warmups=5, show_sql=False):
    """Per page: the SQL statements one warm request issues, and p50/p95 over `requests`
    requests with the test client (each request in its own app context, as under gunicorn)."""
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    out = {}
    kept_seconds = app.config["PUBLIC_PAGE_SECONDS"]
    for key, path in paths.items():
        app.config["PUBLIC_PAGE_SECONDS"] = 0 if key in RENDERED else kept_seconds
        for _ in range(warmups):
            response = client.get(path)
            if response.status_code != 200:
                body = response.get_data(as_text=True)[:2000]
                sys.exit(f"{path} 返回 {response.status_code}：\n{body}")
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany, into=statements):
            into.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
        p50, p95 = percentiles(times)
        out[key] = {"queries": len(statements), "p50": p50, "p95": p95}
        if show_sql:
            print(f"\n--- {path}：{len(statements)} 条 SQL ---")
            for s in statements:
                print("  " + " ".join(s.split())[:300])
    app.config["PUBLIC_PAGE_SECONDS"] = kept_seconds
    return out


def app_env(url, workdir):
    """The environment that configures the application (gunicorn, the worker) on `url`."""
    return {
        **os.environ,
        "MARKET_SQLALCHEMY_DATABASE_URI": url,
        "MARKET_SECRET_KEY": "benchmark",
        "MARKET_SEARCH_INDEX_DIR": os.path.join(workdir, "search"),
        "MARKET_UPLOAD_FOLDER": os.path.join(workdir, "uploads"),
        "MARKET_MAIL_BACKEND": "memory",
    }


# --- under load --------------------------------------------------------------------------------


@contextmanager
def serve(name, command, env, cwd, port, workdir):
    """A gunicorn server, up when this yields; terminated (by its pid) at the end."""
    log_path = os.path.join(workdir, f"{name}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                with open(log_path) as fh:
                    sys.exit(f"{name} 没有启动：\n{fh.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"{name} 90 秒内没有响应")
                time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk(url, seconds, threads, connections):
    """One wrk run: req/s, p50 and p99 (ms), and the count of errors and non-2xx/3xx."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "--latency",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {
        int(m[1]): float(m[2]) * UNITS[m[3]]
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rps is None or 50 not in latency:
        sys.exit(f"无法解析 wrk 的输出：\n{out}")
    return {
        "rps": float(rps[1]),
        "p50": latency[50],
        "p99": latency.get(99, float("nan")),
        "errors": errors + (int(bad[1]) if bad else 0),
    }


def under_load(url, workdir, paths, args):
    """Start the application (twice: as configured, and rendering every page: RENDERED) and
    the anchor; per page, alternate anchor and page runs."""
    app_port, rendering_port, anchor_port = free_port(), free_port(), free_port()
    gunicorn = os.path.join(BIN, "gunicorn")
    common = ["-w", "2", "-k", "sync", "--timeout", "300", "--log-level", "warning"]
    env = {**app_env(url, workdir), "ANCHOR_DATABASE_URL": url}
    app_command = [gunicorn, *common, "-b", f"127.0.0.1:{app_port}", "wsgi:app"]
    rendering_command = [gunicorn, *common, "-b", f"127.0.0.1:{rendering_port}", "wsgi:app"]
    rendering_env = {**env, "MARKET_PUBLIC_PAGE_SECONDS": "0"}
    anchor_command = [
        gunicorn,
        *common,
        "--chdir",
        HERE,
        "-b",
        f"127.0.0.1:{anchor_port}",
        "anchor:app",
    ]
    load = (args.seconds, args.threads, args.connections)
    out = {}
    with ExitStack() as stack:
        stack.enter_context(serve("应用", app_command, env, REPO, app_port, workdir))
        stack.enter_context(serve("锚点", anchor_command, env, REPO, anchor_port, workdir))
        if RENDERED & set(paths):
            rendering = serve(
                "应用-每次渲染", rendering_command, rendering_env, REPO, rendering_port, workdir
            )
            stack.enter_context(rendering)
        anchor = f"http://127.0.0.1:{anchor_port}/"
        for key, path in paths.items():
            port = rendering_port if key in RENDERED else app_port
            page = f"http://127.0.0.1:{port}{path}"
            wrk(anchor, 1, *load[1:])  # warm both workers of each
            wrk(page, 1, *load[1:])
            rounds = []
            for _ in range(args.rounds):
                rounds.append((wrk(anchor, *load), wrk(page, *load)))
            out[key] = {
                "rps": statistics.median(p["rps"] for _, p in rounds),
                "p50": statistics.median(p["p50"] for _, p in rounds),
                "p99": statistics.median(p["p99"] for _, p in rounds),
                "anchor_rps": statistics.median(a["rps"] for a, _ in rounds),
                "anchor_p50": statistics.median(a["p50"] for a, _ in rounds),
                "ratio": statistics.median(p["rps"] / a["rps"] for a, p in rounds),
                "errors": sum(a["errors"] + p["errors"] for a, p in rounds),
            }
            row = out[key]
            print(
                f"  {path}：{row['rps']:.0f} req/s，锚点 {row['anchor_rps']:.0f} req/s，"
                f"之比 {row['ratio']:.2f}",
                flush=True,
            )
    return out


# --- the run -----------------------------------------------------------------------------------


def run_scale(scale, database_url, args, stack):
    """Build, measure in-process and under load one scale; its application is kept open (in
    `stack`) for the growth figures, unless the database is emptied for the next scale."""
    app, url, workdir = stack.enter_context(benchmark_app(f"market-pages-{scale}-", database_url))
    with app.app_context():
        prepare(app, url, workdir)
        dialect = db.engine.dialect.name
        load = "、".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"\n== 规模 {scale}（{dialect}：{redacted(url)}；{os.cpu_count()} 个 CPU，"
            f"负载 {load}）",
            flush=True,
        )
        print("造数据：" + build_scale(scale), flush=True)
        counts = table_counts()
        print("行数：" + "，".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        overdue = db.session.scalar(
            select(func.count()).select_from(Notice).where(Notice.due_dt <= utcnow())
        )
        targets = pick_targets()
        print(f"到期未处理的公告：{overdue}；页面：公告 {targets}", flush=True)
        db.session.remove()
    paths = page_paths(targets)
    result = {"scale": scale, "dialect": dialect, "counts": counts, "paths": paths, "app": app}
    result["in_process"] = in_process(app, paths, args.requests, show_sql=args.sql)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # no connection of ours left open while gunicorn runs
    print("压测（wrk）：", flush=True)
    result["load"] = under_load(url, workdir, paths, args)
    if args.database_url:
        with app.app_context():
            empty_database()
            db.engine.dispose()
        result["app"] = None  # its data is gone
    return result


def scale_label(scale):
    return "演示数据" if scale == "demo" else f"{int(scale):,} 个公告"


def report(result, args):
    print(
        f"\n### {scale_label(result['scale'])}（{result['dialect']}；wrk -t{args.threads} "
        f"-c{args.connections}，{args.rounds} 轮 × 锚点 {args.seconds} s + 页面 "
        f"{args.seconds} s）\n"
    )
    print(
        "| 页面 | 路径 | req/s | p50 | p99 | 锚点 req/s | 与锚点之比 | SQL 查询数 "
        "| 进程内 p50 / p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for key, label, _ in PAGES:
        load, inner = result["load"][key], result["in_process"][key]
        target = RATIO_TARGET.get(key, DEFAULT_RATIO_TARGET)
        errors = f"（错误 {load['errors']}）" if load["errors"] else ""
        print(
            f"| {label} | `{result['paths'][key]}` | {load['rps']:.0f}{errors} "
            f"| {load['p50']:.1f} ms | {load['p99']:.1f} ms | {load['anchor_rps']:.0f} "
            f"| {load['ratio']:.2f}（≥ {target}，{ok(load['ratio'] >= target)}） "
            f"| {inner['queries']}（≤ {MAX_QUERIES}，{ok(inner['queries'] <= MAX_QUERIES)}） "
            f"| {inner['p50']:.1f} / {inner['p95']:.1f} ms |"
        )


def alternated(results, args):
    """In-process p50 (ms) per scale and page, the scales' applications taking turns (each
    round: every scale `args.requests` requests of a page, then the next page), so that drift
    in the machine's speed falls on every scale alike. {scale: {key: p50}}."""
    samples = {r["scale"]: {key: [] for key, _, _ in PAGES} for r in results}
    for _ in range(args.rounds):
        for key, _, _ in PAGES:
            for result in results:
                app, path = result["app"], result["paths"][key]
                kept_seconds = app.config["PUBLIC_PAGE_SECONDS"]
                app.config["PUBLIC_PAGE_SECONDS"] = 0 if key in RENDERED else kept_seconds
                client = app.test_client()
                for _ in range(5):  # warm
                    client.get(path)
                for _ in range(args.requests):
                    started = time.perf_counter()
                    client.get(path)
                    samples[result["scale"]][key].append(time.perf_counter() - started)
                app.config["PUBLIC_PAGE_SECONDS"] = kept_seconds
    return {
        scale: {key: percentiles(times)[0] for key, times in pages.items()}
        for scale, pages in samples.items()
    }


def report_growth(results, args):
    demo = next((r for r in results if r["scale"] == "demo"), None)
    if demo is None or len(results) < 2:
        return
    if all(r["app"] is not None for r in results):
        print(
            f"\n进程内，各规模交替测量（{args.rounds} 轮 × 每页 {args.requests} 次）……", flush=True
        )
        p50 = alternated(results, args)
        how = f"各规模交替测量，{args.rounds} 轮 × 每页 {args.requests} 次"
    else:  # the database was emptied between scales: the figures measured one after the other
        p50 = {r["scale"]: {k: v["p50"] for k, v in r["in_process"].items()} for r in results}
        how = "各规模依次测得"
    for result in results:
        if result is demo or result["dialect"] != demo["dialect"]:
            continue
        print(
            f"\n### 进程内 p50：{scale_label(result['scale'])} ÷ 演示数据"
            f"（{result['dialect']}，{how}；目标 ≤ {GROWTH_TARGET}）\n"
        )
        print("| 页面 | 演示数据 p50 | 本规模 p50 | 倍数 |")
        print("|---|---|---|---|")
        for key, label, _ in PAGES:
            small, large = p50[demo["scale"]][key], p50[result["scale"]][key]
            factor = large / small
            print(
                f"| {label} | {small:.1f} ms | {large:.1f} ms "
                f"| {factor:.2f}×（{ok(factor <= GROWTH_TARGET)}） |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="demo,20000", help="demo and/or notice counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--requests", type=int, default=50, help="in-process requests per page")
    parser.add_argument("--sql", action="store_true", help="print each page's SQL statements")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an EMPTY database (default: SQLite in /tmp)")
    where.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL 15")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk：apt-get install -y wrk")
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    for scale in scales:
        if scale != "demo" and not scale.isdigit():
            sys.exit(f"--scales 只接受 demo 或公告个数：{scale}")
    results = []
    with ExitStack() as stack:
        base = stack.enter_context(throwaway_postgres()) if args.postgres else None
        for scale in scales:
            started = time.perf_counter()
            url = create_database(base, f"market_{scale}") if base else args.database_url
            result = run_scale(scale, url, args, stack)
            print(f"（规模 {scale} 共用时 {time.perf_counter() - started:.0f} 秒）")
            report(result, args)
            results.append(result)
        report_growth(results, args)
        if len(results) > 1:
            print("\n## 汇总")
            for result in results:
                report(result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
