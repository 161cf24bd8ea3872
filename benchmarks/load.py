"""The site under load, and quotes at the deadline, against gunicorn (2 workers) + PostgreSQL.

    .venv/bin/python benchmarks/load.py                # everything (about 7 minutes)
    .venv/bin/python benchmarks/load.py --seconds 20 --skip-faults

A throw-away PostgreSQL 15 (as benchmarks/pages.py starts one) gets the demo data, 200 more
agencies offering ZJ012 and the search index. gunicorn serves it with 2 workers of
`market.core.serving.ArrivalThreadWorker` (gunicorn's threaded worker, stamping each request
when its bytes can first be read) and 4 threads each; the background worker runs beside it.
`PROXY_COUNT=1`: each simulated user sends its own X-Forwarded-For, as users behind a proxy
would, so the per-address limits see many addresses.

1. **Mixed browsing** for --seconds (60): wrk with a Lua script cycling through public pages
   (home, notice list, a notice, the directory, a storefront, a credit page, search) and the
   pages of 20 signed-in users (agencies' and purchasers' workspaces, quotes, inbox), 7 public
   requests in 10, against gunicorn as deployed (its default of 1000 connections a worker
   holds), each request on a new connection as the proxy in front sends it. Twice:
   --connections (32) that each send the next request as soon as the answer comes (what the
   site serves at full load), then --visitors (100) who each pause --think-ms (250) after an
   answer (the load of the busiest hours: at most 400 requests a second, 300 when answers
   take 80 ms). Printed for each: req/s, p50, p95, errors (connection errors and
   non-2xx/3xx), CPU per request. Targets: ≥ 300 req/s, p95 ≤ 100 ms, 0 errors.
2. **Deadline burst**: a notice whose deadline is a few seconds ahead; 200 agencies, each
   signed in beforehand with the quote form's CSRF token, send one quote each at moments spread
   evenly over the last second before the deadline (one thread per agency). Printed: how many
   were accepted (302 to the receipt) and refused (422 with the message), the response times
   (p50, p95, max), then, from the database once the bidding has closed: quotes stored, stored
   twice, stored with a time at or after the deadline. Targets: every quote sent before the
   deadline accepted, p95 ≤ 1 s, 0 lost or duplicated.
3. **The burst with faults** (unless --skip-faults): the same on a new notice while one
   gunicorn worker is killed (SIGKILL, 0.5 s before the deadline: the master starts another)
   and PostgreSQL is restarted (0.7 s before it). A client whose request fails without an
   answer (connection reset, 5xx) sends it again, as a person would, until it gets an answer
   that says whether its quote counts. Printed: answers, retries, stored, duplicates, quotes
   stored late, and every agency whose answer disagrees with the database (target: none).
"""

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

import statistics  # noqa: E402

BIN = os.path.dirname(sys.executable)

from pages import (  # noqa: E402
    PG_BIN,
    analyze,
    app_env,
    create_database,
    free_port,
    load_demo_data,
    page_paths,
    pick_targets,
    prepare,
    rebuild_index,
    serve,
    throwaway_postgres,
)
from sqlalchemy import func, select, update  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.core.clock import utcnow  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.models import Bid, Notice  # noqa: E402

AGENCIES = 200
SIGNED_IN = 20
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --- data ----------------------------------------------------------------------------------


def build(app, url, workdir):
    """Demo data, AGENCIES more agencies offering ZJ012, a purchaser for the burst notices;
    returns (agency e-mails, purchaser e-mail, password, page targets)."""
    from tests import factories

    with app.app_context():
        prepare(app, url, workdir)
        load_demo_data()
        agencies = [factories.agency(("ZJ012",)).email for _ in range(AGENCIES)]
        buyer = factories.purchaser()
        db.session.commit()
        rebuild_index()
        analyze()
        targets = pick_targets()
        return agencies, buyer.email, factories.PASSWORD, targets


def burst_notice(app, buyer_email, deadline):
    """A published notice of `buyer_email` for ZJ012 whose deadline is moved to `deadline`
    (a real notice needs three working days; the benchmark needs it in seconds)."""
    from market.accounts.models import User
    from tests import factories

    with app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == buyer_email))
        notice = factories.notice(buyer, title=f"压力测试公告 {deadline:%H%M%S}")
        db.session.commit()
        db.session.execute(
            update(Notice)
            .where(Notice.id == notice.id)
            .values(deadline_dt=deadline, due_dt=deadline, page_version=Notice.page_version + 1)
        )
        db.session.commit()
        return notice.id


def stored(app, notice_id, deadline):
    """(quotes stored, agencies with more than one, quotes stored at or after the deadline,
    the agencies with a stored quote) for the notice."""
    with app.app_context():
        rows = db.session.execute(
            select(Bid.agency_org_id, Bid.submitted_dt).where(Bid.notice_id == notice_id)
        ).all()
        per_agency = db.session.execute(
            select(Bid.agency_org_id, func.count())
            .where(Bid.notice_id == notice_id)
            .group_by(Bid.agency_org_id)
        ).all()
        state = db.session.scalar(select(Notice.state).where(Notice.id == notice_id))
        db.session.rollback()
    late = sum(1 for _, at in rows if at >= deadline)
    return len(rows), sum(1 for _, n in per_agency if n > 1), late, {a for a, _ in rows}, state


# --- an HTTP user --------------------------------------------------------------------------


class User:
    """One simulated browser: its cookies and its address."""

    def __init__(self, port, address):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method, path, body=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"X-Forwarded-For": self.address, "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", text
        finally:
            connection.close()

    def sign_in(self, email, password):
        from urllib.parse import urlencode

        status, _, page = self.request("GET", "/login")
        token = CSRF.search(page)[1]
        body = urlencode({"csrf_token": token, "email": email, "password": password})
        status, location, _ = self.request("POST", "/login", body)
        if status != 302:
            sys.exit(f"{email} 登录失败：{status}")
        return self

    def csrf_of(self, path):
        status, _, page = self.request("GET", path)
        if status != 200:
            sys.exit(f"{path} 返回 {status}")
        return CSRF.search(page)[1]


def cookie_header(user):
    return "; ".join(f"{k}={v}" for k, v in user.cookies.items())


# --- 1. mixed browsing ---------------------------------------------------------------------

LUA = r"""
local requests = {%s}
local think = %d
local n = 0
request = function()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  local headers = {["X-Forwarded-For"] = r[3], ["Host"] = "127.0.0.1"}
  if r[2] ~= "" then headers["Cookie"] = r[2] end
  headers["Connection"] = "close"
  return wrk.format("GET", r[1], headers)
end
if think > 0 then
  delay = function()
    return think
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f %%d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def browsing(port, public_paths, signed_in, seconds, connections, workdir, think_ms=0):
    """wrk over the mix: 7 public requests in 10, 3 of signed-in users (every signed-in
    user's pages once per round), each on a new connection, as the proxy in front of
    gunicorn sends them (a kept-alive connection stays with the worker that took it, and
    wrk's few would split unevenly between the two). With `think_ms`, each connection is a
    visitor who waits that long after each answer before the next request. Returns figures."""
    blocks = len(signed_in) // 3
    mixed = []
    for block in range(blocks):
        for n in range(block * 7, block * 7 + 7):
            path = public_paths[n % len(public_paths)]
            mixed.append((path, "", f"10.1.{n // 250}.{n % 250 + 1}"))
        for user, path in signed_in[block * 3 : block * 3 + 3]:
            mixed.append((path, cookie_header(user), user.address))

    def lua_string(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    table = ",".join(f"{{{lua_string(p)},{lua_string(c)},{lua_string(a)}}}" for p, c, a in mixed)
    script = os.path.join(workdir, "mix.lua")
    with open(script, "w") as fh:
        fh.write(LUA % (table, think_ms))
    url = f"http://127.0.0.1:{port}/"
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    if match is None:
        sys.exit(f"无法解析 wrk 的输出：\n{out}")
    count, micros, p50, p95, errors = match.groups()
    if int(count) == 0:
        sys.exit(f"wrk 没有收到答复：\n{out}")
    return {
        "rps": int(count) / (int(micros) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "errors": int(errors),
        "requests": int(count),
    }


# --- 2 and 3. the burst --------------------------------------------------------------------


def prepare_bidders(port, emails, password, notice_id):
    """Each agency signed in, with the CSRF token of the quote form (20 at a time)."""
    bidders = [None] * len(emails)

    def one(i):
        user = User(port, f"10.2.{i // 250}.{i % 250 + 1}").sign_in(emails[i], password)
        bidders[i] = (user, user.csrf_of(f"/notices/{notice_id}"))

    run_all([lambda i=i: one(i) for i in range(len(emails))], width=20)
    return bidders


def run_all(jobs, width):
    """Run the callables, at most `width` at a time."""
    pending = list(jobs)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            job()

    threads = [threading.Thread(target=worker) for _ in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def burst(bidders, notice_id, deadline, retry=False, faults=()):
    """Each bidder sends its quote at its moment in the last second; `faults` are (moment,
    action) run on their own threads. Returns one result per bidder."""
    from urllib.parse import urlencode

    count = len(bidders)
    starts = [deadline - timedelta(seconds=1) + timedelta(seconds=i / count) for i in range(count)]
    results = [None] * count
    barrier = threading.Barrier(count + len(faults) + 1)

    def wait_until(moment):
        # A schedule, not an ordering: the clock decides. One sleep per thread: 200 threads
        # polling the clock would take from the server the CPU this machine shares with it.
        left = (moment - datetime.now(UTC)).total_seconds()
        if left > 0:
            time.sleep(left)

    def send(i):
        user, token = bidders[i]
        body = urlencode({"csrf_token": token, "amount": f"{80000 - i}", "plan": "方案"})
        barrier.wait()
        wait_until(starts[i])
        sent = datetime.now(UTC)
        attempts, started = 0, time.perf_counter()
        while True:
            attempts += 1
            try:
                status, location, page = user.request(
                    "POST", f"/notices/{notice_id}/bid", body, timeout=30 if retry else 60
                )
            except OSError:
                status, location, page = 0, "", ""
            if not retry or status in (302, 422) or attempts >= 20:
                break
            time.sleep(0.2)  # the person presses again
        elapsed = time.perf_counter() - started
        message = ""
        if status == 422:
            found = re.search(r'role="alert">([^<]+)<', page) or re.search(
                r"invalid-feedback[^>]*>([^<]+)<", page
            )
            message = found[1] if found else ""
        results[i] = {
            "sent": sent,
            "status": status,
            "accepted": status == 302 and "#receipt" in location,
            "told_counts": "报价有效" in message,
            "message": message,
            "elapsed": elapsed,
            "attempts": attempts,
        }

    def fault(moment, action):
        barrier.wait()
        wait_until(moment)
        action()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    threads += [threading.Thread(target=fault, args=f) for f in faults]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    return results


def report_burst(label, results, deadline, db_figures, agency_ids):
    quotes, twice, late, stored_agencies, state = db_figures
    accepted = [r for r in results if r["accepted"] or r["told_counts"]]
    refused = [r for r in results if r["status"] == 422 and not r["told_counts"]]
    unanswered = [r for r in results if r["status"] not in (302, 422)]
    before = [r for r in results if r["sent"] < deadline]
    before_refused = [r for r in before if not (r["accepted"] or r["told_counts"])]
    times = [r["elapsed"] for r in results]
    print(
        f"{label}：{len(results)} 家报价，截止前发出 {len(before)} 家；"
        f"接受 {len(accepted)}，拒绝 {len(refused)}，无明确答复 {len(unanswered)}；"
        f"重试 {sum(r['attempts'] - 1 for r in results)} 次",
        flush=True,
    )
    print(
        f"  响应时间 p50 {statistics.median(times) * 1000:.0f} ms，"
        f"p95 {percentile(times, 95) * 1000:.0f} ms，最长 {max(times) * 1000:.0f} ms",
        flush=True,
    )
    mismatched = [
        agency_ids[i]
        for i, r in enumerate(results)
        if (r["accepted"] or r["told_counts"]) != (agency_ids[i] in stored_agencies)
    ]
    print(
        f"  数据库：存入 {quotes} 条，重复 {twice} 家，截止后时间 {late} 条；"
        f"答复与数据库不符 {len(mismatched)} 家；公告状态 {state}",
        flush=True,
    )
    if before_refused:
        sample = before_refused[0]
        print(
            f"  截止前发出却未被接受 {len(before_refused)} 家，例如 {sample['status']}："
            f"{sample['message'][:120]}",
            flush=True,
        )
    return {
        "accepted": len(accepted),
        "before": len(before),
        "before_refused": len(before_refused),
        "p95": percentile(times, 95),
        "lost_or_duplicated": twice + late + len(mismatched),
    }


def cpu_seconds(pids) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy_seconds() -> tuple[float, float]:
    """(CPU seconds every core spent busy, seconds of wall clock times cores) so far, from
    /proc/stat: what the whole machine did, the load client and PostgreSQL included."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / ticks, sum(fields[:8]) / ticks


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def gunicorn_workers(master_pid):
    out = subprocess.run(
        ["pgrep", "-P", str(master_pid)], capture_output=True, text=True
    ).stdout.split()
    return [int(p) for p in out]


def restart_postgres(data_dir):
    """Restart the server (fast shutdown: open connections are cut). Its output goes to its
    log file: a pipe would stay open as long as the new server runs."""
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    log = os.path.join(os.path.dirname(data_dir), "server.log")
    command = [os.path.join(PG_BIN, "pg_ctl"), "-D", data_dir, "-l", log, "-m", "fast", "-w"]
    subprocess.run(
        [*as_pg, *command, "restart"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def agency_org_ids(app, emails):
    from market.accounts.models import Membership, User

    with app.app_context():
        rows = dict(
            db.session.execute(
                select(User.email, Membership.organisation_id)
                .join(Membership, Membership.user_id == User.id)
                .where(User.email.in_(emails))
            ).all()
        )
        db.session.rollback()
    return [rows[e] for e in emails]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--visitors",
        type=int,
        default=100,
        help="browsing again with this many visitors who pause between requests (0: skip)",
    )
    parser.add_argument("--think-ms", type=int, default=250, help="each visitor's pause")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=None,
        help="connections a gunicorn worker takes at once in the bursts (default: --threads)",
    )
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument(
        "--faults-only", action="store_true", help="only the burst with faults (step 3)"
    )
    parser.add_argument("--burst-only", action="store_true", help="only the burst (step 2)")
    parser.add_argument("--browse-only", action="store_true", help="only the browsing (step 1)")
    args = parser.parse_args()

    with ExitStack() as stack:
        base = stack.enter_context(throwaway_postgres())
        url = create_database(base, "load")
        app, _, workdir = stack.enter_context(benchmark_app("market-load.", url))
        started = time.perf_counter()
        emails, buyer, password, targets = build(app, url, workdir)
        org_ids = agency_org_ids(app, emails)
        print(f"数据准备 {time.perf_counter() - started:.0f} 秒", flush=True)

        port = free_port()
        env = {
            **app_env(url, workdir),
            "MARKET_PROXY_COUNT": "1",
            "MARKET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }

        def gunicorn(worker_connections):
            return [
                os.path.join(BIN, "gunicorn"),
                "-w",
                "2",
                "-k",
                "market.core.serving.ArrivalThreadWorker",
                "--threads",
                str(args.threads),
                "--worker-connections",
                str(worker_connections),
                "--timeout",
                "60",
                "--log-level",
                "warning",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ]

        worker_log = stack.enter_context(open(os.path.join(workdir, "worker.log"), "w"))
        worker = subprocess.Popen(
            [os.path.join(BIN, "flask"), "--app", "market", "market", "worker"],
            cwd=REPO,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(lambda: (worker.terminate(), worker.wait()))

        if not (args.burst_only or args.faults_only):
            # Browsing as deployed (docs/operations.md): gunicorn's default of 1000
            # connections a worker holds, so idle keep-alive connections wait in its poller.
            with serve("浏览", gunicorn(1000), env, REPO, port, workdir) as server:
                figures = browse(app, args, emails, password, targets, port, workdir, server.pid)
            if args.browse_only:
                return figures

        # For the bursts a worker takes a connection only for a free thread: the others wait
        # in the kernel's queue, which outlives a killed worker (docs/operations.md).
        command = gunicorn(args.worker_connections or args.threads)
        server = stack.enter_context(serve("应用", command, env, REPO, port, workdir))
        lead = timedelta(seconds=90)
        plain = None
        if args.faults_only:
            return faults(app, base, server, buyer, emails, password, port, org_ids, lead, workdir)

        # 2. the deadline burst
        deadline = (utcnow() + lead).replace(microsecond=0)
        notice_id = burst_notice(app, buyer, deadline)
        bidders = prepare_bidders(port, emails, password, notice_id)
        if utcnow() > deadline - timedelta(seconds=3):
            sys.exit("登录准备超过了截止时间，请加大提前量")
        app_pids, pg_pids = gunicorn_workers(server.pid), postgres_pids()
        before = cpu_seconds(app_pids), cpu_seconds(pg_pids), time.process_time()
        results = burst(bidders, notice_id, deadline)
        after = cpu_seconds(app_pids), cpu_seconds(pg_pids), time.process_time()
        used = [(b - a) * 1000 / len(results) for a, b in zip(before, after, strict=True)]
        print(
            f"每笔报价耗用 CPU：应用 {used[0]:.1f} ms，PostgreSQL {used[1]:.1f} ms，"
            f"本测试客户端 {used[2]:.1f} ms",
            flush=True,
        )
        time.sleep(15)  # the bidding closes QUOTE_GRACE_SECONDS (10) after the deadline
        plain = report_burst(
            "截止前最后一秒 200 家报价",
            results,
            deadline,
            stored(app, notice_id, deadline),
            org_ids,
        )

        if not (args.skip_faults or args.burst_only):
            faults(app, base, server, buyer, emails, password, port, org_ids, lead, workdir)
        return plain


def browse(app, args, emails, password, targets, port, workdir, server_pid):
    """1. Mixed browsing: sign the users in, warm up, measure, print."""
    paths = page_paths(targets)
    public = [paths[k] for k in ("home", "notices", "notice", "directory", "agency")]
    public += [paths["credit"], paths["search"]]
    signed = []
    for i, email in enumerate(emails[: SIGNED_IN // 2]):
        user = User(port, f"10.3.0.{i + 1}").sign_in(email, password)
        signed += [(user, "/dashboard"), (user, "/agency/bids"), (user, "/inbox")]
    from market.accounts.models import Membership, Organisation
    from market.accounts.models import User as Account

    with app.app_context():
        buyers = db.session.scalars(
            select(Account.email)
            .join(Membership, Membership.user_id == Account.id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.kind == "purchaser", Account.email.like("%@demo.cn"))
            .order_by(Account.id)
            .limit(SIGNED_IN // 2)
        ).all()
    for i, email in enumerate(buyers):
        user = User(port, f"10.3.1.{i + 1}").sign_in(email, "demo1234")
        at = 6 * i + 3  # after the i-th agency: agencies and purchasers take turns
        signed[at:at] = [(user, "/dashboard"), (user, "/purchaser/notices"), (user, "/inbox")]
    every_page_answers(port, public, signed)
    browsing(port, public, signed, 5, args.connections, workdir)  # warm up
    pids = gunicorn_workers(server_pid)
    saturated = measured(
        pids, lambda: browsing(port, public, signed, args.seconds, args.connections, workdir)
    )
    report_browsing(f"{args.connections} 个连接，一个答复到了立刻发下一个请求", saturated, args)
    if not args.visitors:
        return saturated
    paced = measured(
        pids,
        lambda: browsing(
            port, public, signed, args.seconds, args.visitors, workdir, think_ms=args.think_ms
        ),
    )
    report_browsing(
        f"{args.visitors} 个访客，每个答复后停 {args.think_ms} ms 再发下一个请求", paced, args
    )
    every_page_answers(port, public, signed)
    return saturated, paced


def every_page_answers(port, public, signed):
    """Each page of the mix answers 200, to its user, before and after the runs: wrk counts
    only answers of 400 and above as errors, and a signed-in page whose session had ended
    would redirect to the login page (a cheap 302) and flatter the figures."""
    anonymous = User(port, "10.4.0.1")
    for user, path in [(anonymous, p) for p in public] + signed:
        status, _, _ = user.request("GET", path)
        if status != 200:
            sys.exit(f"{path} 返回 {status}")


def measured(app_pids, run):
    """`run()`'s figures, with the CPU the application, PostgreSQL and the machine spent."""
    pg_pids = postgres_pids()
    before = cpu_seconds(app_pids), cpu_seconds(pg_pids), *machine_busy_seconds()
    figures = run()
    # PostgreSQL backends started during the run count from their start
    pg_pids = sorted(set(pg_pids) | set(postgres_pids()))
    after = cpu_seconds(app_pids), cpu_seconds(pg_pids), *machine_busy_seconds()
    busy, elapsed = after[2] - before[2], after[3] - before[3]
    figures["app_ms"], figures["pg_ms"] = (
        (after[i] - before[i]) * 1000 / figures["requests"] for i in (0, 1)
    )
    figures["machine_ms"], figures["busy"] = busy * 1000 / figures["requests"], busy / elapsed
    return figures


def report_browsing(how, figures, args):
    print(
        f"混合浏览 {args.seconds} 秒（{how}，3/10 为登录用户）："
        f"{figures['rps']:.0f} req/s，p50 {figures['p50']:.1f} ms，"
        f"p95 {figures['p95']:.1f} ms，错误 {figures['errors']}"
        f"（目标 ≥ 300 req/s，p95 ≤ 100 ms，0 错误）",
        flush=True,
    )
    print(
        f"每个请求耗用 CPU：应用 {figures['app_ms']:.1f} ms，PostgreSQL {figures['pg_ms']:.1f} ms，"
        f"整机 {figures['machine_ms']:.1f} ms（整机 CPU 忙 {figures['busy']:.0%}）",
        flush=True,
    )


def faults(app, base, server, buyer, emails, password, port, org_ids, lead, workdir):
    """3. The burst while PostgreSQL restarts and a gunicorn worker is killed."""
    deadline = (utcnow() + lead).replace(microsecond=0)
    notice_id = burst_notice(app, buyer, deadline)
    bidders = prepare_bidders(port, emails, password, notice_id)
    data_dir = pg_data_dir()

    def kill_worker():
        pids = gunicorn_workers(server.pid)
        if pids:
            os.kill(pids[0], signal.SIGKILL)

    schedule = [
        (deadline - timedelta(milliseconds=700), lambda: restart_postgres(data_dir)),
        (deadline - timedelta(milliseconds=500), kill_worker),
    ]
    results = burst(bidders, notice_id, deadline, retry=True, faults=schedule)
    time.sleep(15)
    failed = {r["status"] for r in results if r["status"] not in (302, 422)}
    if failed:
        print(f"  无明确答复的最后一次状态：{sorted(failed)}；应用日志中的错误：", flush=True)
        with open(os.path.join(workdir, "应用.log"), errors="replace") as fh:
            errors = [line for line in fh if "Error" in line or "error" in line]
        for line in errors[-12:]:
            print("   ", line.rstrip()[:300], flush=True)
    return report_burst(
        "同样的报价，其间重启 PostgreSQL、杀掉一个 gunicorn 进程",
        results,
        deadline,
        stored(app, notice_id, deadline),
        org_ids,
    )


def pg_data_dir():
    """The data folder of the throw-away server (the newest /tmp/market-pg.*)."""
    folders = [
        os.path.join(tempfile.gettempdir(), name)
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith("market-pg.")
    ]
    return os.path.join(max(folders, key=os.path.getmtime), "data")


if __name__ == "__main__":
    main()
