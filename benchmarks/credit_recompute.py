"""Time the credit recomputation over 100,000 agencies and 300,000 conduct records.

    .venv/bin/python benchmarks/credit_recompute.py                  # temporary SQLite in /tmp
    .venv/bin/python benchmarks/credit_recompute.py --agencies 10000 --records 30000 --profile
    .venv/bin/python benchmarks/credit_recompute.py --database-url postgresql+psycopg://…  # empty

The data is bulk-inserted with Core executemany (not the ORM, not the services): agencies
(organisations + agencies rows), conduct records over the agency criteria of
violation_criteria (mostly confirmed, some dismissed, revoked, repaired, under appeal or
undecided; decisions over the last 3 years so many have expired; publication and measure ends
computed as records._start_measures does), revealed evaluations (a notice in state
"evaluated" with its bid, contract and evaluation; a tenth more still blind, which must not
count) and red-list entries (some expired or removed).

Figures: `recompute_all()` on the first pass (every agency still at the default 100/A, so
nearly all change) and the second (nothing changes), and the median and p95 of
`standing_of(org_id)` + `recompute_agency(org_id)` for random agencies.
Targets: recompute_all ≤ 60 s; one agency ≤ 5 ms.
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

import statistics  # noqa: E402

from dateutil.relativedelta import relativedelta  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, inspect, select  # noqa: E402
from workspace import benchmark_app, register  # noqa: E402

from market.accounts.models import Organisation  # noqa: E402
from market.agencies.models import Agency  # noqa: E402
from market.catalogue.models import ServiceItem  # noqa: E402
from market.catalogue.services import load_items, seed_rows  # noqa: E402
from market.core import clock  # noqa: E402
from market.core.signals import standing_changed  # noqa: E402
from market.credit.criteria import load_criteria  # noqa: E402
from market.credit.models import (  # noqa: E402
    ConductRecord,
    RedListEntry,
    ScoreSnapshot,
    ViolationCriterion,
)
from market.credit.score import WEIGHING_STATES  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.contract_models import Contract, Evaluation  # noqa: E402
from market.procurement.models import Bid, Notice  # noqa: E402

#: Tuesday 2026-11-24 10:00 in Shanghai
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BATCH = 10_000
DEPARTMENTS = ("生态环境部门", "规划自然资源部门", "气象部门", "水利部门", "住房城乡建设部门")
#: record status → share; decided unless "reported"
STATUSES = {
    "confirmed": 0.80,
    "dismissed_none": 0.04,
    "dismissed_evidence": 0.04,
    "revoked": 0.03,
    "repaired": 0.04,
    "appealed": 0.02,
    "repair_requested": 0.01,
    "reported": 0.02,
}
#: how often a criterion of each severity is the one reported
SEVERITY_WEIGHT = {"general": 6, "major": 3, "serious": 1}
SOURCES = ("purchaser", "regulator", "system", "inspection")


def _insert(table, rows):
    """Core executemany in batches; a key some rows lack gets its column's scalar default
    (or NULL) in all of them, as executemany needs the same keys in every row."""
    defaults = {c.name: c.default for c in table.c}
    blank = {
        k: defaults[k].arg if defaults[k] is not None and defaults[k].is_scalar else None
        for k in set().union(*rows)
    }
    rows = [blank | row for row in rows]
    connection = db.session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[start : start + BATCH])


def _next_id(model):
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _agencies(count):
    """Organisations of kind agency and their agency rows, at the default standing."""
    first = _next_id(Organisation)
    ids = list(range(first, first + count))
    created = NOW - timedelta(days=1200)
    rows = [
        {"id": i, "kind": "agency", "name": f"信用基准机构{i}", "created_dt": created} for i in ids
    ]
    _insert(Organisation.__table__, rows)
    _insert(Agency.__table__, [{"org_id": i} for i in ids])
    return ids


def _criteria():
    rows = db.session.execute(
        select(ViolationCriterion).where(
            ViolationCriterion.party == "agency", ViolationCriterion.retired_dt.is_(None)
        )
    ).scalars()
    criteria = list(rows)
    return criteria, [SEVERITY_WEIGHT[c.severity] for c in criteria]


def _record(n, rng, org_id, criterion, status, minimum_months):
    """One record row, its dates as records.decide/_start_measures leave them."""
    decided = NOW - timedelta(seconds=rng.randrange(3 * 365 * 86400))
    reported = decided - timedelta(days=rng.randint(5, 20))
    row = {
        "subject_org_id": org_id,
        "party": "agency",
        "criterion_id": criterion.id,
        "department": rng.choice(DEPARTMENTS),
        "source": rng.choice(SOURCES),
        "facts": f"基准测试记录 {n}：{criterion.behaviour}",
        "status": status,
        "reported_dt": reported,
        "response_due_dt": reported + timedelta(days=5),
        "version": 1,
    }
    if status == "reported":
        # Still awaiting a decision: reported within the last weeks.
        row["reported_dt"] = NOW - timedelta(days=rng.randint(0, 20))
        row["response_due_dt"] = row["reported_dt"] + timedelta(days=5)
        return row
    row |= {
        "decided_dt": decided,
        "decision_number": f"渝信认〔{decided.year}〕{n}号",
        "decision_reason": "经核查属实" if status != "dismissed_none" else "不构成违规",
    }
    if status.startswith("dismissed"):
        return row
    # As records._start_measures; the two working-day deadlines are taken as calendar days
    # (9 and 21): they do not enter the score and the real calendar reads the database.
    row |= {
        "publish_due_dt": decided + timedelta(days=9),
        "published_dt": decided + timedelta(days=2),
        "publication_end_dt": decided + relativedelta(months=criterion.publish_months),
        "appeal_due_dt": decided + timedelta(days=21),
        "repair_from_dt": decided
        + relativedelta(months=min(minimum_months[criterion.severity], criterion.publish_months)),
    }
    if criterion.measure == "suspend":
        row["measure_end_dt"] = decided + relativedelta(months=criterion.suspend_months)
    elif criterion.measure == "blacklist":
        row["measure_end_dt"] = row["publication_end_dt"]
    if status in ("repaired", "repair_requested") and row["repair_from_dt"] >= NOW:
        row["status"] = status = "confirmed"  # too early to repair: still confirmed
    if status == "revoked":
        row |= {
            "appeal_text": "申请复核",
            "appealed_dt": decided + timedelta(days=5),
            "appeal_result": "revoked",
            "appeal_decided_dt": decided + timedelta(days=15),
        }
    elif status == "appealed":
        row |= {"appeal_text": "申请复核", "appealed_dt": min(NOW, decided + timedelta(days=5))}
    elif status in ("repaired", "repair_requested"):
        requested = row["repair_from_dt"] + (NOW - row["repair_from_dt"]) / 2
        row |= {"repair_text": "已整改", "repair_requested_dt": requested}
        if status == "repaired":
            row["repaired_dt"] = requested + (NOW - requested) / 2
    return row


def _records(agency_ids, count, rng, minimum_months):
    criteria, weights = _criteria()
    statuses, shares = list(STATUSES), list(STATUSES.values())
    rows = [
        _record(
            n,
            rng,
            rng.choice(agency_ids),
            rng.choices(criteria, weights)[0],
            rng.choices(statuses, shares)[0],
            minimum_months,
        )
        for n in range(1, count + 1)
    ]
    _insert(ConductRecord.__table__, rows)
    return rows


def _evaluations(agency_ids, count, rng, buyer, bidder):
    """`count` revealed evaluations of agencies (notice evaluated) over the last 18 months,
    and a tenth more still blind (notice accepted): notice, bid, contract, evaluation."""
    purchasers = _purchasers(50)
    items = db.session.scalars(select(ServiceItem.id)).all()
    notice_id, bid_id, contract_id = _next_id(Notice), _next_id(Bid), _next_id(Contract)
    notices, bids, contracts, evaluations = [], [], [], []
    blind = count // 10
    for n in range(count + blind):
        rated = NOW - timedelta(seconds=rng.randrange(540 * 86400))
        agency = rng.choice(agency_ids)
        purchaser = rng.choice(purchasers)
        amount = rng.randrange(20_000_00, 300_000_00, 100)
        i, b, c = notice_id + n, bid_id + n, contract_id + n
        notices.append(
            {
                "id": i,
                "purchaser_org_id": purchaser,
                "item_id": rng.choice(items),
                "title": f"信用基准项目 {i}",
                "scope": "编制技术报告",
                "ceiling_fen": 300_000_00,
                "method": "direct",
                "service_days": 30,
                "deadline_dt": rated - timedelta(days=60),
                "contact_name": "王五",
                "contact_phone": "023-67001234",
                "created_by_id": buyer[0],
                "created_dt": rated - timedelta(days=70),
                "published_dt": rated - timedelta(days=65),
                "draw_salt": secrets.token_hex(16),
                "state": "evaluated" if n < count else "accepted",
                "state_changed_dt": rated,
                "version": 1,
            }
        )
        bids.append(
            {
                "id": b,
                "notice_id": i,
                "agency_org_id": agency,
                "amount_fen": amount,
                "status": "selected",
                "submitted_by_id": bidder[0],
                "submitted_dt": rated - timedelta(days=61),
                "nonce": secrets.token_hex(16),
                "commitment": secrets.token_hex(32),
            }
        )
        contracts.append(
            {
                "id": c,
                "notice_id": i,
                "bid_id": b,
                "purchaser_org_id": purchaser,
                "agency_org_id": agency,
                "amount_fen": amount,
                "created_dt": rated - timedelta(days=50),
                "accepted_dt": rated - timedelta(days=2),
            }
        )
        dims = [rng.choices((1, 2, 3, 4, 5), (1, 2, 6, 20, 25))[0] for _ in range(5)]
        evaluations.append(
            {
                "contract_id": c,
                "direction": "of_agency",
                "by_org_id": purchaser,
                "quality": dims[0],
                "timeliness": dims[1],
                "attitude": dims[2],
                "fees": dims[3],
                "conduct": dims[4],
                "created_dt": rated,
            }
        )
    for model, rows in ((Notice, notices), (Bid, bids), (Contract, contracts)):
        _insert(model.__table__, rows)
    _insert(Evaluation.__table__, evaluations)
    return count, blind


def _purchasers(count):
    """Purchaser organisations only (their notices name a user of the registered buyer)."""
    first = _next_id(Organisation)
    ids = list(range(first, first + count))
    _insert(
        Organisation.__table__,
        [{"id": i, "kind": "purchaser", "name": f"信用基准采购单位{i}"} for i in ids],
    )
    return ids


def _red_list(agency_ids, count, rng):
    rows = []
    for n in range(count):
        start = NOW - timedelta(seconds=rng.randrange(2 * 365 * 86400))
        removed = rng.random() < 0.1
        rows.append(
            {
                "agency_org_id": rng.choice(agency_ids),
                "reason": "连续三年无不良记录且评价优良",
                "decision_number": f"渝信红〔{start.year}〕{n + 1}号",
                "bonus": rng.choice((3, 5, 5, 5, 8, 10)),
                "start_dt": start,
                "end_dt": start + relativedelta(years=rng.randint(1, 3)),
                "department": rng.choice(DEPARTMENTS),
                "removed_dt": start + (NOW - start) / 2 if removed else None,
                "removed_reason": "存在经认定的不良行为" if removed else "",
            }
        )
    _insert(RedListEntry.__table__, rows)
    return rows


def build(args, config):
    """Everything in bulk; returns what was built, for the printout."""
    rng = random.Random(args.seed)
    load_criteria()
    buyer = register("purchaser", 1)
    bidder = register("agency", 2)  # submits the benchmark bids (a foreign key only)
    db.session.commit()
    agency_ids = _agencies(args.agencies)
    rows = _records(agency_ids, args.records, rng, config["CREDIT_MIN_PUBLICATION_MONTHS"])
    revealed, blind = _evaluations(agency_ids, args.evaluations, rng, buyer, bidder)
    red = _red_list(agency_ids, args.red_list, rng)
    db.session.commit()
    weighing = sum(r["status"] in WEIGHING_STATES and r["publication_end_dt"] > NOW for r in rows)
    return {
        "agency_ids": agency_ids,
        "records": len(rows),
        "weighing": weighing,
        "statuses": {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES},
        "revealed": revealed,
        "blind": blind,
        "red_list": len(red),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: SQLite file in /tmp)")
    parser.add_argument("--agencies", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--evaluations", type=int, default=50_000, help="revealed evaluations")
    parser.add_argument("--red-list", type=int, default=3_000, help="red-list entries")
    parser.add_argument("--samples", type=int, default=1_000, help="agencies timed one by one")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    with benchmark_app("market-credit-bench-", args.database_url) as (app, url, _):
        return _run(app, url, args)


def _profiled(profile, label, call):
    """Run `call` once, timed (and profiled if asked): (result, seconds)."""
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = call()
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        print(f"--- 性能剖析：{label} ---")
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            30
        )
    return result, seconds


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _run(app, url, args):
    with app.app_context():
        if inspect(db.engine).get_table_names():
            sys.exit(f"数据库 {url} 不是空库：基准测试只在空库中建表和造数据")
        upgrade()
        load_items(seed_rows())
        db.session.commit()
        from market.credit.standing import recompute_agency, recompute_all, standing_of

        print(f"数据库：{db.engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        with clock.travel(NOW):
            built = build(args, app.config)
        print(f"造数用时 {time.perf_counter() - started:.1f} 秒：")
        print(f"  中介机构 {len(built['agency_ids']):,} 家")
        print(
            f"  不良行为记录 {built['records']:,} 条（当前计分 {built['weighing']:,} 条）："
            + "，".join(f"{s} {n:,}" for s, n in built["statuses"].items())
        )
        print(
            f"  已公开的服务评价 {built['revealed']:,} 条（另有尚未揭示的 {built['blind']:,} 条）"
        )
        print(f"  红名单 {built['red_list']:,} 条")
        db.session.expunge_all()

        clock.freeze(NOW)
        first, first_s = _profiled(args.profile, "第一次 recompute_all", recompute_all)
        db.session.commit()
        print(
            f"第一次 recompute_all：{first['agencies']:,} 家，变更 {first['changed']:,} 家，"
            f"写入历史 {first['history']:,} 条，用时 {first_s:.2f} 秒（目标 ≤ 60 秒）"
        )
        db.session.expunge_all()
        second, second_s = _profiled(args.profile, "第二次 recompute_all", recompute_all)
        db.session.commit()
        print(
            f"第二次 recompute_all：变更 {second['changed']:,} 家，用时 {second_s:.2f} 秒"
            "（目标 ≤ 60 秒）"
        )

        db.session.expunge_all()
        sample = random.Random(args.seed + 1).sample(
            built["agency_ids"], min(args.samples, len(built["agency_ids"]))
        )

        changed = []  # recompute_agency announces a change: set-wise and one-by-one disagree

        def one_by_one():
            timings = []
            for org_id in sample:
                started = time.perf_counter()
                standing_of(org_id)
                recompute_agency(org_id, cause="benchmark")
                timings.append((time.perf_counter() - started) * 1000)
            return timings

        standing_changed.connect(changed.append)
        try:
            timings, _ = _profiled(args.profile, "逐家 standing_of + recompute_agency", one_by_one)
        finally:
            standing_changed.disconnect(changed.append)
        db.session.rollback()
        moved = len(changed)
        median, p95 = statistics.median(timings), _percentile(timings, 0.95)
        print(
            f"逐家 standing_of + recompute_agency（{len(sample):,} 家）：中位数 {median:.2f} 毫秒，"
            f"p95 {p95:.2f} 毫秒，最大 {max(timings):.2f} 毫秒（目标 ≤ 5 毫秒）；"
            f"与整体重算结果不一致 {moved} 家"
        )
        grades = db.session.execute(
            select(Agency.credit_grade, func.count()).group_by(Agency.credit_grade)
        ).all()
        print("重算后各等级：" + "，".join(f"{g} {n:,}" for g, n in sorted(grades)))
        history = db.session.scalar(select(func.count(ScoreSnapshot.id)))
        print(f"信用分历史 {history:,} 条")
        clock.freeze(None)
        db.engine.dispose()
    ok = second["changed"] == 0 and moved == 0 and first_s <= 60 and second_s <= 60 and p95 <= 5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
