"""Time the search engine (Whoosh) on 20,000 and 100,000 agencies and as many notices, beside
a peer: SQLite FTS5 over jieba-segmented text.

    .venv/bin/python benchmarks/search.py                          # 20k then 100k, temp dirs
    .venv/bin/python benchmarks/search.py --scales 20000 --queries 200 --profile

Each scale gets its own temporary SQLite database and instance folder. The corpus is
bulk-inserted with Core executemany: agencies (重庆某某环境科技有限公司, offered catalogue
items, qualifications, a description, credit scores spread over A–D, some suspended or
blacklisted, ratings) and notices (某某项目环境影响评价报告书编制服务采购, purchasers, every
published state). Figures per scale: the full `rebuild` (time per kind, index size), p50/p95
of 200 mixed queries with a warm searcher (keyword, keyword + filters, abbreviations such as
环评/水保/hp, blended relevance, by credit), the same for the first pass over them (when the
engine reads each term's postings and the columns into arrays for the first time), time
from commit to searchable (an agency renamed with its outbox row, committed, `drain()`,
searched until found), and the same queries on
FTS5 (top 20 with snippets, total and facet counts, like the engine's results).
Targets: p95 ≤ 50 ms at 20k and ≤ 100 ms at 100k; searchable ≤ 1 s; rebuild of 100k
agencies ≤ 3 minutes.

    .venv/bin/python benchmarks/search.py --backend postgres --scales 20000

`--backend postgres` builds the corpus in PostgreSQL instead (a throw-away server, or
`--postgres-url` for an existing one's base URL, without the database name: a database
per scale is created there) and measures the PostgreSQL backend (market/search/pg.py)
beside Whoosh on the same corpus: its rebuild (and the VACUUM ANALYZE after it), its size,
the same queries, whether each query's total is Whoosh's, whether each first page is
Whoosh's, and commit to searchable.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [
    os.path.dirname(HERE),  # market
    *(p for p in sys.path if os.path.abspath(p or ".") != HERE),
    HERE,  # the sibling modules
]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from contextlib import ExitStack  # noqa: E402

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from pages import create_database, throwaway_postgres  # noqa: E402
from search_corpus import build_corpus, make_queries  # noqa: E402
from search_peer import Peer  # noqa: E402
from sqlalchemy import delete, func, select, text  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.accounts.models import Organisation  # noqa: E402
from market.agencies.models import Agency  # noqa: E402
from market.catalogue.services import load_items, seed_rows  # noqa: E402
from market.extensions import db  # noqa: E402


def percentiles(times):
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def dir_size(path):
    return sum(
        os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files
    )


# --- the Whoosh figures ----------------------------------------------------------------------


def time_rebuild(engine):
    times = {}
    for kind in ("agencies", "notices"):
        started = time.perf_counter()
        engine.rebuild([kind])
        times[kind] = time.perf_counter() - started
    engine.rebuild(["items"])
    # The catalogue's seeding left outbox rows: the rebuild has indexed them.
    from market.search.models import SearchOutbox

    db.session.execute(delete(SearchOutbox))
    db.session.commit()
    return times


def run_queries(search, queries, profile=None):
    """A first pass (timed too: the engine reads its arrays then), then the timed warm one;
    returns the warm times, each query's total, and the first pass's times."""
    first = []
    for q in queries:
        started = time.perf_counter()
        search(*q[:5])
        first.append(time.perf_counter() - started)
    times, found = [], []
    if profile:
        profile.enable()
    for q in queries:
        started = time.perf_counter()
        found.append(search(*q[:5]))
        times.append(time.perf_counter() - started)
    if profile:
        profile.disable()
    return times, found, first


def whoosh_search(engine, pages=None):
    """The engine's search (whichever backend is configured) as the timed call; each first
    page's ids are kept in `pages`."""

    def search(kind, text, filters, sort, can_bid_only):
        results = engine.search(kind, text, filters, sort=sort, can_bid_only=can_bid_only)
        if pages is not None:
            pages.append([h.id for h in results.hits])
        return results.total

    return search


def commit_to_searchable(engine, sync, agency_ids, rounds=5, seed=7, name="翡翠鸟"):
    """Rename an agency as a user would (ORM: the listeners write the outbox row), commit,
    drain, search its new name until it is the top hit."""
    from market.search.models import SearchOutbox

    rng = random.Random(seed)
    times = []
    for n in range(rounds):
        org = db.session.get(Organisation, rng.choice(agency_ids))
        pending = db.session.scalar(select(func.count()).select_from(SearchOutbox))
        word = f"{name}{'甲乙丙丁戊'[n]}"
        org.name = f"重庆{word}环境科技有限公司"
        started = time.perf_counter()
        db.session.commit()
        if not db.session.scalar(select(func.count()).select_from(SearchOutbox)) > pending:
            sys.exit("更名没有写入 search_outbox：监听器未生效")
        while True:
            sync.drain()
            hits = engine.search("agencies", word).hits
            if hits and hits[0].id == org.id:
                break
            if time.perf_counter() - started > 30:
                sys.exit("30 秒内仍搜不到更名后的机构")
        times.append(time.perf_counter() - started)
    return times


# --- the run ---------------------------------------------------------------------------------


def run_scale(scale, count, profile, database_url=None):
    with benchmark_app(f"market-search-{scale}-", database_url) as (app, _, workdir):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(workdir, "search")
        app.instance_path = workdir  # jieba's cache too
        with app.app_context():
            return _run_scale(scale, count, profile, workdir, bool(database_url))


def _run_scale(scale, count, profile, workdir, postgres=False):
    from market.search import engine, sync

    upgrade()
    load_items(seed_rows())
    db.session.commit()
    started = time.perf_counter()
    items = build_corpus(scale)
    agency_ids = db.session.scalars(select(Agency.org_id)).all()
    print(
        f"\n== {scale:,} 家机构 + {scale:,} 个公告：造数据 {time.perf_counter() - started:.1f} 秒"
    )
    out = {"scale": scale}

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    out["rebuild"] = time_rebuild(engine)
    if profiler:
        profiler.disable()
        _print_profile(profiler, "rebuild")
    out["index_mb"] = dir_size(os.path.join(workdir, "search")) / 2**20
    print(f"重建索引：{out['rebuild']}")

    queries = make_queries(count, scale, items)
    profiler = cProfile.Profile() if profile else None
    times, found, first = run_queries(whoosh_search(engine), queries, profiler)
    if profiler:
        _print_profile(profiler, "200 个查询")
    out["whoosh"] = percentiles(times)
    out["whoosh_first"] = percentiles(first)
    out["profiled"] = bool(profiler)
    out["whoosh_by_label"] = _by_label(queries, times)
    out["label_counts"] = {label: len(ts) for label, ts in _group(queries, times).items()}
    out["whoosh_found"] = found
    if postgres:
        whoosh_pages = []
        run_queries(whoosh_search(engine, whoosh_pages), queries)
        out["whoosh_pages"] = whoosh_pages[-len(queries) :]
        out.update(_run_postgres(engine, queries))

    peer_path = os.path.join(workdir, "fts5.sqlite3")
    started = time.perf_counter()
    peer = Peer.build(peer_path, db.session.connection())
    out["fts5_build"] = time.perf_counter() - started
    out["fts5_mb"] = os.path.getsize(peer_path) / 2**20
    times, found, first = run_queries(peer.search, queries)
    out["fts5"] = percentiles(times)
    out["fts5_first"] = percentiles(first)
    out["fts5_by_label"] = _by_label(queries, times)
    out["fts5_found"] = found
    top_times, _, _ = run_queries(peer.top_only, queries)
    out["fts5_top"] = percentiles(top_times)

    out["searchable"] = commit_to_searchable(engine, sync, agency_ids)
    if postgres:
        current_app.config["SEARCH_BACKEND"] = "postgres"
        out["pg_searchable"] = commit_to_searchable(engine, sync, agency_ids, 5, 11, "珊瑚礁")
        current_app.config["SEARCH_BACKEND"] = "whoosh"
    db.engine.dispose()
    return out


SEARCH_TABLES = ("search_postings", "search_terms", "search_documents", "search_stored")


def _run_postgres(engine, queries):
    """The PostgreSQL backend on the same corpus: rebuild, VACUUM ANALYZE, size, queries."""
    current_app.config["SEARCH_BACKEND"] = "postgres"
    out = {"pg_rebuild": time_rebuild(engine)}
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM (ANALYZE) {', '.join(SEARCH_TABLES)}"))
        out["pg_mb"] = (
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(t)) FROM unnest(CAST(:tables AS text[])) t"
                ),
                {"tables": [*SEARCH_TABLES, "search_kinds"]},
            ).scalar()
            / 2**20
        )
    out["pg_vacuum"] = time.perf_counter() - started
    print(f"PostgreSQL 重建索引：{out['pg_rebuild']}，VACUUM ANALYZE {out['pg_vacuum']:.1f} 秒")
    pages = []
    times, found, first = run_queries(whoosh_search(engine, pages), queries)
    out["pg"] = percentiles(times)
    out["pg_first"] = percentiles(first)
    out["pg_by_label"] = _by_label(queries, times)
    out["pg_found"] = found
    out["pg_pages"] = pages[-len(queries) :]
    current_app.config["SEARCH_BACKEND"] = "whoosh"
    return out


def _group(queries, times):
    groups = {}
    for q, t in zip(queries, times, strict=True):
        groups.setdefault(q[5], []).append(t)
    return groups


def _by_label(queries, times):
    return {label: percentiles(ts) for label, ts in _group(queries, times).items()}


def _print_profile(profiler, title):
    print(f"--- profile: {title} ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        int(os.environ.get("PROFILE_LINES", "35"))
    )


def report(out, count):
    scale = out["scale"]
    target = 50 if scale <= 20_000 else 100
    w50, w95 = out["whoosh"]
    f50, f95 = out["fts5"]
    t50, t95 = out["fts5_top"]
    ok = lambda good: "达标" if good else "未达标"  # noqa: E731
    agencies, notices = out["rebuild"]["agencies"], out["rebuild"]["notices"]
    print(
        f"\n### 规模 {scale:,} 家机构 + {scale:,} 个公告，{count} 个混合查询"
        f"（本规模共用时 {out['elapsed']:.0f} 秒）"
    )
    print("| 指标 | Whoosh | FTS5（jieba 分词） | Whoosh/FTS5 | 目标 |")
    print("|---|---|---|---|---|")
    rebuild_target = "≤ 180 s（10 万机构）" if scale >= 100_000 else "—"
    rebuild_ok = f"{ok(agencies * 100_000 / scale <= 180)}（按比例）"
    if scale >= 100_000:
        rebuild_ok = ok(agencies <= 180)
    print(
        f"| 重建索引：机构 | {agencies:.1f} s | {out['fts5_build']:.1f} s（机构+公告） | — "
        f"| {rebuild_target} {rebuild_ok} |"
    )
    print(f"| 重建索引：公告 | {notices:.1f} s | | | |")
    print(f"| 索引大小 | {out['index_mb']:.1f} MB | {out['fts5_mb']:.1f} MB | | |")
    print(
        f"| 查询 p50 | {w50:.1f} ms | {f50:.1f} ms | {w50 / f50:.1f}× | |\n"
        f"| 查询 p95 | {w95:.1f} ms | {f95:.1f} ms | {w95 / f95:.1f}× "
        f"| ≤ {target} ms {ok(w95 <= target)} |"
    )
    (c50, c95), (d50, d95) = out["whoosh_first"], out["fts5_first"]
    print(
        f"| 首轮查询 p50 / p95（引擎初读数组） | {c50:.1f} / {c95:.1f} ms "
        f"| {d50:.1f} / {d95:.1f} ms | | |"
    )
    print(f"| FTS5 仅前 20 条 p50 / p95 | | {t50:.1f} / {t95:.1f} ms | | |")
    differ = sum(a != b for a, b in zip(out["whoosh_found"], out["fts5_found"], strict=True))
    print(
        f"| 命中总数（{count} 个查询合计） | {sum(out['whoosh_found']):,} "
        f"| {sum(out['fts5_found']):,} | 总数不同的查询 {differ} 个 | |"
    )
    s = out["searchable"]
    print(
        f"| 提交到可搜到（{len(s)} 次，中位 / 最长） | {statistics.median(s) * 1000:.0f} / "
        f"{max(s) * 1000:.0f} ms | — | | ≤ 1000 ms {ok(max(s) <= 1)} |"
    )
    if out.get("profiled"):
        print("（--profile：Whoosh 的重建和查询计时含 cProfile 开销，约慢 2–3 倍）")
    if "pg" in out:
        report_postgres(out, count, target)
    print("\n| 查询类型 | 个数 | Whoosh p50 / p95 | FTS5 p50 / p95 |")
    print("|---|---|---|---|")
    for label, (p50, p95) in out["whoosh_by_label"].items():
        q50, q95 = out["fts5_by_label"][label]
        n = out["label_counts"][label]
        print(f"| {label} | {n} | {p50:.1f} / {p95:.1f} ms | {q50:.1f} / {q95:.1f} ms |")


def report_postgres(out, count, target):
    ok = lambda good: "达标" if good else "未达标"  # noqa: E731
    p50, p95 = out["pg"]
    c50, c95 = out["pg_first"]
    w50, w95 = out["whoosh"]
    rebuild = out["pg_rebuild"]
    differ = sum(a != b for a, b in zip(out["whoosh_found"], out["pg_found"], strict=True))
    same_pages = sum(a == b for a, b in zip(out["whoosh_pages"], out["pg_pages"], strict=True))
    s = out["pg_searchable"]
    print(f"\n#### PostgreSQL 后端（market/search/pg.py），同一语料，{count} 个混合查询")
    print("| 指标 | PostgreSQL | Whoosh | 目标 |")
    print("|---|---|---|---|")
    print(
        f"| 重建索引：机构；公告 | {rebuild['agencies']:.1f} s；{rebuild['notices']:.1f} s "
        f"| {out['rebuild']['agencies']:.1f} s；{out['rebuild']['notices']:.1f} s | |"
    )
    print(f"| 重建后 VACUUM ANALYZE | {out['pg_vacuum']:.1f} s | — | |")
    print(f"| 索引大小（表与索引） | {out['pg_mb']:.1f} MB | {out['index_mb']:.1f} MB | |")
    print(
        f"| 查询 p50 / p95，热 | {p50:.1f} / {p95:.1f} ms | {w50:.1f} / {w95:.1f} ms "
        f"| p95 ≤ {target} ms {ok(p95 <= target)} |"
    )
    print(f"| 首轮查询 p50 / p95 | {c50:.1f} / {c95:.1f} ms | | |")
    print(
        f"| 命中总数（{count} 个查询合计） | {sum(out['pg_found']):,} "
        f"| {sum(out['whoosh_found']):,} | 总数不同的查询 {differ} 个 |"
    )
    print(f"| 首页（前 20 条及其顺序）与 Whoosh 相同 | {same_pages} / {count} 个查询 | | |")
    print(
        f"| 提交到可搜到（{len(s)} 次，中位 / 最长） | {statistics.median(s) * 1000:.0f} / "
        f"{max(s) * 1000:.0f} ms | | ≤ 1000 ms {ok(max(s) <= 1)} |"
    )
    print("\n| 查询类型 | PostgreSQL p50 / p95 | Whoosh p50 / p95 |")
    print("|---|---|---|")
    for label, (q50, q95) in out["pg_by_label"].items():
        r50, r95 = out["whoosh_by_label"][label]
        print(f"| {label} | {q50:.1f} / {q95:.1f} ms | {r50:.1f} / {r95:.1f} ms |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="20000,100000", help="comma-separated agency counts")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="profile rebuild and queries")
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="postgres: the corpus in PostgreSQL, the PostgreSQL backend measured beside Whoosh",
    )
    parser.add_argument(
        "--postgres-url",
        help="with --backend postgres: a server's base URL (postgresql+psycopg://user@host:port),"
        " where a database per scale is created; default: a throw-away PostgreSQL 15",
    )
    args = parser.parse_args()
    results = []
    with ExitStack() as stack:
        base = None
        if args.backend == "postgres":
            base = args.postgres_url or stack.enter_context(throwaway_postgres())
        for scale in (int(s) for s in args.scales.split(",")):
            started = time.perf_counter()
            url = create_database(base, f"market_search_{scale}") if base else None
            out = run_scale(scale, args.queries, args.profile, url)
            out["elapsed"] = time.perf_counter() - started
            report(out, args.queries)
            results.append(out)
    if len(results) > 1:
        for out in results:
            report(out, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
