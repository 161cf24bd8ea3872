"""Bulk data for benchmarks/pages.py's large scale: as many notices as asked (in every state,
with their bids, selections, contracts, deliveries, evaluations and audit trail, published
over the last year) and half as many agencies (offerings, qualifications, practitioners, past
performance, some conduct records and red-list entries), written with Core inserts on top of
the demo data in the current app's database and committed once."""

import os
import secrets
import sys
from datetime import UTC, timedelta
from random import Random

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# benchmarks/statistics.py bears the standard library's name: this folder goes last on the
# path (python puts a script's folder first), so that `import statistics` here and in the
# application finds the library's.
sys.path[:] = [REPO, *(p for p in sys.path if os.path.abspath(p or ".") != HERE), HERE]

from sqlalchemy import func, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from market.accounts.models import Membership, Organisation, User  # noqa: E402
from market.agencies.models import (  # noqa: E402
    QUALIFICATION_GRADES,
    Agency,
    Offering,
    PastPerformance,
    Practitioner,
    Qualification,
)
from market.catalogue.models import ServiceItem  # noqa: E402
from market.core.audit import event_hash  # noqa: E402
from market.core.clock import utcnow  # noqa: E402
from market.core.models import AuditChainHead, AuditEvent  # noqa: E402
from market.credit.models import ConductRecord, RedListEntry, ViolationCriterion  # noqa: E402
from market.demo.build import PLACES, PROJECTS  # noqa: E402  (the demo's names, at scale)
from market.extensions import db  # noqa: E402
from market.procurement.contract_models import Contract, Delivery, Evaluation  # noqa: E402
from market.procurement.models import Bid, Notice, Selection  # noqa: E402

D, H = timedelta(days=1), timedelta(hours=1)
BATCH = 5000
STATE_MIX = {
    "published": 0.14,
    "bidding_closed": 0.03,
    "publicity": 0.04,
    "awarded": 0.03,
    "contracted": 0.12,
    "delivered": 0.04,
    "accepted": 0.03,
    "evaluated": 0.43,
    "failed": 0.07,
    "cancelled": 0.07,
}
METHOD_MIX = {"lowest": 0.45, "direct": 0.30, "random": 0.15, "credit": 0.10}
#: age of the last event of a state with no deadline ahead (bounds in days)
AGES = {
    "bidding_closed": (0.1, 4),
    "contracted": (1, 90),
    "evaluated": (1, 330),
    "failed": (1, 350),
    "cancelled": (1, 350),
}
CITIES = (
    ("500112", "重庆市渝北区", "重庆"),
    ("500105", "重庆市江北区", "重庆"),
    ("500103", "重庆市渝中区", "重庆"),
    ("500107", "重庆市九龙坡区", "重庆"),
    ("500108", "重庆市南岸区", "重庆"),
    ("500106", "重庆市沙坪坝区", "重庆"),
    ("500109", "重庆市北碚区", "重庆"),
    ("500113", "重庆市巴南区", "重庆"),
    ("510104", "四川省成都市", "成都"),
    ("610102", "陕西省西安市", "西安"),
    ("420102", "湖北省武汉市", "武汉"),
    ("520102", "贵州省贵阳市", "贵阳"),
)
BRAND = "信诚恒瑞华博致远和泰正宏新源鼎盛安中科建明德聚丰达"
SUFFIXES = ("科技有限公司", "咨询有限公司", "技术服务有限公司", "工程咨询有限公司")
BUYER_KINDS = ("置业有限公司", "建设投资有限公司", "实业集团有限公司", "城市建设发展有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超")
DEPARTMENTS = ("生态环境部门", "规划自然资源部门", "气象部门", "水利部门", "住房城乡建设部门")


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Bulk:
    """Core inserts with ids assigned here (sequences set after, on PostgreSQL), so rows can
    name each other before they are written; committed once at the end."""

    def __init__(self, notices, seed=2026):
        self.rng = Random(seed)
        self.now = utcnow()
        self.target_notices = notices
        self.target_agencies = notices // 2
        self.next_ids = {}
        self.rows = {}  # table → rows to insert
        self.events = []  # audit events, chained when all are known
        self.password = generate_password_hash("bench-pass-1", method="pbkdf2:sha256:1000")

    # -- helpers

    def _id(self, model):
        table = model.__table__
        if table.name not in self.next_ids:
            self.next_ids[table.name] = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        value = self.next_ids[table.name]
        self.next_ids[table.name] += 1
        return value

    def _add(self, model, row):
        self.rows.setdefault(model.__table__, []).append(row)
        return row

    def _between(self, low, high):
        return low + (high - low) * self.rng.random()

    def _person(self):
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.randint(1, 2)))

    def _event(self, at, subject, subject_id, action, actor=None, **fields):
        """An audit event; actor is (user id, org id) or None for the system."""
        self.events.append(
            {
                "occurred_dt": at,
                "created_dt": at,
                "actor_user_id": actor[0] if actor else None,
                "actor_org_id": actor[1] if actor else None,
                "subject_type": subject,
                "subject_id": subject_id,
                "action": action,
                "from_state": fields.get("from_state"),
                "to_state": fields.get("to_state"),
                "public": fields.get("public", True),
                "data": fields.get("data", {}),
            }
        )

    def _transition(self, at, notice_id, from_state, to_state, actor=None, **data):
        self._event(
            at,
            "notice",
            notice_id,
            "transition",
            actor,
            from_state=from_state,
            to_state=to_state,
            data=data,
        )

    def _member(self, org_id, kind, n, created):
        user_id = self._id(User)
        self._add(
            User,
            {
                "id": user_id,
                "email": f"pages-{kind}{n}@example.cn",
                "name": self._person(),
                "phone": f"138{self.rng.randrange(10**8):08d}",
                "password_hash": self.password,
                "active": True,
                "created_dt": created,
            },
        )
        self._add(
            Membership,
            {
                "id": self._id(Membership),
                "user_id": user_id,
                "organisation_id": org_id,
                "role": "admin",
                "created_dt": created,
            },
        )
        return user_id

    def _organisation(self, kind, n, name, city):
        from stdnum.cn.uscc import calc_check_digit

        org_id = self._id(Organisation)
        created = self.now - self._between(400 * D, 1200 * D)
        # 9th character 8 (agency) or 7: never one of workspace.register's (…0…)
        body = f"91{city[0]}{8 if kind == 'agency' else 7}{n:08d}"
        user_id = self._member(org_id, kind, n, created)
        self._add(
            Organisation,
            {
                "id": org_id,
                "kind": kind,
                "name": name,
                "uscc": body + calc_check_digit(body),
                "legal_representative": self._person(),
                "region": city[1],
                "address": f"{city[1]}{self.rng.choice(PLACES)}大道{self.rng.randint(1, 999)}号",
                "contact_name": self._person(),
                "contact_phone": f"023-{self.rng.randrange(10**7, 10**8)}",
                "contact_email": f"pages-{kind}{n}@example.cn",
                "commitment_signed_dt": created,
                "department": "",
                "authorised_user_id": user_id,
                "created_dt": created,
            },
        )
        return org_id, user_id

    # -- organisations

    def agencies(self, count):
        from market.demo.storefronts import fee_standard

        items = self.items
        by_category = {}
        for item in items:
            by_category.setdefault(item.category, []).append(item)
        categories = sorted(by_category)
        names = set(db.session.scalars(select(Organisation.name)))
        self.agency = {}  # org id → (user id, name)
        self.offered_by = {}  # item id → [org id]
        for n in range(1, count + 1):
            city = self.rng.choice(CITIES)
            category = self.rng.choice(categories)
            while True:
                brand = "".join(self.rng.sample(BRAND, 2))
                suffix = self.rng.choice(SUFFIXES)
                if category.endswith("咨询") and "咨询" in suffix:
                    suffix = "技术有限公司"
                name = f"{city[2]}{brand}{category}{suffix}"
                if name not in names:
                    names.add(name)
                    break
            org_id, user_id = self._organisation("agency", n, name, city)
            self.agency[org_id] = (user_id, name)
            area = self.rng.choice(("重庆市全域", "重庆市主城都市区", "川渝地区", city[1]))
            self._add(
                Agency,
                {
                    "org_id": org_id,
                    "description": (
                        f"{name}主要从事{category}等中介服务，拥有专业技术人员"
                        f"{self.rng.randint(8, 120)}名，服务范围覆盖{area}。"
                    ),
                    "service_area": area,
                },
            )
            own = by_category[category]
            chosen = self.rng.sample(own, min(len(own), self.rng.randint(1, 3)))
            if self.rng.random() < 0.5:
                chosen += [i for i in [self.rng.choice(items)] if i not in chosen]
            for item in chosen:
                fee = fee_standard(self.rng, item)
                self._add(
                    Offering,
                    {
                        "id": self._id(Offering),
                        "agency_id": org_id,
                        "item_id": item.id,
                        "fee_kind": fee["fee_kind"],
                        "fee_min_fen": fee.get("fee_min_fen"),
                        "fee_max_fen": fee.get("fee_max_fen", fee.get("fee_min_fen")),
                        "fee_rate_bp": fee.get("fee_rate_bp"),
                        "fee_note": fee.get("fee_note", ""),
                        "promised_days": self.rng.choice((10, 15, 20, 30, 45, 60)),
                        "description": f"{item.name}，含现场踏勘、报告编制及配合审查",
                        "service_area": area,
                        "created_dt": self.now - self._between(30 * D, 400 * D),
                    },
                )
                self.offered_by.setdefault(item.id, []).append(org_id)
                if item.implementing_requirement and self.rng.random() < 0.7:
                    self._qualification(org_id, item)
            for _ in range(self.rng.choice((0, 0, 1, 2, 3))):
                self._practitioner(org_id)

    def _qualification(self, org_id, item):
        declared = self.now - self._between(20 * D, 600 * D)
        expired = self.rng.random() < 0.08
        valid_until = (self.now + (-1 if expired else 1) * self._between(5 * D, 900 * D)).date()
        verified = self.rng.random() < 0.6
        self._add(
            Qualification,
            {
                "id": self._id(Qualification),
                "agency_id": org_id,
                "item_id": item.id,
                "type": item.implementing_requirement[:100],
                "grade": self.rng.choice(QUALIFICATION_GRADES),
                "number": f"ZZ{self.rng.randrange(10**9):09d}",
                "issuer": f"{self.rng.choice(DEPARTMENTS)}",
                "valid_until": valid_until,
                "status": "verified" if verified else "declared",
                "declared_dt": declared,
                "decided_dt": declared + 3 * D if verified else None,
                "decision_note": "",
            },
        )

    def _practitioner(self, org_id):
        self._add(
            Practitioner,
            {
                "id": self._id(Practitioner),
                "agency_id": org_id,
                "name": self._person(),
                "certificate": self.rng.choice(("注册环评工程师", "注册测绘师", "注册安全工程师")),
                "certificate_number": f"ZS{self.rng.randrange(10**8):08d}",
                "id_number": f"500112{self.rng.randrange(10**11):011d}X",
                "active": True,
                "created_dt": self.now - self._between(30 * D, 600 * D),
            },
        )

    def purchasers(self, count):
        self.purchaser = {}  # org id → (user id, name)
        names = set(db.session.scalars(select(Organisation.name)))
        for n in range(1, count + 1):
            city = self.rng.choice(CITIES)
            while True:
                name = (
                    f"{city[2]}{self.rng.choice(PLACES)}{''.join(self.rng.sample(BRAND, 2))}"
                    f"{self.rng.choice(BUYER_KINDS)}"
                )
                if name not in names:
                    names.add(name)
                    break
            org_id, user_id = self._organisation("purchaser", n, name, city)
            self.purchaser[org_id] = (user_id, name)

    # -- notices

    def _chain(self, state, method, service_days):
        """Times (relative to publication) of every step up to `state`, then placed so that
        its deadline, if it has one, is at least a day ahead; returns absolute times."""
        r, t = self.rng, {"published": timedelta(0)}
        t["deadline"] = self._between(7 * D, 20 * D)
        t["cancelled"] = self._between(H, t["deadline"] - H)
        t["selected"] = t["deadline"] + (
            self._between(2 * H, 2 * D) if method == "direct" else 0 * D
        )
        t["publicity_end"] = t["selected"] + 5 * D
        t["award"] = t["publicity_end"]
        t["sign_deadline"] = t["award"] + 7 * D
        t["signed"] = t["award"] + self._between(2 * H, 4 * D)
        t["delivered"] = t["signed"] + self._between(service_days * D / 2, service_days * D)
        t["accept_deadline"] = t["delivered"] + 14 * D
        auto = r.random() < 0.1
        t["accepted"] = t["accept_deadline"] if auto else t["delivered"] + self._between(H, 10 * D)
        t["evaluation_end"] = t["accepted"] + 5 * D
        t["of_agency"] = t["accepted"]
        t["of_purchaser"] = t["accepted"] + self._between(H, 4 * D)
        entered, deadline = {
            "published": ("published", "deadline"),
            "bidding_closed": ("deadline", None),
            "failed": ("deadline", None),
            "cancelled": ("cancelled", None),
            "publicity": ("selected", "publicity_end"),
            "awarded": ("award", "sign_deadline"),
            "contracted": ("signed", None),
            "delivered": ("delivered", "accept_deadline"),
            "accepted": ("accepted", "evaluation_end"),
            "evaluated": ("evaluation_end", None),  # at the latest; see _evaluated
        }[state]
        if deadline:
            ahead = t[deadline] - t[entered]
            since = self._between(H, max(2 * H, ahead - D))
            start = self.now - since - t[entered]
        else:
            low, high = AGES[state]
            age = self._between(low * D, max(low * D, 365 * D - t[entered]))
            start = self.now - age - t[entered]
        times = {k: start + v for k, v in t.items()}
        times["auto"] = auto
        return times

    def notices(self, count):
        self.items_by_id = {i.id: i for i in self.items}
        states = [s for s, share in STATE_MIX.items() for _ in range(round(count * share))]
        states = (states + ["evaluated"] * count)[:count]
        self.rng.shuffle(states)
        purchasers = list(self.purchaser)
        methods, weights = list(METHOD_MIX), list(METHOD_MIX.values())
        for state in states:
            self._notice(state, self.rng.choices(methods, weights)[0], self.rng.choice(purchasers))

    def _notice(self, state, method, purchaser_org):
        from market.procurement.selection.base import method_for
        from market.procurement.selection.draw import draw_among, seed_inputs, seed_of

        rng = self.rng
        buyer = (self.purchaser[purchaser_org][0], purchaser_org)
        item = self.items_by_id[rng.choice(list(self.offered_by))]
        service_days = rng.choice((15, 20, 30, 45, 60))
        t = self._chain(state, method, service_days)
        notice_id = self._id(Notice)
        place = rng.choice(PLACES)
        project = rng.choice(PROJECTS).format(place=place, n=rng.choice((5, 10, 20, 110, 220)))
        ceiling = rng.randrange(2, 10 if method == "direct" else 60) * 10_000_00
        fixed = method in ("random", "credit")
        notice = self._add(
            Notice,
            {
                "id": notice_id,
                "purchaser_org_id": purchaser_org,
                "item_id": item.id,
                "title": f"{project}{item.name}服务采购",
                "project_name": project,
                "project_code": f"2101-500112-04-01-{rng.randrange(10**6):06d}",
                "fiscal_share_pct": rng.choice((0, 0, 0, 30, 100)),
                "scope": f"为{project}提供{item.name}服务，成果报{item.approving_department}审查",
                "ceiling_fen": ceiling,
                "floor_fen": None,
                "method": method,
                "method_reason": "采购人拟通过随机方式公平选取中介机构"
                if method == "random"
                else "",
                "service_days": service_days,
                "deadline_dt": t["deadline"],
                "contact_name": self._person(),
                "contact_phone": "023-67001234",
                "state": state,
                "state_changed_dt": t["published"],
                "due_dt": None,
                "published_dt": t["published"],
                "publicity_end_dt": None,
                "sign_deadline_dt": None,
                "accept_deadline_dt": None,
                "evaluation_end_dt": None,
                "selection_reason": "",
                "outcome_note": "",
                "created_by_id": buyer[0],
                "created_dt": t["published"] - self._between(H, 3 * D),
                "draw_salt": secrets.token_hex(16),
                "revision": 1,
                "version": 1,
            },
        )
        self._event(notice["created_dt"], "notice", notice_id, "created", buyer, public=False)
        self._transition(t["published"], notice_id, "draft", "published", buyer)
        if state == "published":
            notice["due_dt"] = t["deadline"]
            self._bids(notice, item, ceiling, fixed, rng.choice((0, 1, 1, 2, 3, 4, 5)), t)
            return
        if state == "cancelled":
            self._bids(notice, item, ceiling, fixed, rng.choice((0, 0, 1, 2)), t)
            notice["state_changed_dt"] = t["cancelled"]
            self._transition(
                t["cancelled"], notice_id, "published", "cancelled", buyer, reason="项目计划调整"
            )
            return
        if state == "failed":
            notice["state_changed_dt"] = t["deadline"]
            notice["outcome_note"] = "报价截止时无机构报价"
            self._transition(t["deadline"], notice_id, "published", "failed", reason="no_bids")
            return
        bids = self._bids(notice, item, ceiling, fixed, rng.randint(1, 7), t)
        notice["state_changed_dt"] = t["deadline"]
        self._transition(t["deadline"], notice_id, "published", "bidding_closed", bids=len(bids))
        commitments = sorted(b["commitment"] for b in bids)
        self._event(
            t["deadline"],
            "notice",
            notice_id,
            "commitments_published",
            data={
                "summary": "报价截止，公开报价承诺值",
                "count": len(bids),
                "commitments": commitments,
            },
        )
        if state == "bidding_closed":
            if method != "direct":
                notice["method"] = "direct"  # the automatic methods would have selected already
            return

        # selection, publicity
        inputs = seed_inputs(notice_id, 1, notice["draw_salt"], commitments)
        seed = seed_of(inputs)
        parameters = {"settings": {}}
        if method == "lowest":
            winner = min(bids, key=lambda b: (b["amount_fen"], b["id"]))
            summary = "报价最低"
        elif method == "direct":
            winner = rng.choice(bids)
            summary = "综合考虑机构业绩、服务方案和报价，直接选取"
            parameters["settings"] = {"chosen_bid_id": winner["id"], "reason": summary}
        else:
            chosen, draw = draw_among(seed, [b["id"] for b in bids])
            winner = next(b for b in bids if b["id"] == chosen)
            parameters["draw"] = draw
            summary = "随机抽取产生" if method == "random" else "信用分最高，同分随机抽取"
        winner["status"] = "selected"
        agency_name = self.agency[winner["agency_org_id"]][1]
        selection_id = self._id(Selection)
        actor = buyer if method == "direct" else None
        self._add(
            Selection,
            {
                "id": selection_id,
                "notice_id": notice_id,
                "round": 1,
                "method": method,
                "algorithm": method_for(method).algorithm,
                "candidates": [
                    {
                        "bid_id": b["id"],
                        "agency_org_id": b["agency_org_id"],
                        "agency": self.agency[b["agency_org_id"]][1],
                        "amount_fen": b["amount_fen"],
                        "credit_score": 100,
                        "commitment": b["commitment"],
                    }
                    for b in bids
                ],
                "seed_inputs": inputs,
                "seed": seed,
                "parameters": parameters,
                "winner_bid_id": winner["id"],
                "failure": "",
                "actor_user_id": actor[0] if actor else None,
                "reason": summary if method == "direct" else "",
                "created_dt": t["selected"],
            },
        )
        notice["selection_reason"] = summary
        notice["publicity_end_dt"] = t["publicity_end"]
        notice["state_changed_dt"] = t["selected"]
        self._event(
            t["selected"],
            "notice",
            notice_id,
            "selection",
            actor,
            data={
                "selection_id": selection_id,
                "round": 1,
                "method": method,
                "algorithm": method_for(method).algorithm,
                "seed": seed,
                "drawn": "draw" in parameters,
                "winner_bid_id": winner["id"],
                "agency": agency_name,
                "failure": "",
            },
        )
        won = {"bid_id": winner["id"], "agency": agency_name, "amount_fen": winner["amount_fen"]}
        self._transition(t["selected"], notice_id, "bidding_closed", "selected", actor, **won)
        self._transition(
            t["selected"], notice_id, "selected", "publicity", until=_iso(t["publicity_end"])
        )
        if state == "publicity":
            notice["due_dt"] = t["publicity_end"]
            return

        # award, contract
        agency = (self.agency[winner["agency_org_id"]][0], winner["agency_org_id"])
        notice["sign_deadline_dt"] = t["sign_deadline"]
        notice["state_changed_dt"] = t["award"]
        self._transition(
            t["award"],
            notice_id,
            "publicity",
            "awarded",
            amount_fen=winner["amount_fen"],
            sign_by=_iso(t["sign_deadline"]),
        )
        contract_id = self._id(Contract)
        contract = self._add(
            Contract,
            {
                "id": contract_id,
                "notice_id": notice_id,
                "bid_id": winner["id"],
                "purchaser_org_id": purchaser_org,
                "agency_org_id": agency[1],
                "amount_fen": winner["amount_fen"],
                "created_dt": t["award"],
                "purchaser_signed_dt": None,
                "agency_signed_dt": None,
                "delivered_dt": None,
                "delivery_note": "",
                "accepted_dt": None,
                "auto_accepted": False,
            },
        )
        if state == "awarded":
            notice["due_dt"] = t["sign_deadline"]
            signed = t["award"] + (self.now - t["award"]) / 2
            if rng.random() < 0.5:
                contract["agency_signed_dt"] = signed
                self._event(
                    signed,
                    "contract",
                    contract_id,
                    "contract_signed",
                    agency,
                    data={"party": "agency"},
                )
            return
        contract["agency_signed_dt"] = t["signed"] - H
        contract["purchaser_signed_dt"] = t["signed"]
        self._event(
            t["signed"] - H,
            "contract",
            contract_id,
            "contract_signed",
            agency,
            data={"party": "agency"},
        )
        self._event(
            t["signed"],
            "contract",
            contract_id,
            "contract_signed",
            buyer,
            data={"party": "purchaser"},
        )
        self._transition(t["signed"], notice_id, "awarded", "contracted", buyer)
        notice["state_changed_dt"] = t["signed"]
        if state == "contracted":
            return

        # delivery, acceptance
        notice["accept_deadline_dt"] = t["accept_deadline"]
        notice["state_changed_dt"] = t["delivered"]
        contract["delivered_dt"] = t["delivered"]
        contract["delivery_note"] = "提交报告书正本5份、电子版1份"
        delivery = self._add(
            Delivery,
            {
                "id": self._id(Delivery),
                "contract_id": contract_id,
                "note": contract["delivery_note"],
                "status": "submitted",
                "submitted_by_id": agency[0],
                "submitted_dt": t["delivered"],
                "return_reason": "",
                "decided_dt": None,
            },
        )
        self._transition(t["delivered"], notice_id, "contracted", "delivered", agency)
        if state == "delivered":
            notice["due_dt"] = t["accept_deadline"]
            return
        delivery["status"], delivery["decided_dt"] = "accepted", t["accepted"]
        contract["accepted_dt"], contract["auto_accepted"] = t["accepted"], t["auto"]
        notice["evaluation_end_dt"] = t["evaluation_end"]
        notice["state_changed_dt"] = t["accepted"]
        if t["auto"]:
            self._transition(t["accepted"], notice_id, "delivered", "accepted", auto=True)
        else:
            self._transition(t["accepted"], notice_id, "delivered", "accepted", buyer)
        performance = self._add(
            PastPerformance,
            {
                "id": self._id(PastPerformance),
                "agency_id": agency[1],
                "contract_id": contract_id,
                "item_id": item.id,
                "purchaser_name": self.purchaser[purchaser_org][1],
                "amount_fen": winner["amount_fen"],
                "completed_dt": t["accepted"],
                "rating": None,
            },
        )
        self._evaluations(state, notice, contract, performance, buyer, agency, t)

    def _evaluations(self, state, notice, contract, performance, buyer, agency, t):
        rng = self.rng
        if state == "accepted":  # the window is open: at most the purchaser's, still blind
            given = ["of_agency"] if not t["auto"] and rng.random() < 0.6 else []
            notice["due_dt"] = t["evaluation_end"]
        else:
            given = [
                d
                for d, share in (("of_agency", 0.9), ("of_purchaser", 0.75))
                if rng.random() < share
            ]
            given = given or ["of_agency"]
        for direction in given:
            by = buyer if direction == "of_agency" else agency
            dims = [rng.choices((1, 2, 3, 4, 5), (1, 2, 6, 20, 25))[0] for _ in range(5)]
            self._add(
                Evaluation,
                {
                    "id": self._id(Evaluation),
                    "contract_id": contract["id"],
                    "direction": direction,
                    "by_org_id": by[1],
                    "quality": dims[0],
                    "timeliness": dims[1],
                    "attitude": dims[2],
                    "fees": dims[3],
                    "conduct": dims[4],
                    "comment": "服务规范，成果质量较好" if min(dims) > 2 else "成果需多次修改",
                    "created_dt": t[direction],
                },
            )
            self._event(
                t[direction],
                "contract",
                contract["id"],
                "evaluation_submitted",
                by,
                data={"direction": direction},
            )
            if state == "evaluated" and direction == "of_agency":
                performance["rating"] = sum(dims) / 5
                totals = self.ratings.setdefault(agency[1], [0, 0, 0, 0, 0, 0])
                totals[0] += 1
                for k, v in enumerate(dims, 1):
                    totals[k] += v
        if state != "evaluated":
            return
        missing = [d for d in ("of_agency", "of_purchaser") if d not in given]
        at = t["evaluation_end"] if missing else max(t[d] for d in given)
        notice["state_changed_dt"] = at
        actor = None if missing else (buyer if at == t["of_agency"] else agency)
        extra = {"missing": missing} if missing else {}
        self._transition(at, notice["id"], "accepted", "evaluated", actor, **extra)

    def _bids(self, notice, item, ceiling, fixed, count, t):
        offered = self.offered_by[item.id]
        chosen = self.rng.sample(offered, min(count, len(offered)))
        end = t["cancelled"] if notice["state"] == "cancelled" else t["deadline"]
        closes = min(end, self.now)
        bids = []
        for org_id in chosen:
            amount = ceiling if fixed else self.rng.randrange(ceiling * 6 // 10, ceiling, 100_00)
            bids.append(
                self._add(
                    Bid,
                    {
                        "id": self._id(Bid),
                        "notice_id": notice["id"],
                        "agency_org_id": org_id,
                        "amount_fen": amount,
                        "plan": "组建专项项目组，按规范开展现场调查、编制报告并配合审查",
                        "status": "submitted",
                        "submitted_by_id": self.agency[org_id][0],
                        "submitted_dt": self._between(t["published"] + H, closes - H / 2),
                        "notice_revision": 1,
                        "nonce": secrets.token_hex(16),
                        "commitment": secrets.token_hex(32),
                        "technical_score": None,
                        "submitted_ip": f"10.0.{org_id % 256}.{self.rng.randrange(1, 255)}",
                    },
                )
            )
        return bids

    # -- credit

    def conduct_records(self, count):
        from dateutil.relativedelta import relativedelta

        criteria = db.session.scalars(
            select(ViolationCriterion).where(
                ViolationCriterion.party == "agency", ViolationCriterion.retired_dt.is_(None)
            )
        ).all()
        weights = [{"general": 6, "major": 3, "serious": 1}[c.severity] for c in criteria]
        agencies = list(self.agency)
        for n in range(1, count + 1):
            criterion = self.rng.choices(criteria, weights)[0]
            decided = self.now - self._between(10 * D, 700 * D)
            reported = decided - self._between(5 * D, 20 * D)
            row = {
                "id": self._id(ConductRecord),
                "subject_org_id": self.rng.choice(agencies),
                "party": "agency",
                "criterion_id": criterion.id,
                "department": self.rng.choice(DEPARTMENTS),
                "notice_id": None,
                "source": self.rng.choice(("purchaser", "regulator", "inspection")),
                "facts": f"页面基准记录 {n}：{criterion.behaviour}",
                "evidence": {},
                "dedupe_key": None,
                "status": "confirmed",
                "reported_dt": reported,
                "response_due_dt": reported + 5 * D,
                "decision_number": f"渝信认〔{decided.year}〕{n}号",
                "decision_reason": "经核查属实",
                "decided_dt": decided,
                "publish_due_dt": decided + 9 * D,
                "published_dt": decided + 2 * D,
                "publication_end_dt": decided + relativedelta(months=criterion.publish_months),
                "appeal_due_dt": decided + 21 * D,
                "repair_from_dt": decided + relativedelta(months=min(3, criterion.publish_months)),
                "measure_end_dt": None,
                "version": 1,
            }
            if criterion.measure == "suspend":
                row["measure_end_dt"] = decided + relativedelta(months=criterion.suspend_months)
            elif criterion.measure == "blacklist":
                row["measure_end_dt"] = row["publication_end_dt"]
            self._add(ConductRecord, row)

    def red_list(self, count):
        agencies = list(self.agency)
        for n in range(1, count + 1):
            start = self.now - self._between(10 * D, 500 * D)
            self._add(
                RedListEntry,
                {
                    "id": self._id(RedListEntry),
                    "agency_org_id": self.rng.choice(agencies),
                    "reason": "连续三年无不良记录且评价优良",
                    "decision_number": f"渝信红〔{start.year}〕{n}号",
                    "bonus": self.rng.choice((3, 5, 5, 8)),
                    "start_dt": start,
                    "end_dt": start + 730 * D,
                    "department": self.rng.choice(DEPARTMENTS),
                    "removed_dt": None,
                    "removed_reason": "",
                },
            )

    # -- writing

    def _chain_events(self):
        """Ids in the order the events took effect, each hashed onto the one before it."""
        head = db.session.scalar(select(AuditChainHead).order_by(AuditChainHead.id).limit(1))
        prev = head.last_hash if head else ""
        self.events.sort(key=lambda e: e["occurred_dt"])
        for row in self.events:
            row["id"] = self._id(AuditEvent)
            row["prev_hash"] = prev
            row["hash"] = prev = event_hash(row)
        self.rows[AuditEvent.__table__] = self.events
        return head

    def _write(self):
        conn = db.session.connection()
        for table in db.metadata.sorted_tables:  # parents first
            rows = self.rows.get(table)
            if not rows:
                continue
            # executemany needs the same keys in every row: a key some rows lack gets its
            # column's scalar default (or NULL) in them
            blank = {}
            for key in set().union(*rows):
                default = table.c[key].default
                blank[key] = default.arg if default is not None and default.is_scalar else None
            rows = [blank | row for row in rows]
            for start in range(0, len(rows), BATCH):
                conn.execute(table.insert(), rows[start : start + BATCH])

    def _sequences(self):
        """On PostgreSQL the ids were given: move each table's sequence past them."""
        if db.engine.dialect.name != "postgresql":
            return
        for table in self.rows:
            if "id" in table.c:
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )

    def build(self):
        from market.credit.standing import recompute_all

        self.items = list(
            db.session.scalars(select(ServiceItem).where(ServiceItem.status == "online"))
        )
        self.ratings = {}
        have_agencies = db.session.scalar(select(func.count()).select_from(Agency))
        have_notices = db.session.scalar(select(func.count()).select_from(Notice))
        self.agencies(max(0, self.target_agencies - have_agencies))
        self.purchasers(max(1, self.target_notices // 20))
        self.notices(max(0, self.target_notices - have_notices))
        self.conduct_records(self.target_notices // 50)
        self.red_list(self.target_notices // 200)
        for row in self.rows[Agency.__table__]:
            totals = self.ratings.get(row["org_id"])
            if totals:
                for k, name in enumerate(
                    ("count", "quality", "timeliness", "attitude", "fees", "conduct")
                ):
                    row[f"rating_{name}"] = totals[k]
        head = self._chain_events()
        self._write()
        if head is not None and self.events:
            head.last_event_id, head.last_hash = self.events[-1]["id"], self.events[-1]["hash"]
        self._sequences()
        db.session.commit()
        recompute_all()  # the standings the records and evaluations give
        db.session.commit()
