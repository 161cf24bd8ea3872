"""Demo data: realistic organisations, users and notices of every method in every lasting state.

Everything goes through the real services, with the clock moved back in time, so the demo
holds exactly what users would have produced (audit trail included). This module makes the
organisations and the notices' content and lists the stories; procurement_stories.py walks
them, credit_stories.py adds the credit cases and storefronts.py the agencies' libraries.
"""

import itertools
import random
from dataclasses import dataclass

from faker import Faker
from sqlalchemy import select
from stdnum.cn.uscc import calc_check_digit

from ..accounts.models import User
from ..accounts.passwords import exempt_from_estimate
from ..accounts.services import Registration, create_staff_user, register_organisation
from ..agencies.documents import Upload
from ..agencies.qualifications import expire_due, pending_for_department
from ..agencies.services import OfferingData, declare_offering, offered_item_ids
from ..catalogue.models import ServiceItem
from ..catalogue.services import load_items, seed_rows
from ..core.clock import SHANGHAI, travel, utcnow
from ..core.mail import discard_queued_mail
from ..extensions import db
from ..procurement import services as procurement
from .catalogue_stories import play_catalogue
from .credit_stories import play_credit
from .payment_stories import play_payments
from .procurement_stories import LASTING, MANUAL, days_ago, play
from .self_service_stories import play_self_service
from .storefronts import demo_pdf, fee_standard, furnish, verify_some

DEMO_PASSWORD = "demo1234"
#: (login, name, organisation, approving department it supervises)
REGULATORS = [
    ("regulator@demo.cn", "李监管", "重庆市规划和自然资源局", "规划自然资源部门"),
    ("regulator-qx@demo.cn", "赵监管", "重庆市气象局", "气象部门"),
    ("regulator-env@demo.cn", "孙监管", "重庆市生态环境局", "生态环境部门"),
    # keeps the platform-wide violation criteria (CREDIT_CRITERIA_DEPARTMENT)
    ("regulator-credit@demo.cn", "钱监管", "重庆市发展和改革委员会", "发展改革部门"),
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
                        **fee_standard(self.rng, item),
                    ),
                )
            users.append(user)
        return users

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

    def notice_data(self, spec, buyer, item, deadline, avoided=None):
        """What the purchaser fills in for a story's notice (method fields, funding, extras)."""
        rng = self.rng
        project = rng.choice(PROJECTS).format(
            n=rng.choice([5, 10, 20, 110, 220]), place=rng.choice(PLACES)
        )
        fiscal = spec.fiscal if spec.fiscal is not None else rng.random() < 0.4
        fiscal = fiscal or (spec.ending == "too_few" and spec.method != "credit")
        cheap = fiscal and spec.method == "direct"  # fiscal money: direct only below ¥100,000
        ceiling = rng.choice(CEILINGS_YUAN[:2] if cheap else CEILINGS_YUAN) * 100
        fields = {}
        if fiscal:
            fields["fiscal_share_pct"] = rng.choice([100, 100, 60, 30])
            # 投资项目统一代码: 赋码年月-行政区划-行业-项目类型-流水号
            fields["project_code"] = (
                f"{deadline.astimezone(SHANGHAI):%y}{rng.randint(1, 12):02d}"
                f"-{buyer.organisation.uscc[2:8]}-{rng.choice([4, 48, 70]):02d}"
                f"-{rng.randint(1, 3):02d}-{rng.randint(1, 999_999):06d}"
            )
        if spec.method == "random":
            fields["method_reason"] = RANDOM_REASON
        if spec.method == "scored":
            price, credit, technical = rng.choice(WEIGHTS)
            fields.update(weight_price=price, weight_credit=credit, weight_technical=technical)
        if spec.method == "lowest" and rng.random() < 0.5:
            fields["floor_fen"] = ceiling * 6 // 10
        if spec.method in ("lowest", "scored"):
            # An advance at signing and the balance at acceptance (the others pay it all then).
            fields["payment_plan"] = SPLIT_PLAN
        if avoided is not None:
            fields["avoidances"] = [(avoided.organisation.id, "与建设单位存在股权关联关系")]
            fields["uploads"] = [
                Upload("notice", "项目红线图及技术要求", "requirements.pdf", demo_pdf("Scope"))
            ]
        return procurement.NoticeData(
            item_id=item.id,
            title=f"{project}{item.name}服务采购",
            project_name=project,
            ceiling_fen=ceiling,
            scope=f"为{project}提供{item.name}服务，成果需满足{item.approving_department}"
            f"“{item.licensing_item}”审批要求。",
            service_days=rng.choice([30, 45, 60]),
            deadline_dt=deadline,
            contact_name=buyer.name,
            contact_phone=buyer.organisation.contact_phone,
            method=spec.method,
            **fields,
        )


SPLIT_PLAN = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]
CEILINGS_YUAN = [50_000, 80_000, 120_000, 200_000, 350_000]
RANDOM_REASON = "公平竞争审查：常规技术服务，报名机构能力相当，随机抽取保证各机构机会均等"
#: scored evaluation: (price, credit, technical) weights
WEIGHTS = [(40, 20, 40), (30, 20, 50), (50, 10, 40)]


@dataclass
class Cast:
    """Who plays in the stories."""

    purchasers: list
    star: User  # agency01, the demo agency
    offered_by: dict  # item id → agency users offering it
    items: dict  # code → ServiceItem
    regulators: dict  # approving department → regulator user
    operator: User


@dataclass(frozen=True)
class Spec:
    """One demo notice: its method, the state it rests in today, what happens on the way."""

    method: str
    target: str
    owner: int = 0  # index of its purchaser (0: purchaser01, the demo purchaser)
    items: tuple = ()  # catalogue codes to pick from (default: an item enough agencies offer)
    star: str = ""  # agency01 among the bidders: "wins", "loses", "bids" (either), "" (not)
    fiscal: bool | None = None  # fiscal funding (None: drawn)
    sign: str = "none"  # awarded: who has signed so far ("none" or "purchaser")
    objection: str = ""  # its last step: open, answered, rejected, upheld (a second round)
    #: how it ends: failed (no_bids, too_few, unconfirmed), cancelled (draft, published,
    #: bidding_closed: a selection abandoned), terminated (lapsed: not signed in time; ended)
    ending: str = ""
    edited: str = ""  # edited after publication: "reconfirmed" (all bidders but one), "lapsed"
    extras: bool = False  # an avoidance list and an attached PDF
    returned: bool = False  # the deliverable returned once, then accepted
    auto_accept: bool = False
    poor: str = ""  # a poor evaluation whose rectification is "answered" or "followed_up"
    tie: bool = False  # two lowest quotes alike: the draw decides
    republish: bool = False  # failed yesterday, re-published today


STAR = ("ZJ012", "ZJ013")  # agency01 does environmental impact assessments
STORIES = [
    # purchaser01: every method, and something to do in every state that waits for it
    Spec("direct", "draft"),
    Spec("direct", "bidding_closed", star="bids"),  # select a bid
    Spec("scored", "bidding_closed", star="bids"),  # enter technical scores
    Spec("lowest", "awarded", star="wins", sign="none"),  # both sign
    Spec("direct", "awarded", star="wins", sign="purchaser", fiscal=True),  # agency01 confirms
    Spec("direct", "contracted", star="wins"),  # agency01 delivers
    Spec("lowest", "delivered", star="wins", fiscal=True),  # accept or return
    Spec("direct", "accepted", star="wins", auto_accept=True),  # both evaluate
    Spec("lowest", "publicity", items=("ZJ009",), objection="open"),  # answer; regulator decides
    Spec("mean", "published", items=STAR, fiscal=True, extras=True),  # agency01 may quote
    Spec("random", "published", star="bids"),  # agency01's registration
    Spec("credit", "evaluated", star="bids"),  # the agency never rated: the window closed
    Spec("scored", "publicity", star="bids", edited="reconfirmed"),
    Spec("direct", "evaluated", star="wins", returned=True),
    Spec("lowest", "evaluated", star="wins", poor="answered"),  # operator to follow up
    Spec("direct", "failed", items=STAR, star="bids", ending="no_bids", republish=True),
    Spec("lowest", "cancelled", ending="published"),
    Spec("direct", "terminated", star="wins", ending="ended"),
    # other purchasers: objections for both demo regulators, a follow-up, a tie
    Spec("lowest", "publicity", owner=1, items=("ZJ012",), star="loses", objection="answered"),
    Spec("lowest", "contracted", owner=2, items=("ZJ018",), fiscal=True, objection="rejected"),
    Spec("lowest", "evaluated", owner=3, items=("ZJ029",), objection="upheld"),
    Spec("direct", "evaluated", owner=4, poor="followed_up"),
    Spec("lowest", "evaluated", owner=5, tie=True, auto_accept=True),
]
#: method → how the rest of the table's (failed, cancelled, terminated) notices got there
ENDINGS = {
    "direct": ("no_bids", "draft", "ended"),
    "random": ("too_few", "published", "lapsed"),
    "lowest": ("unconfirmed", "published", "ended"),
    "mean": ("too_few", "published", "lapsed"),
    "scored": ("no_bids", "bidding_closed", "ended"),
    "credit": ("too_few", "draft", "lapsed"),
}
ENDING_STATES = ("failed", "cancelled", "terminated")


def _ending(method, state):
    return ENDINGS[method][ENDING_STATES.index(state)] if state in ENDING_STATES else ""


def stories(rng, purchasers: int) -> list[Spec]:
    """The fixed stories, one for every other (method, lasting state), and for every other
    purchaser a finished notice and an open one."""
    covered = {(s.method, s.target) for s in STORIES}
    owners = itertools.cycle(range(1, purchasers))
    rest = [
        Spec(
            method,
            state,
            owner=next(owners),
            ending=_ending(method, state),
            # Bids made before an edit nobody reconfirmed: nothing valid at the deadline.
            edited="lapsed" if _ending(method, state) == "unconfirmed" else "",
        )
        for method in procurement.method_keys()
        for state in LASTING
        if (method, state) not in covered and (state != "bidding_closed" or method in MANUAL)
    ]
    market = [
        Spec(rng.choice(methods), state, owner=n)
        for n in range(1, purchasers)
        for state, methods in (
            ("evaluated", ("direct", "lowest", "mean")),
            ("published", tuple(procurement.method_keys())),
        )
    ]
    return [*STORIES, *rest, *market]


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
    # The demo's accounts share a published password (docs, `flask market demo-data`): the
    # code sets it, no person types it, so zxcvbn's estimate does not apply to it.
    with travel(days_ago(b.now, 90)), exempt_from_estimate(DEMO_PASSWORD):
        regulators = [
            create_staff_user("regulator", email, name, DEMO_PASSWORD, org_name, department)
            for email, name, org_name, department in REGULATORS
        ]
        operator = create_staff_user(
            "operator", "operator@demo.cn", "王运营", DEMO_PASSWORD, "平台运营中心"
        )
        agencies = b.agencies(by_category)
        for user in agencies:
            furnish(b, user, b.trade_of[user.id], expiring=user is agencies[0])
        purchasers = b.purchasers()
    with travel(days_ago(b.now, 60)):
        for regulator in regulators:
            department = regulator.organisation.department
            verify_some(b, regulator, db.session.scalars(pending_for_department(department)).all())

    offered_by = {}
    for user in agencies:
        for item_id in sorted(offered_item_ids(user.organisation.id)):
            offered_by.setdefault(item_id, []).append(user)
    cast = Cast(
        purchasers=purchasers,
        star=agencies[0],  # agency01: the demo agency
        offered_by=offered_by,
        items={item.code: item for item in online},
        regulators={r.organisation.department: r for r in regulators},
        operator=operator,
    )
    notices = play(b, cast, stories(b.rng, len(purchasers)))
    procurement.run_due()
    play_payments(b, cast, notices)
    expire_due()
    play_credit(b, cast)
    play_catalogue(b, cast)
    play_self_service(b, cast)
    # Nobody is waiting for the demo's e-mail: what it queued must not go out on the commit.
    discard_queued_mail()
    return True
