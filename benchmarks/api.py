"""The JSON API /api/v1/ at scale: every list, in every order, its first page and a page deep
in it, median and p95 over requests through the test client.

    .venv/bin/python benchmarks/api.py                          # SQLite in /tmp, 20,000 notices
    .venv/bin/python benchmarks/api.py --notices 5000 --requests 20
    .venv/bin/python benchmarks/api.py --postgres               # a throw-away PostgreSQL 15

The database is benchmarks/pages.py's large scale: migrations, catalogue, demo data, then
`--notices` notices in every state with their bids, selections, contracts and audit trail and
half as many agencies (benchmarks/bulk.py), and on PostgreSQL the tables ANALYZEd. Pages hold
100 items; the deep page is reached by following `links.next` for --depth pages (its cursor
then reused for every request): keyset paging should make it cost what the first page costs.
Targets (reported, not asserted): p95 ≤ 100 ms for every page; deep / first ≤ 1.5 at p50.
"""

import argparse
import os
import sys
import time
from contextlib import ExitStack

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# The sibling benchmarks/statistics.py bears the standard library's name: this folder goes
# last on the path, so that `import statistics` finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

from pages import build_scale, create_database, ok, percentiles, prepare, throwaway_postgres  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.core import limits  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.models import Notice  # noqa: E402

P95_TARGET = 100  # ms
RATIO_TARGET = 1.5

LISTS = {
    "notices": ("-published_at", "published_at", "-deadline", "-ceiling", "ceiling"),
    "results": ("-publicity_from", "publicity_from"),
    "contracts": ("-id", "-amount"),
    "agencies": ("-credit", "id"),
    "catalogue/items": ("code",),
    "credit/disclosures": ("-published_at",),
}


def deep_url(client, path, depth):
    """The address of the page `depth` pages in (or the last page before it)."""
    url = path
    for _ in range(depth):
        answer = client.get(url).get_json()
        if not answer["links"]["next"]:
            break
        url = answer["links"]["next"]
    return url


def timed(client, url, requests, warmups=3):
    times = []
    for n in range(warmups + requests):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"{url} 返回 {response.status_code}: {response.get_data(as_text=True)[:200]}")
        if n >= warmups:
            times.append(elapsed)
    return times


def run(app, scale, requests, depth):
    print(build_scale(scale))
    notices = db.session.scalar(select(func.count()).select_from(Notice))
    print(f"公告 {notices} 条；每个地址 {requests} 次请求（另预热 3 次）")
    limits.limiter(app).enabled = False
    client = app.test_client()
    worst = 0.0
    print(f"{'地址':<56} {'首页 p50/p95':>16} {'深页 p50/p95':>16} {'深/首':>6}")
    for name, sorts in LISTS.items():
        for sort in sorts:
            path = f"/api/v1/{name}?sort={sort}&limit=100"
            first = percentiles(timed(client, path, requests))
            deep = percentiles(timed(client, deep_url(client, path, depth), requests))
            ratio = deep[0] / first[0]
            worst = max(worst, first[1], deep[1])
            print(
                f"{path:<56} {first[0]:>7.1f}/{first[1]:<7.1f} {deep[0]:>7.1f}/{deep[1]:<7.1f}"
                f" {ratio:>5.2f} {ok(ratio <= RATIO_TARGET)}"
            )
    for path in ("/api/v1/statistics", "/api/v1/", "/api/v1/openapi.json"):
        p50, p95 = percentiles(timed(client, path, requests))
        worst = max(worst, p95)
        print(f"{path:<56} {p50:>7.1f}/{p95:<7.1f}")
    print(f"最慢 p95 {worst:.1f} ms（目标 ≤ {P95_TARGET} ms）{ok(worst <= P95_TARGET)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--depth", type=int, default=50, help="pages of 100 to the deep page")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an EMPTY database (default: SQLite in /tmp)")
    where.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL 15")
    args = parser.parse_args()
    with ExitStack() as stack:
        base = stack.enter_context(throwaway_postgres()) if args.postgres else None
        url = create_database(base, "market_api") if base else args.database_url
        app, url, workdir = stack.enter_context(benchmark_app("market-api-", url))
        with app.app_context():
            prepare(app, url, workdir)
            run(app, str(args.notices), args.requests, args.depth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
