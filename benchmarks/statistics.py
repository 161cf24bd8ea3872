"""The statistics page and its JSON at scale: median and p95 over requests through the test
client, on a temporary SQLite database filled by bulk inserts.

    .venv/bin/python benchmarks/statistics.py                      # 100,000 notices
    .venv/bin/python benchmarks/statistics.py --notices 20000 --requests 50

The database (migrated with the real migrations, the shipped catalogue) gets 3 years of data:
purchasers and agencies registered month by month (a fifth of the agencies from outside the
home region, grades A–D), `--notices` notices published over those months on every online item
with every method and in every state (drafts and notices still taking quotes among them),
their quotes (sealed ones included), contracts for the awarded ones (signed, accepted), and
conduct records (disclosed or not, on time or late, some repaired). Core inserts, committed
once.

Measured, each over --requests requests (the first of each series apart: it warms the
process): the page and the JSON with the default filters and with a department, first with
the figures kept per version of the data (as served: STATISTICS_CACHE_ENTRIES), then counted
at every request (STATISTICS_CACHE_ENTRIES=0: what the first visitor after any change waits),
and the data version's own query. Target (reported, not asserted): p95 ≤ 300 ms as served.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# This file bears the standard library's name: its folder goes last on the path, so that
# `import statistics` (here and in the application) finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from random import Random  # noqa: E402

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402
from workspace import benchmark_app  # noqa: E402

from market.accounts.models import Membership, Organisation, User  # noqa: E402
from market.agencies.models import Agency, Offering  # noqa: E402
from market.catalogue.models import ServiceItem  # noqa: E402
from market.catalogue.services import load_items, seed_rows  # noqa: E402
from market.core import limits  # noqa: E402
from market.core.clock import utcnow  # noqa: E402
from market.credit.models import ConductRecord, ViolationCriterion  # noqa: E402
from market.extensions import db  # noqa: E402
from market.procurement.contract_models import Contract  # noqa: E402
from market.procurement.models import Bid, Notice  # noqa: E402
from market.statistics import cache  # noqa: E402

D = timedelta(days=1)
MONTHS = 36
BATCH = 5000
TARGET_MS = 300
METHODS = {"lowest": 0.40, "direct": 0.25, "random": 0.15, "credit": 0.10, "mean": 0.10}
STATES = {
    "published": 0.05,
    "bidding_closed": 0.02,
    "publicity": 0.03,
    "awarded": 0.03,
    "contracted": 0.12,
    "delivered": 0.03,
    "accepted": 0.04,
    "evaluated": 0.48,
    "failed": 0.08,
    "cancelled": 0.07,
    "draft": 0.05,
}
AWARDED = {"awarded", "contracted", "delivered", "accepted", "evaluated"}
ACCEPTED = {"accepted", "evaluated"}
REGIONS = ("重庆市渝北区",) * 5 + ("重庆市江北区",) * 3 + ("四川省成都市", "陕西省西安市")
REASONS = (
    "公平竞争审查：常规小额服务，随机抽取保证各机构机会均等",
    "服务内容标准化，价格由政府指导价确定",
    "多家机构资质相当，随机选取避免人为干预",
)


def pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Data:
    """Rows for the tables the statistics read, with ids given here, written in batches."""

    def __init__(self, notices: int, seed: int = 2026):
        self.rng = Random(seed)
        self.now = utcnow()
        self.start = self.now - MONTHS * 30 * D
        self.notices = notices
        self.rows: dict = {}
        self.ids: dict = {}

    def _id(self, model):
        table = model.__table__.name
        if table not in self.ids:
            self.ids[table] = (db.session.scalar(select(db.func.max(model.id))) or 0) + 1
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _add(self, model, row):
        self.rows.setdefault(model.__table__, []).append(row)
        return row

    def _moment(self, low=None, high=None):
        low, high = low or self.start, high or self.now
        return low + (high - low) * self.rng.random()

    def organisations(self, kind: str, count: int) -> list[int]:
        ids = []
        for n in range(count):
            org_id = self._id(Organisation)
            created = self._moment()
            self._add(
                Organisation,
                {
                    "id": org_id,
                    "kind": kind,
                    "name": f"统计基准{'机构' if kind == 'agency' else '采购单位'}{n}",
                    "uscc": None,
                    "region": self.rng.choice(REGIONS),
                    "created_dt": created,
                },
            )
            if kind == "agency":
                grade = self.rng.choices("ABCD", weights=(70, 18, 9, 3))[0]
                score = {"A": 95, "B": 85, "C": 70, "D": 50}[grade]
                self._add(Agency, {"org_id": org_id, "credit_grade": grade, "credit_score": score})
                for item in self.rng.sample(self.items, self.rng.randint(1, 3)):
                    self._add(
                        Offering,
                        {
                            "id": self._id(Offering),
                            "agency_id": org_id,
                            "item_id": item,
                            "fee_kind": "negotiable",
                            "promised_days": 20,
                            "created_dt": created,
                        },
                    )
            ids.append(org_id)
        return ids

    def build(self):
        self.items = list(
            db.session.scalars(select(ServiceItem.id).where(ServiceItem.status == "online"))
        )
        user_id = self._id(User)
        self._add(
            User,
            {
                "id": user_id,
                "email": "statistics-bench@example.cn",
                "name": "基准",
                "password_hash": "x",
                "created_dt": self.start,
            },
        )
        purchasers = self.organisations("purchaser", max(self.notices // 50, 10))
        agencies = self.organisations("agency", max(self.notices // 20, 20))
        self._add(
            Membership,
            {
                "id": self._id(Membership),
                "user_id": user_id,
                "organisation_id": purchasers[0],
                "role": "admin",
                "created_dt": self.start,
            },
        )
        offered: dict = {}
        for row in self.rows[Offering.__table__]:
            offered.setdefault(row["item_id"], []).append(row["agency_id"])
        for _ in range(self.notices):
            self.notice(user_id, purchasers, agencies, offered)
        self.records(agencies)
        self.write()

    def notice(self, user_id, purchasers, agencies, offered):
        rng = self.rng
        notice_id = self._id(Notice)
        state = pick(rng, STATES)
        method = pick(rng, METHODS)
        item = rng.choice(self.items)
        ceiling = rng.randrange(20_000, 500_000) * 100
        if state == "published":
            published = self.now - rng.uniform(0.1, 4) * D
        else:
            published = self._moment(high=self.now - 20 * D)
        deadline = published + rng.randint(5, 9) * D
        invited = rng.random() < 0.05 and method == "direct"
        pool = offered.get(item) or agencies
        self._add(
            Notice,
            {
                "id": notice_id,
                "purchaser_org_id": rng.choice(purchasers),
                "item_id": item,
                "title": f"统计基准公告{notice_id}",
                "scope": "服务范围",
                "ceiling_fen": ceiling,
                "method": method,
                "method_reason": rng.choice(REASONS) if method == "random" else "",
                "weight_price": 0,
                "weight_credit": 0,
                "weight_technical": 0,
                "requires_qualification": False,
                "draw_salt": "",
                "revision": 1,
                "page_version": rng.randint(1, 12),
                "service_days": 30,
                "payment_plan": [],
                "deadline_dt": deadline,
                "contact_name": "王五",
                "contact_phone": "023-67001234",
                "state": state,
                "state_changed_dt": deadline,
                "published_dt": None if state == "draft" else published,
                "invited_org_id": pool[0] if invited else None,
                "created_by_id": user_id,
                "created_dt": published - D,
                "version": 1,
            },
        )
        if state == "draft":
            return
        count = 1 if invited else min(len(pool), rng.choice((0, 1, 1, 2, 3, 3, 4, 5, 6)))
        if state in AWARDED:
            count = max(count, 1)
        bidders = rng.sample(pool, count)
        fixed = method in ("random", "credit")
        bids = []
        for agency in bidders:
            bid_id = self._id(Bid)
            amount = ceiling if fixed else int(ceiling * rng.uniform(0.7, 1.0))
            bids.append((bid_id, agency, amount))
            self._add(
                Bid,
                {
                    "id": bid_id,
                    "notice_id": notice_id,
                    "agency_org_id": agency,
                    "amount_fen": amount,
                    "status": "submitted",
                    "submitted_by_id": user_id,
                    "submitted_dt": published + D,
                    "notice_revision": 1,
                },
            )
        if state not in AWARDED:
            return
        bid_id, agency, amount = bids[0]
        self.rows[Bid.__table__][-len(bids)]["status"] = "selected"
        awarded = deadline + rng.randint(4, 12) * D
        signed = awarded + rng.randint(0, 5) * D
        contracted = state != "awarded"
        self._add(
            Contract,
            {
                "id": self._id(Contract),
                "notice_id": notice_id,
                "bid_id": bid_id,
                "purchaser_org_id": self.rows[Notice.__table__][-1]["purchaser_org_id"],
                "agency_org_id": agency,
                "amount_fen": amount,
                "created_dt": awarded,
                "purchaser_signed_dt": signed if contracted else None,
                "agency_signed_dt": signed if contracted else None,
                "accepted_dt": (signed + rng.randint(10, 60) * D if state in ACCEPTED else None),
            },
        )

    def records(self, agencies):
        criteria = db.session.execute(
            select(ViolationCriterion.id, ViolationCriterion.publish_months).where(
                ViolationCriterion.party == "agency"
            )
        ).all()
        for _ in range(max(self.notices // 50, 10)):
            criterion, months = self.rng.choice(criteria)
            reported = self._moment(high=self.now - 30 * D)
            decided = reported + 5 * D
            status = self.rng.choices(
                ("confirmed", "reported", "dismissed_none", "repaired", "revoked"),
                weights=(70, 10, 10, 5, 5),
            )[0]
            published = None
            if status in ("confirmed", "repaired", "revoked") and self.rng.random() < 0.9:
                published = decided + self.rng.randint(1, 14) * D
            self._add(
                ConductRecord,
                {
                    "id": self._id(ConductRecord),
                    "subject_org_id": self.rng.choice(agencies),
                    "party": "agency",
                    "criterion_id": criterion,
                    "department": "生态环境部门",
                    "source": "regulator",
                    "facts": "统计基准",
                    "evidence": {},
                    "status": status,
                    "reported_dt": reported,
                    "response_due_dt": reported + 3 * D,
                    "decided_dt": None if status == "reported" else decided,
                    "publish_due_dt": decided + 9 * D,
                    "published_dt": published,
                    "publication_end_dt": decided + months * 30 * D,
                    "repaired_dt": decided + 100 * D if status == "repaired" else None,
                    "version": 1,
                },
            )

    def write(self):
        conn = db.session.connection()
        for table in db.metadata.sorted_tables:  # parents first
            rows = self.rows.get(table)
            if not rows:
                continue
            blank = {}
            for key in set().union(*rows):
                default = table.c[key].default
                blank[key] = default.arg if default is not None and default.is_scalar else None
            rows = [blank | row for row in rows]
            for start in range(0, len(rows), BATCH):
                conn.execute(table.insert(), rows[start : start + BATCH])
        db.session.commit()


def percentiles(times):
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(app, client, path, requests, cached):
    app.config["STATISTICS_CACHE_ENTRIES"] = 200 if cached else 0
    with app.app_context():
        cache.clear()
    response = client.get(path)  # the first request: the process warms up
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    return percentiles(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with benchmark_app("market-statistics-", PUBLIC_PAGE_SECONDS=0) as (app, _url, workdir):
        app.instance_path = workdir
        limits.limiter(app).enabled = False  # one address asks far more than a visitor would
        with app.app_context():
            upgrade(directory=os.path.join(REPO, "migrations"))
            load_items(seed_rows())
            db.session.commit()
            began = time.perf_counter()
            data = Data(args.notices)
            data.build()
            counts = {t.name: len(rows) for t, rows in data.rows.items()}
            print(
                f"数据：{args.notices:,} 个公告（{MONTHS} 个月），"
                + "，".join(
                    f"{name} {counts.get(name, 0):,}"
                    for name in ("bids", "contracts", "organisations", "conduct_records")
                )
                + f"；写入用时 {time.perf_counter() - began:.1f} 秒"
            )
            department = db.session.scalar(
                select(ServiceItem.approving_department).where(ServiceItem.code == "ZJ012")
            )
        client = app.test_client()
        pages = (
            ("统计页", "/statistics/"),
            ("JSON", "/statistics/data.json"),
            ("统计页（按部门）", f"/statistics/?department={department}"),
            ("JSON（按部门）", f"/statistics/data.json?department={department}"),
        )
        print(f"每项 {args.requests} 次请求（测试客户端），毫秒：")
        print(f"{'':<18}{'按数据版本缓存 p50':>20}{'p95':>10}{'每次统计 p50':>16}{'p95':>10}")
        worst = 0.0
        for label, path in pages:
            warm = measure(app, client, path, args.requests, cached=True)
            cold = measure(app, client, path, max(5, args.requests // 3), cached=False)
            worst = max(worst, warm[1])
            print(f"{label:<18}{warm[0]:>20.1f}{warm[1]:>10.1f}{cold[0]:>16.1f}{cold[1]:>10.1f}")
        with app.app_context():
            times = []
            for _ in range(args.requests):
                began = time.perf_counter()
                cache.data_version()
                times.append(time.perf_counter() - began)
            p50, p95 = percentiles(times)
        print(f"数据版本查询：p50 {p50:.1f} ms，p95 {p95:.1f} ms")
        verdict = "达标" if worst <= TARGET_MS else "未达标"
        print(f"目标：按数据版本缓存时 p95 ≤ {TARGET_MS} ms：{verdict}（最慢 {worst:.1f} ms）")


if __name__ == "__main__":
    main()
