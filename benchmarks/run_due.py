"""Time one run_due() over 10,000 notices whose deadlines have passed, then a second run.

    .venv/bin/python benchmarks/run_due.py                    # temporary SQLite file in /tmp
    .venv/bin/python benchmarks/run_due.py --database-url postgresql+psycopg://…  # empty DB

The notices are a realistic mix of what the runner meets at a busy moment: bidding deadlines
(with and without quotes; quoted ones select by lowest price at once), publicity ends, missed
signing deadlines, automatic acceptances and evaluation windows closing. Each is due within the
last day, so one pass applies exactly one step per notice (plus whatever that step makes due).
The target is at most 30 seconds for 10,000 notices; the second run must change nothing.
"""

import argparse
import cProfile
import os
import pstats
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import inspect  # noqa: E402
from workspace import benchmark_app, register  # noqa: E402

from market.catalogue.models import ServiceItem  # noqa: E402
from market.catalogue.services import load_items, seed_rows  # noqa: E402
from market.core import clock  # noqa: E402
from market.core.mail import deliver_outbox  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.contract_models import Contract, Delivery, Evaluation  # noqa: E402
from market.procurement.models import Bid, Notice, Selection  # noqa: E402
from market.procurement.runner import run_due  # noqa: E402

#: Tuesday 2026-11-24 10:00 in Shanghai: every deadline falls in the day before.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
#: share of each kind of due notice
MIX = {
    "published_quoted": 0.25,
    "published_empty": 0.15,
    "publicity": 0.20,
    "awarded": 0.10,
    "delivered": 0.15,
    "accepted": 0.15,
}
AGENCIES = 12


def _notice(kind, i, buyer, item, due, rng):
    notice = Notice(
        purchaser_org_id=buyer[1],
        item_id=item.id,
        title=f"基准测试项目 {i}",
        scope="编制环境影响报告书",
        ceiling_fen=100_000_00,
        method="lowest" if kind == "published_quoted" else "direct",
        service_days=30,
        deadline_dt=due - timedelta(days=10) if kind != "published_quoted" else due,
        contact_name="王五",
        contact_phone="023-67001234",
        created_by_id=buyer[0],
        published_dt=due - timedelta(days=20),
        draw_salt=secrets.token_hex(16),
        state={"published_quoted": "published", "published_empty": "published"}.get(kind, kind),
        due_dt=due,
    )
    if kind == "published_empty":
        notice.deadline_dt = due
    notice.publicity_end_dt = due if kind == "publicity" else None
    notice.sign_deadline_dt = due if kind == "awarded" else None
    notice.accept_deadline_dt = due if kind == "delivered" else None
    notice.evaluation_end_dt = due if kind == "accepted" else None
    return notice


def _bids(notice, agencies, rng, count):
    return [
        Bid(
            notice=notice,
            agency_org_id=org_id,
            amount_fen=rng.randrange(60_000_00, 99_000_00, 100),
            plan="方案",
            submitted_by_id=user_id,
            submitted_dt=notice.deadline_dt - timedelta(days=1),
            nonce=secrets.token_hex(16),
            commitment=secrets.token_hex(32),
        )
        for user_id, org_id in rng.sample(agencies, count)
    ]


def build(total, seed=2026):
    """Organisations through the real services, then the due notices in bulk."""
    rng = random.Random(seed)
    item = db.session.query(ServiceItem).filter_by(code="ZJ012").one()
    # (user id, organisation id): reading user.organisation later would flush half-built rows.
    buyer = register("purchaser", 1)
    agencies = [register("agency", n) for n in range(2, AGENCIES + 2)]
    kinds = [k for k, share in MIX.items() for _ in range(round(total * share))][:total]
    rng.shuffle(kinds)
    for start in range(0, len(kinds), 1000):
        batch = []
        for i, kind in enumerate(kinds[start : start + 1000], start):
            due = NOW - timedelta(minutes=rng.randint(1, 24 * 60))
            notice = _notice(kind, i, buyer, item, due, rng)
            batch.append((kind, notice))
            db.session.add(notice)
            if kind == "published_quoted":
                db.session.add_all(_bids(notice, agencies, rng, 3))
            elif kind != "published_empty":
                (winner,) = _bids(notice, agencies, rng, 1)
                winner.status = "selected"
                db.session.add(winner)
        db.session.flush()
        for kind, notice in batch:
            if kind in ("published_quoted", "published_empty"):
                continue
            winner = notice.bids[0]
            db.session.add(
                Selection(notice=notice, method="direct", algorithm="direct-v1", winner=winner)
            )
            if kind == "publicity":
                continue
            contract = Contract(
                notice=notice,
                bid=winner,
                purchaser_org_id=notice.purchaser_org_id,
                agency_org_id=winner.agency_org_id,
                amount_fen=winner.amount_fen,
                created_dt=notice.due_dt - timedelta(days=9),
            )
            if kind != "awarded" or rng.random() < 0.5:
                contract.agency_signed_dt = contract.created_dt  # the agency signed, maybe alone
            if kind != "awarded":
                contract.purchaser_signed_dt = contract.created_dt
                delivery = Delivery(
                    contract=contract,
                    note="报告书5份",
                    submitted_by_id=winner.submitted_by_id,
                    status="submitted" if kind == "delivered" else "accepted",
                )
                db.session.add(delivery)
            if kind == "accepted":
                contract.accepted_dt = notice.due_dt - timedelta(days=4)
                db.session.add(
                    Evaluation(
                        contract=contract,
                        direction="of_agency",
                        by_org_id=notice.purchaser_org_id,
                        quality=rng.randint(1, 5),
                        timeliness=4,
                        attitude=5,
                        fees=4,
                        conduct=5,
                    )
                )
            db.session.add(contract)
        db.session.commit()
    return kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: SQLite file in /tmp)")
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print where run_due spends time")
    args = parser.parse_args()
    with benchmark_app("market-run-due-", args.database_url) as (app, url, _):
        return _run(app, url, args.notices, args.profile)


def _run(app, url, total, profile=False):
    with app.app_context():
        if inspect(db.engine).get_table_names():
            sys.exit(f"数据库 {url} 不是空库：基准测试只在空库中建表和造数据")
        upgrade()
        load_items(seed_rows())
        db.session.commit()

        print(f"数据库：{db.engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        with clock.travel(NOW - timedelta(days=30)):
            kinds = build(total)
        print(f"已生成到期公告 {len(kinds)} 个，用时 {time.perf_counter() - started:.1f} 秒：")
        for kind in MIX:
            print(f"  {kind:<18} {kinds.count(kind):>6}")
        db.session.expunge_all()

        clock.freeze(NOW)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        # As the worker (and `flask market run-due`) does it: rounds of 500 notices, one commit
        # each; the mail the steps write waits in the outbox, delivered once they are all done.
        changed = 0
        while True:
            done = run_due(NOW, limit=500)
            db.session.commit()
            changed += done
            if done < 500:
                break
        ran = time.perf_counter() - started
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats(
                os.environ.get("PROFILE_SORT", "cumulative")
            ).print_stats(int(os.environ.get("PROFILE_LINES", "40")))
        mail_started = time.perf_counter()
        sent, _ = deliver_outbox()
        delivered = time.perf_counter() - mail_started
        print(
            f"第一次 run_due：处理 {changed} 个公告，用时 {ran:.2f} 秒（目标 ≤ 30 秒）；"
            f"之后从发件箱发出通知邮件 {sent} 封，用时 {delivered:.2f} 秒"
        )

        db.session.expunge_all()
        started = time.perf_counter()
        again = run_due(NOW)
        db.session.commit()
        second = time.perf_counter() - started
        print(f"第二次 run_due：变更 {again} 个公告，用时 {second:.2f} 秒")
        states = db.session.execute(
            db.select(Notice.state, db.func.count()).group_by(Notice.state)
        ).all()
        print("处理后各状态：" + "，".join(f"{s} {n}" for s, n in sorted(states)))
        db.engine.dispose()
    return 0 if again == 0 and changed == len(kinds) else 1


if __name__ == "__main__":
    sys.exit(main())
