"""The search benchmark's corpus and queries (benchmarks/search.py): agencies with realistic
Chinese names, offered catalogue items, qualifications, descriptions and credit scores spread
over A–D; notices with project titles, purchasers and every published state; all inserted
with Core executemany. Then the mixed queries, the same for the engine and its peer."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from market.accounts.models import Organisation, User
from market.agencies.models import Agency, Offering, Qualification
from market.catalogue.models import ServiceItem
from market.credit.score import grade_of
from market.extensions import db
from market.procurement.models import Notice

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BATCH = 10_000


def _words(text):
    return tuple(text.split())


DISTRICTS = _words(
    "渝中区 江北区 南岸区 九龙坡区 沙坪坝区 大渡口区 渝北区 巴南区 北碚区 万州区 涪陵区 "
    "永川区 合川区 江津区 綦江区 大足区 璧山区 铜梁区 潼南区 荣昌区 长寿区 南川区 黔江区"
)
BRANDS = _words(
    "恒信 中环 绿源 华宇 天诚 博远 正和 宏达 金石 蓝天 青山 瑞丰 新航 德润 汇智 鼎盛 "
    "华测 安泰 清源 九州 长江 嘉陵 山城 巴渝 泰和 永信 中衡 国测 远景 佳禾 中科 建元 "
    "润泽 同创 诚信 创新 卓越 明达 鑫源 万和 广厦 启航 海川 锦程 东方 西南 北斗 睿思"
)
#: catalogue category → the trade in agency names and the qualification it holds
TRADES = {
    "环境影响评价": ("环境科技", "环境影响评价资质"),
    "水土保持": ("水利规划设计", "水土保持方案编制资信"),
    "水资源论证": ("水利水电勘测设计", "水资源论证资质"),
    "防洪评价": ("水利工程咨询", "水利工程咨询资信"),
    "防雷检测": ("防雷技术", "雷电防护装置检测资质"),
    "地质灾害评估": ("地质勘查", "地质灾害危险性评估资质"),
    "测绘": ("测绘地理信息", "测绘资质"),
    "安全评价": ("安全技术", "安全评价机构资质"),
    "职业卫生评价": ("职业卫生技术服务", "职业卫生技术服务机构资质"),
    "造价咨询": ("工程造价咨询", "工程造价咨询企业资质"),
    "资产评估": ("土地房地产评估", "土地估价机构备案"),
    "投资咨询": ("工程咨询", "工程咨询单位资信"),
    "节能评估": ("节能技术", "节能评估能力评价"),
    "规划咨询": ("城乡规划设计", "城乡规划编制资质"),
    "施工图审查": ("建设工程施工图审查", "施工图审查机构认定"),
    "检验检测": ("检验检测", "检验检测机构资质认定"),
}
DEFAULT_TRADE = ("技术咨询服务", "相关专业资质")
PLACES = _words(
    "两路街道 空港工业园区 西永微电园 茶园新区 龙兴镇 水土高新园 果园港 鱼复新城 悦来新城 科学城"
)
FACILITIES = _words(
    "污水处理厂 垃圾焚烧发电厂 变电站 高速公路 城市道路 安置房 物流园 数据中心 "
    "加油站 水库 学校 人民医院 体育馆 产业园 标准厂房 天然气管道"
)
ACTIONS = ("新建工程", "扩建工程", "改造工程", "二期工程", "提质增效工程")
BUREAUS = ("交通局", "住房和城乡建设委员会", "水利局", "城市管理局", "教育委员会", "卫生健康委员会")
NOTICE_STATES = {
    "published": 30,
    "bidding_closed": 3,
    "selected": 2,
    "publicity": 5,
    "awarded": 5,
    "contracted": 15,
    "delivered": 5,
    "accepted": 5,
    "evaluated": 15,
    "failed": 10,
    "cancelled": 5,
}
TRADES_OF_BUYERS = ("置业", "实业", "能源", "化工", "交通建设")
#: (score low, high, share): grades A–D
SCORES = ((90, 100, 60), (80, 89, 22), (60, 79, 12), (30, 59, 6))


def _insert(table, rows):
    """Core executemany in batches (every row must have the same keys)."""
    connection = db.session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[start : start + BATCH])


def _next_id(model):
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _brand(rng):
    return rng.choice(BRANDS) + (rng.choice(BRANDS)[0] if rng.random() < 0.5 else "")


def _agencies(count, rng, items):
    """Organisations, agencies, offerings and qualifications; 1–4 items per agency of one
    or two trades."""
    by_category = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    categories = sorted(by_category)
    first = _next_id(Organisation)
    orgs, agencies, offerings, qualifications = [], [], [], []
    for org_id in range(first, first + count):
        main = rng.choice(categories)
        trade, _ = TRADES.get(main, DEFAULT_TRADE)
        district = rng.choice(DISTRICTS)
        name = f"重庆{_brand(rng)}{trade}有限公司"
        if rng.random() < 0.3:
            name = f"重庆市{district[:-1]}{_brand(rng)}{trade}有限公司"
        pool = by_category[main] + (
            by_category[rng.choice(categories)] if rng.random() < 0.6 else []
        )
        offered = rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        offered = list({i.id: i for i in offered}.values())
        created = NOW - timedelta(days=rng.randint(30, 3000))
        orgs.append(
            {
                "id": org_id,
                "kind": "agency",
                "name": name,
                "region": f"重庆市{district}",
                "legal_representative": "张三",
                "created_dt": created,
            }
        )
        low, high, _ = rng.choices(SCORES, [s[2] for s in SCORES])[0]
        score = rng.randint(low, high)
        blocked = rng.random()
        rated = rng.choice((0, 0, rng.randint(1, 40)))
        quality = [rated * rng.choice((3, 4, 4, 5, 5)) for _ in range(5)]
        qual_names = [TRADES.get(i.category, DEFAULT_TRADE)[1] for i in offered]
        agencies.append(
            {
                "org_id": org_id,
                "description": (
                    f"公司成立于{created.year - rng.randint(0, 15)}年，专业从事"
                    f"{'、'.join(i.name for i in offered)}等技术服务，持有{qual_names[0]}。"
                    f"现有专业技术人员{rng.randint(5, 200)}人，服务范围覆盖{district}及周边区县。"
                ),
                "service_area": "重庆市全域" if rng.random() < 0.3 else "",
                "credit_score": score,
                "credit_grade": grade_of(score),
                "suspended_until": NOW + timedelta(days=90) if blocked < 0.02 else None,
                "blacklisted": 0.02 <= blocked < 0.03,
                "blacklisted_until": NOW + timedelta(days=365) if 0.02 <= blocked < 0.03 else None,
                "standing_reason": "",
                "rating_count": rated,
                "rating_quality": quality[0],
                "rating_timeliness": quality[1],
                "rating_attitude": quality[2],
                "rating_fees": quality[3],
                "rating_conduct": quality[4],
            }
        )
        for item in offered:
            offerings.append(
                {
                    "agency_id": org_id,
                    "item_id": item.id,
                    "fee_kind": "negotiable",
                    "fee_note": "",
                    "promised_days": rng.randint(5, 60),
                    "description": "",
                    "service_area": "",
                    "created_dt": created,
                }
            )
        for item, qual in list(zip(offered, qual_names, strict=True))[:2]:
            qualifications.append(
                {
                    "agency_id": org_id,
                    "item_id": item.id,
                    "type": qual,
                    "grade": rng.choice(("甲级", "乙级", "丙级", "不分级")),
                    "number": f"渝资{org_id:08d}{item.id:02d}",
                    "issuer": "重庆市相关主管部门",
                    "valid_until": (NOW + timedelta(days=rng.randint(30, 1500))).date(),
                    "status": rng.choice(("declared", "verified", "verified")),
                    "declared_dt": created,
                    "decision_note": "",
                }
            )
    _insert(Organisation.__table__, orgs)
    _insert(Agency.__table__, agencies)
    _insert(Offering.__table__, offerings)
    _insert(Qualification.__table__, qualifications)
    return list(range(first, first + count))


def _purchasers(count, rng):
    first = _next_id(Organisation)
    rows = []
    for org_id in range(first, first + count):
        district = rng.choice(DISTRICTS)
        name = (
            f"重庆市{district}{rng.choice(BUREAUS)}"
            if rng.random() < 0.6
            else f"重庆{_brand(rng)}{rng.choice(TRADES_OF_BUYERS)}有限公司"
        )
        rows.append(
            {"id": org_id, "kind": "purchaser", "name": name, "region": f"重庆市{district}"}
        )
    _insert(Organisation.__table__, rows)
    return list(range(first, first + count))


def _notices(count, rng, items, purchasers):
    user_id = _next_id(User)
    _insert(
        User.__table__,
        [{"id": user_id, "email": "bench@example.cn", "name": "基准", "password_hash": "x"}],
    )
    states, weights = list(NOTICE_STATES), list(NOTICE_STATES.values())
    rows = []
    for _ in range(count):
        item = rng.choice(items)
        district = rng.choice(DISTRICTS)
        project = f"{district}{rng.choice(PLACES)}{rng.choice(FACILITIES)}{rng.choice(ACTIONS)}"
        published = NOW - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
        rows.append(
            {
                "purchaser_org_id": rng.choice(purchasers),
                "item_id": item.id,
                "title": f"{project}项目{item.name}服务采购",
                "project_name": f"{project}项目",
                "project_code": f"2{rng.randint(100, 999)}-500112-04-01-{rng.randrange(10**6):06d}",
                "fiscal_share_pct": rng.choice((0, 100)),
                "scope": f"负责{project}项目的{item.name}工作，编制并报送审批所需技术文件。",
                "ceiling_fen": rng.randrange(20_000_00, 500_000_00, 100),
                "method": rng.choice(("direct", "random", "lowest", "mean", "credit")),
                "method_reason": "",
                "service_days": rng.randint(10, 90),
                "deadline_dt": published + timedelta(days=5),
                "contact_name": "王五",
                "contact_phone": "023-67001234",
                "state": rng.choices(states, weights)[0],
                "state_changed_dt": published + timedelta(days=5),
                "published_dt": published,
                "created_dt": published - timedelta(days=1),
                "created_by_id": user_id,
                "draw_salt": "0" * 32,
                "selection_reason": "",
                "outcome_note": "",
                "version": 1,
            }
        )
    _insert(Notice.__table__, rows)


def build_corpus(scale, seed=2026):
    rng = random.Random(seed)
    items = db.session.scalars(select(ServiceItem).order_by(ServiceItem.id)).all()
    _agencies(scale, rng, items)
    _notices(scale, rng, items, _purchasers(max(50, scale // 100), rng))
    db.session.commit()
    return items


# --- the queries -----------------------------------------------------------------------------

KEYWORDS = _words(
    "环境影响评价 水土保持方案 防雷装置检测 地质灾害危险性评估 测绘 土地估价 职业病危害 "
    "安全评价 水资源论证 工程造价咨询 节能报告 防洪影响评价 施工图审查 海域使用论证 "
    "竣工规划测量 可行性研究报告 压力容器 文物影响评估 排水水质检测 环境科技"
)
ABBREVIATIONS = _words("环评 安评 水保 能评 地灾 稳评 防雷 造价 可研 职评 洪评 测绘 hp sb ap dz")
NOTICE_WORDS = (*(f.replace("工程", "") for f in FACILITIES), "环境影响评价报告书", "测量")


def make_queries(count, seed, items):
    """(kind, text, filters, sort, can_bid_only, label) — seven agency queries in ten."""
    rng = random.Random(seed)
    categories = sorted({i.category for i in items})
    queries = []
    for n in range(count):
        shape = n % 10
        if shape < 7:
            kind, filters, sort, bid = "agencies", {}, "relevance", False
            if shape in (0, 1):
                text, label = rng.choice(KEYWORDS), "关键词"
            elif shape == 2:
                text, label = f"{_brand(rng)[:2]} {rng.choice(KEYWORDS)[:4]}", "关键词"
            elif shape in (3, 4):
                text, label = rng.choice(ABBREVIATIONS), "缩写"
            elif shape == 5:
                text, label = rng.choice((*KEYWORDS, *ABBREVIATIONS)), "关键词+筛选"
                filters = rng.choice(
                    (
                        {"region": f"重庆市{rng.choice(DISTRICTS)}"},
                        {"grade": rng.choice("AB")},
                        {"category": rng.choice(categories)},
                    )
                )
                bid = rng.random() < 0.5
            else:
                text, label, sort = rng.choice((*KEYWORDS, *ABBREVIATIONS)), "按信用", "credit"
        else:
            kind, filters, sort, bid = "notices", {}, "relevance", False
            text, label = rng.choice((*NOTICE_WORDS, *ABBREVIATIONS[:8])), "公告关键词"
            if shape == 8:
                filters, label = {"state": "published"}, "公告+筛选"
                if rng.random() < 0.5:
                    filters["region"] = f"重庆市{rng.choice(DISTRICTS)}"
            elif shape == 9:
                sort, label = "newest", "公告最新"
        queries.append((kind, text, filters, sort, bid, label))
    return queries
