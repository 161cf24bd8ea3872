"""Demo data: realistic organisations, users and notices in every lasting state.

Everything goes through the real services, with the clock moved back in time, so the demo
holds exactly what users would have produced (audit trail included).
"""

import random
from datetime import timedelta

from faker import Faker
from sqlalchemy import select
from stdnum.cn.uscc import calc_check_digit

from .accounts.models import User
from .accounts.services import Registration, create_staff_user, register_organisation
from .agencies.documents import Upload, library
from .agencies.models import RATING_DIMENSIONS
from .agencies.qualifications import expire_due, pending_for_department, usable_qualifications
from .agencies.services import OfferingData, declare_offering, offered_item_ids
from .catalogue.models import ServiceItem
from .catalogue.services import load_items, seed_rows
from .core.clock import SHANGHAI, travel, utcnow
from .core.workdays import add_working_days
from .demo_storefronts import demo_pdf, furnish, verify_some
from .extensions import db
from .procurement import services as procurement
from .procurement.runner import run_due

DEMO_PASSWORD = "demo1234"
#: (login, name, organisation, approving department it supervises)
REGULATORS = [
    ("regulator@demo.cn", "李监管", "重庆市规划和自然资源局", "规划自然资源部门"),
    ("regulator-qx@demo.cn", "赵监管", "重庆市气象局", "气象部门"),
    ("regulator-env@demo.cn", "孙监管", "重庆市生态环境局", "生态环境部门"),
]
N_AGENCIES = 50
N_PURCHASERS = 20

REGIONS = [
    ("500112", "重庆市渝北区"),
    ("500105", "重庆市江北区"),
    ("500103", "重庆市渝中区"),
    ("500107", "重庆市九龙坡区"),
    ("500108", "重庆市南岸区"),
    ("500106", "重庆市沙坪坝区"),
    ("500109", "重庆市北碚区"),
    ("500113", "重庆市巴南区"),
    ("510104", "四川省成都市"),
    ("610102", "陕西省西安市"),
    ("420102", "湖北省武汉市"),
    ("520102", "贵州省贵阳市"),
]
AGENCY_TRADES = {
    "环境影响评价": ["环保科技有限公司", "环境工程咨询有限公司", "环境科学研究院有限公司"],
    "水土保持": ["水利水电勘测设计有限公司", "水土保持技术咨询有限公司"],
    "测绘": ["测绘地理信息有限公司", "勘测规划设计有限公司"],
    "防雷检测": ["防雷检测技术有限公司", "雷电防护科技有限公司"],
    "安全评价": ["安全技术咨询有限公司", "安全评价有限公司"],
    "投资咨询": ["工程咨询有限公司", "项目管理咨询有限公司"],
    "造价咨询": ["工程造价咨询有限公司"],
    "地质灾害评估": ["地质勘查技术有限公司", "岩土工程勘察有限公司"],
}
PURCHASER_KINDS = [
    "置业有限公司",
    "建设投资有限公司",
    "实业集团有限公司",
    "智能制造有限公司",
    "新材料科技有限公司",
    "城市建设发展有限公司",
    "物流产业园有限公司",
]
PROJECTS = [
    "年产{n}万吨新材料生产线项目",
    "{place}产业园一期工程",
    "{place}安置房建设项目",
    "{place}综合物流中心项目",
    "{place}小学扩建工程",
    "{n}kV变电站新建工程",
    "{place}片区道路及配套管网工程",
    "{place}智能终端产业基地项目",
]
BRAND_CHARS = "信诚恒瑞华博致远和泰正宏新源鼎盛安中科建明德"
PLACES = ["礼嘉", "悦来", "鱼复", "水土", "龙兴", "复盛", "人和", "金山", "大竹林", "照母山"]


def _uscc(rng, division, org_category="1"):
    body = (
        "9"
        + org_category
        + division
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return body + calc_check_digit(body)


SERVICE_AREAS = ("重庆市全域", "重庆市主城都市区", "两江新区及周边区县", "川渝地区")


class _Builder:
    def __init__(self, seed=2026):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.now = utcnow()
        self.used_names = set()
        self.trade_of = {}

    def unique(self, make):
        for _ in range(100):
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("could not make a unique name")

    def register(self, kind, email, org_name, division, region):
        person = self.fake.name()
        reg = Registration(
            kind=kind,
            org_name=org_name,
            uscc=_uscc(self.rng, division),
            legal_representative=self.fake.name(),
            region=region,
            address=f"{region}{self.fake.street_name()}{self.rng.randint(1, 399)}号",
            contact_name=person,
            contact_phone=self.fake.phone_number(),
            email=email,
            password=DEMO_PASSWORD,
            commitment_signed=True,
        )
        return register_organisation(reg)

    def agencies(self, items_by_category):
        users = []
        categories = list(AGENCY_TRADES)
        for n in range(1, N_AGENCIES + 1):
            category = categories[(n - 1) % len(categories)]
            division, region = self.rng.choice(REGIONS)
            city = "重庆" if region.startswith("重庆") else region[3:5]
            name = self.unique(
                lambda city=city, category=category: (
                    f"{city}{''.join(self.rng.sample(BRAND_CHARS, 2))}"
                    f"{self.rng.choice(AGENCY_TRADES[category])}"
                )
            )
            user = self.register("agency", f"agency{n:02d}@demo.cn", name, division, region)
            self.trade_of[user.id] = category
            offered = items_by_category.get(category, [])
            extra = self.rng.sample(self.all_items, 2)
            for item in {i.id: i for i in [*offered, *extra]}.values():
                declare_offering(
                    user,
                    OfferingData(
                        item_id=item.id,
                        promised_days=self.rng.choice([10, 15, 20, 30, 45]),
                        description=f"专业团队承接{item.name}，熟悉{item.approving_department}审批要求。",
                        service_area=self.rng.choice(SERVICE_AREAS),
                        commitment_signed=True,
                        **self.fee(item),
                    ),
                )
            users.append(user)
        return users

    def fee(self, item):
        """A fee standard an agency of this trade would publish for the item."""
        if item.is_government_priced and item.fee_is_rate:
            low, high = item.fee_rate_min_bp, item.fee_rate_max_bp
            rate = self.rng.randint(low, high)
            return dict(fee_kind="rate", fee_rate_bp=rate, fee_note="按评估总价计取")
        if item.is_government_priced:
            low = self.rng.randint(item.fee_min_fen, item.fee_max_fen // 2) // 100_00 * 100_00
            low = max(low, item.fee_min_fen)
            return dict(fee_kind="range", fee_min_fen=low, fee_max_fen=item.fee_max_fen)
        style = self.rng.random()
        if style < 0.15:
            return dict(fee_kind="negotiable", fee_note="按项目规模协商确定，报价含专家评审费")
        if style < 0.3:
            return dict(fee_kind="fixed", fee_min_fen=self.rng.randint(3, 30) * 1000_00)
        low = self.rng.randint(2, 30) * 10_000_00
        return dict(fee_kind="range", fee_min_fen=low, fee_max_fen=low * self.rng.choice([2, 3]))

    def purchasers(self):
        users = []
        for n in range(1, N_PURCHASERS + 1):
            division, region = self.rng.choice(REGIONS[:8])
            name = self.unique(
                lambda: f"重庆{self.rng.choice(PLACES)}{self.rng.choice(PURCHASER_KINDS)}"
            )
            users.append(
                self.register("purchaser", f"purchaser{n:02d}@demo.cn", name, division, region)
            )
        return users


def _days_ago(now, days, hour=10):
    moment = (now - timedelta(days=days)).astimezone(SHANGHAI)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _notice(b, purchaser, item, published_at, deadline_days=5):
    """A notice published at `published_at` with a deadline `deadline_days` working days on."""
    with travel(published_at):
        deadline = add_working_days(published_at, deadline_days)
        project = b.rng.choice(PROJECTS).format(
            n=b.rng.choice([5, 10, 20, 110, 220]), place=b.rng.choice(PLACES)
        )
        ceiling = b.rng.choice([50_000, 80_000, 120_000, 200_000, 350_000]) * 100
        data = procurement.NoticeData(
            item_id=item.id,
            title=f"{project}{item.name}服务采购",
            ceiling_fen=ceiling,
            scope=f"为{project}提供{item.name}服务，成果需满足{item.approving_department}"
            f"“{item.licensing_item}”审批要求。",
            service_days=b.rng.choice([30, 45, 60]),
            deadline_dt=deadline,
            contact_name=purchaser.name,
            contact_phone=purchaser.organisation.contact_phone,
        )
        notice = procurement.create_notice(purchaser, data)
        procurement.publish_notice(purchaser, notice)
    return notice


def _bid(b, agency_user, notice, at):
    with travel(at):
        amount = int(notice.ceiling_fen * b.rng.uniform(0.72, 0.98)) // 100 * 100
        org_id = agency_user.organisation.id
        procurement.submit_bid(
            agency_user,
            notice,
            amount,
            f"组建专项项目组，{b.rng.choice([10, 15, 20])}个工作日内提交成果。",
            # What an agency attaches: its qualifications for the item and its licence scan.
            qualification_ids=[q.id for q in usable_qualifications(org_id, notice.item_id)],
            document_ids=[d.id for d in library(org_id, "licence")],
        )


def _story(b, purchaser, item, bidders, final_state, star=None):
    """Walk one notice through the real services up to `final_state`."""
    now = b.now
    if final_state == "draft":
        return _draft(b, purchaser, item)
    if final_state == "published":
        notice = _notice(b, purchaser, item, _days_ago(now, 1), deadline_days=6)
        for user in bidders:
            _bid(b, user, notice, now - timedelta(hours=1))
        return notice
    started = _days_ago(now, b.rng.randint(50, 80))
    notice = _notice(b, purchaser, item, started)
    if final_state == "cancelled":
        with travel(started + timedelta(days=1)):
            procurement.cancel_notice(purchaser, notice, "项目建设方案调整，暂停采购")
        return notice
    if final_state != "failed":
        for user in bidders:
            _bid(b, user, notice, started + timedelta(days=1))
    if final_state in ("failed", "bidding_closed"):
        return notice
    winner = star or b.rng.choice(bidders)
    winning_bid = next(x for x in notice.bids if x.agency_org_id == winner.organisation.id)
    if final_state == "publicity":
        selected_at = now - timedelta(hours=20)
    else:
        selected_at = notice.deadline_dt + timedelta(days=1)
    with travel(selected_at):
        procurement.select_bid(
            purchaser,
            procurement.load_notice(notice.id),
            winning_bid.id,
            "报价合理，同类项目业绩良好，承诺时限满足项目进度要求",
        )
    if final_state == "publicity":
        return notice
    awarded_at = add_working_days(selected_at, 4)
    with travel(awarded_at):
        run_due()
        # The award draws up the contract; the purchaser uploads it signed, the agency confirms.
        signed = Upload("contract", "服务合同（签字盖章版）", "contract.pdf", demo_pdf("Contract"))
        procurement.sign_contract(purchaser, notice, signed)
        procurement.sign_contract(winner, notice)
    if final_state == "contracted":
        return notice
    # A deliverable waits 10 working days for acceptance: a still-delivered one came lately.
    delivered_at = now - timedelta(days=1) if final_state == "delivered" else None
    with travel(delivered_at or awarded_at + timedelta(days=5)):
        procurement.mark_delivered(winner, notice, "提交报告书正本 5 份及电子版一份")
    if final_state == "delivered":
        return notice
    with travel(awarded_at + timedelta(days=8)):
        scores = {d: b.rng.choice([3, 4, 4, 5, 5, 5]) for d in RATING_DIMENSIONS}
        procurement.accept_and_evaluate(
            purchaser,
            notice,
            scores,
            b.rng.choice(
                ["成果质量较高，沟通顺畅", "按时交付，收费合理", "整体满意，个别细节修改了两轮"]
            ),
        )
        # Double-blind: ratings are shown once the agency has rated the purchaser too.
        procurement.evaluate(winner, notice, {d: 5 for d in RATING_DIMENSIONS}, "需求明确")
    return notice


def _draft(b, purchaser, item):
    with travel(b.now - timedelta(hours=3)):
        deadline = add_working_days(b.now, 5)
        return procurement.create_notice(
            purchaser,
            procurement.NoticeData(
                item_id=item.id,
                title=f"{b.rng.choice(PLACES)}片区规划调整{item.name}服务采购",
                scope=f"提供{item.name}服务。",
                ceiling_fen=150_000_00,
                service_days=30,
                deadline_dt=deadline,
                contact_name=purchaser.name,
                contact_phone=purchaser.organisation.contact_phone,
            ),
        )


STATES_FOR_EVERYONE = ["evaluated", "contracted", "bidding_closed", "published"]
STATES_FOR_DEMO_USER = [
    "draft",
    "published",
    "bidding_closed",
    "publicity",
    "contracted",
    "delivered",
    "evaluated",
    "evaluated",
    "failed",
    "cancelled",
]


def load_demo() -> bool:
    """Load the demo set unless it is already there; True if it was created now."""
    if db.session.scalar(select(User.id).where(User.email == "purchaser01@demo.cn")):
        return False
    if not db.session.scalar(select(ServiceItem.id).limit(1)):
        load_items(seed_rows())
    b = _Builder()
    online = list(
        db.session.scalars(
            select(ServiceItem).where(ServiceItem.status == "online").order_by(ServiceItem.code)
        )
    )
    b.all_items = online
    by_category = {}
    for item in online:
        by_category.setdefault(item.category, []).append(item)
    with travel(_days_ago(b.now, 90)):
        regulators = [
            create_staff_user(
                "regulator",
                email,
                name,
                DEMO_PASSWORD,
                org_name,
                department,
            )
            for email, name, org_name, department in REGULATORS
        ]
        create_staff_user("operator", "operator@demo.cn", "王运营", DEMO_PASSWORD, "平台运营中心")
        agencies = b.agencies(by_category)
        for user in agencies:
            furnish(b, user, b.trade_of[user.id], expiring=user is agencies[0])
        purchasers = b.purchasers()
    with travel(_days_ago(b.now, 60)):
        for regulator in regulators:
            department = regulator.organisation.department
            verify_some(b, regulator, db.session.scalars(pending_for_department(department)).all())

    star = agencies[0]  # agency01: the demo agency, a bidder on purchaser01's notices
    env_items = by_category["环境影响评价"]
    offered_by = {}
    for user in agencies:
        for item_id in offered_item_ids(user.organisation.id):
            offered_by.setdefault(item_id, []).append(user)
    for n, purchaser in enumerate(purchasers):
        plan = STATES_FOR_DEMO_USER if n == 0 else STATES_FOR_EVERYONE
        for state in plan:
            if n == 0:
                item = b.rng.choice(env_items)
                others = [u for u in offered_by[item.id] if u is not star]
                bidders = b.rng.sample(others, min(3, len(others)))
                if state != "published":  # leave the open notice for the demo agency to bid
                    bidders = [star, *bidders]
                _story(
                    b,
                    purchaser,
                    item,
                    bidders,
                    state,
                    star=star if state in ("contracted", "delivered", "evaluated") else None,
                )
            else:
                item = b.rng.choice([i for i in online if len(offered_by.get(i.id, [])) >= 3])
                bidders = b.rng.sample(offered_by[item.id], 3)
                _story(b, purchaser, item, bidders, state)
    run_due()
    expire_due()
    return True
