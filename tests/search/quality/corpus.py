"""The fixed corpus the search quality queries are judged on (queries.toml): 50 agencies over
the shipped catalogue's items (market/catalogue/data/service_items.csv), in Chongqing's
districts and a few outside, and a handful of published notices.

Besides the plain specialists it holds distractors a careful judge would not count as relevant:
a cost consultancy whose only environmental item is the marine EIA (ZJ013) and whose
introduction repeats every EIA word, firms whose name holds a query word (水保, 测绘) but which
offer something else here, a soil-and-water firm that only mentions 环评 in passing, a firm
named 特种设备 (whose pinyin initials give "sb" like 水保)."""

from dataclasses import dataclass, field

from market.agencies.services import agency_of


@dataclass(frozen=True)
class A:
    """One agency: its name, region, offered item codes, credit score, its own introduction
    (Agency.description), its service area, and 服务说明 per offered item code."""

    name: str
    region: str
    items: tuple[str, ...]
    score: int = 90
    description: str = ""
    service_area: str = ""
    offerings: dict[str, str] = field(default_factory=dict)


AGENCIES = (
    # --- 环评 (ZJ012 inland EIA; ZJ013 marine) ----------------------------------------------
    A(
        "重庆渝环环境科技有限公司",
        "重庆市渝北区",
        ("ZJ012", "ZJ021"),
        98,
        "专业从事建设项目环境影响评价、排污许可申报和环境监测的技术服务机构，"
        "拥有环评工程师12名，完成环评项目800余项。",
        offerings={
            "ZJ012": "环境影响报告书（表）编制，含公众参与调查和污染物排放总量核算。",
            "ZJ021": "排水户水质水量检测，出具CMA检测报告。",
        },
    ),
    A(
        "重庆环科院环境技术有限公司",
        "重庆市江北区",
        ("ZJ012", "ZJ010"),
        95,
        "依托科研院所技术力量，承担市政、交通、水利类项目的环境影响评价和水土保持方案编制。",
    ),
    A(
        "重庆三峡环评技术有限公司",
        "重庆市万州区",
        ("ZJ012",),
        90,
        "立足万州、服务渝东北，专注库区建设项目环境影响评价。",
    ),
    A(
        "重庆碧水蓝天环保工程有限公司",
        "重庆市渝北区",
        ("ZJ012", "ZJ021"),
        85,
        "提供环境影响评价、土壤污染状况调查、污染场地修复方案咨询。",
    ),
    A(
        "重庆绿源环境科技有限公司",
        "重庆市涪陵区",
        ("ZJ012",),
        80,
        "服务涪陵、长寿化工园区，承接化工项目环境影响评价和环境风险评估。",
    ),
    A(
        "四川环科源环境工程咨询有限公司",
        "四川省成都市",
        ("ZJ012", "ZJ013"),
        92,
        "西南地区综合环境咨询机构，内陆及海洋工程环境影响评价均有业绩。",
    ),
    A(
        "贵州黔清环境咨询有限公司",
        "贵州省贵阳市",
        ("ZJ012",),
        75,
        "贵州本地环境咨询机构，可承接重庆地区建设项目环评。",
    ),
    A(
        "重庆永川生态环境技术服务有限公司",
        "重庆市永川区",
        ("ZJ012", "ZJ010"),
        88,
        "渝西片区生态环境技术服务，环境影响评价与水土保持一站式办理。",
    ),
    A(  # distractor: a cost consultancy; its only environmental item is the marine EIA
        "重庆中鼎工程造价咨询有限公司",
        "重庆市渝北区",
        ("ZJ031", "ZJ013"),
        100,
        "工程造价咨询甲级单位。兼营环评：海洋工程环评、环境影响评价、环境影响报告书编制、"
        "环评报告技术咨询。",
        offerings={"ZJ031": "全过程工程造价咨询、招标控制价编制、结算审核。"},
    ),
    # --- 测绘 (ZJ018 竣工规划测量 → 建设工程规划条件核实; ZJ029 土地勘测定界) -----------------
    A(
        "重庆市勘测院有限公司",
        "重庆市渝中区",
        ("ZJ018", "ZJ029"),
        100,
        "重庆市属大型测绘地理信息单位，从事城市测量、规划核实测量、地下管线探测。",
        service_area="重庆市全域",
    ),
    A(
        "重庆市万州区测绘院有限公司",
        "重庆市万州区",
        ("ZJ018", "ZJ029"),
        90,
        "甲级测绘资质，服务万州及渝东北各区县。",
        offerings={"ZJ018": "竣工规划核实测量，含房产面积测算和地下室测量。"},
    ),
    A(
        "重庆精准测绘有限公司",
        "重庆市九龙坡区",
        ("ZJ018",),
        85,
        "无人机倾斜摄影、三维激光扫描、地形图测绘。",
    ),
    A(
        "重庆两江地理信息技术有限公司",
        "重庆市渝北区",
        ("ZJ018", "ZJ029"),
        82,
        "地理信息数据生产与工程测量服务。",
    ),
    A(
        "重庆三峡空间信息有限公司",
        "重庆市万州区",
        ("ZJ029",),
        80,
        "承接土地勘测定界、不动产权籍调查。",
    ),
    A(
        "四川蜀地勘界规划设计有限公司",
        "四川省成都市",
        ("ZJ029",),
        78,
        "川渝两地建设用地报批技术服务。",
    ),
    A(
        "贵州黔图测绘科技有限公司",
        "贵州省贵阳市",
        ("ZJ018",),
        78,
        "贵州省乙级测绘单位，竣工测量和规划核实测量。",
    ),
    A(  # distractor: 测绘 in the name, but only valuation here
        "重庆华地测绘地产估价有限公司",
        "重庆市南岸区",
        ("ZJ024", "ZJ033"),
        95,
        "土地估价和房地产估价，为征收补偿、土地出让提供估价报告。",
    ),
    # --- 防雷 / 雷评 (ZJ006 检测, ZJ007 设计技术评价, ZJ008 雷电灾害风险评估) -----------------
    A(
        "四川蜀雷防雷检测有限公司",
        "四川省成都市",
        ("ZJ006", "ZJ007"),
        88,
        "四川省气象主管机构认定的防雷装置检测资质单位。",
        service_area="成渝地区",
    ),
    A(
        "重庆市防雷中心技术服务有限公司",
        "重庆市渝北区",
        ("ZJ006", "ZJ007", "ZJ008"),
        96,
        "气象部门下属防雷技术服务机构。",
        offerings={"ZJ006": "新建建筑物防雷装置跟踪检测，加油站、油库防静电检测。"},
    ),
    A(
        "重庆雷盾防雷工程有限公司",
        "重庆市江津区",
        ("ZJ006",),
        84,
        "防雷工程施工与防雷装置定期检测。",
    ),
    A(
        "重庆天弘雷电防护技术有限公司",
        "重庆市北碚区",
        ("ZJ008", "ZJ007"),
        90,
        "大型项目雷击风险评估和防雷设计技术评价。",
    ),
    A(
        "重庆万州雷安防雷检测有限公司",
        "重庆市万州区",
        ("ZJ006", "ZJ008"),
        80,
        "渝东北防雷检测和雷电灾害风险评估。",
    ),
    # --- 水保 (ZJ010), 水资源论证 (ZJ011 → 取水许可), 洪评 (ZJ015) ----------------------------
    A(
        "重庆江河水土保持技术有限公司",
        "重庆市江北区",
        ("ZJ010", "ZJ011"),
        94,
        "水土保持方案编制、水土保持监测与设施验收。",
        offerings={"ZJ010": "水土保持方案报告书编制，含弃渣场稳定性评价。"},
    ),
    A(
        "重庆市水利电力建筑勘测设计研究院有限公司",
        "重庆市渝中区",
        ("ZJ010", "ZJ011", "ZJ015"),
        97,
        "水利行业甲级设计院，承担水利水电工程勘测设计及相关咨询。",
    ),
    A(
        "重庆长江水资源咨询有限公司",
        "重庆市长寿区",
        ("ZJ011", "ZJ015"),
        86,
        "水资源论证、取水工程论证、涉河建设方案论证。",
    ),
    A(  # distractor: 水保 in the name, offers the forest-land report only
        "重庆水保生态园林有限公司",
        "重庆市璧山区",
        ("ZJ014",),
        92,
        "园林绿化施工、苗木种植和林地可行性报告编制。",
    ),
    A(
        "重庆巴渝水土保持监测有限公司",
        "重庆市巴南区",
        ("ZJ010",),
        75,
        "生产建设项目水土保持监测，可协助业主协调环评、安评等前期手续。",
    ),
    A(
        "四川川水水利水电勘测设计有限公司",
        "四川省成都市",
        ("ZJ010", "ZJ015"),
        83,
        "水利水电工程勘测设计、水土保持和河道防洪评价。",
    ),
    # --- 安评 (ZJ025), 职评 (ZJ030) ---------------------------------------------------------
    A(
        "重庆安元安全评价有限公司",
        "重庆市涪陵区",
        ("ZJ025", "ZJ030"),
        93,
        "化工园区危险化学品安全评价、职业卫生技术服务。",
        offerings={"ZJ025": "化工企业安全预评价、安全验收评价，重大危险源辨识与评估。"},
    ),
    A(
        "重庆化安安全技术咨询有限公司",
        "重庆市长寿区",
        ("ZJ025",),
        87,
        "长寿经开区危化企业安全技术咨询。",
    ),
    A(
        "重庆职安卫职业健康评价有限公司",
        "重庆市渝中区",
        ("ZJ030",),
        90,
        "职业病危害控制效果评价、职业病危害因素检测。",
    ),
    A(
        "贵州安泰安全评价有限公司",
        "贵州省贵阳市",
        ("ZJ025",),
        70,
        "贵州省安全评价甲级机构。",
    ),
    # --- 地灾 (ZJ009), 压矿 (ZJ026) ---------------------------------------------------------
    A(
        "重庆中地矿产资源评估有限公司",
        "重庆市渝北区",
        ("ZJ026", "ZJ009"),
        91,
        "矿产资源储量评审咨询、建设项目压覆矿产调查。",
    ),
    A(
        "重庆南江地质工程勘察设计院有限公司",
        "重庆市沙坪坝区",
        ("ZJ009", "ZJ026"),
        89,
        "地质勘查、岩土工程勘察和地质灾害治理设计。",
    ),
    A(
        "四川华地地灾防治技术有限公司",
        "四川省成都市",
        ("ZJ009",),
        80,
        "地质灾害防治工程勘查、设计与监测。",
    ),
    # --- 文勘 / 文物 (ZJ028) -----------------------------------------------------------------
    A(
        "重庆文博考古勘探有限公司",
        "重庆市九龙坡区",
        ("ZJ028",),
        90,
        "承接基本建设考古勘探、文物保护工程咨询。",
    ),
    A(
        "重庆华夏文物保护咨询有限公司",
        "重庆市渝中区",
        ("ZJ028",),
        85,
        "文物保护规划编制、文物保护工程方案设计。",
    ),
    A(
        "四川蜀文考古技术服务有限公司",
        "四川省成都市",
        ("ZJ028",),
        82,
        "考古调查与发掘技术服务。",
        offerings={"ZJ028": "含项目用地范围内的文物勘探与试掘，出具勘探报告。"},
    ),
    # --- 投资咨询: 能评 (ZJ004), 可研 (ZJ002), 稳评/交评 (no item: introductions) ----------
    A(
        "重庆国际工程咨询院有限公司",
        "重庆市渝北区",
        ("ZJ001", "ZJ002", "ZJ003", "ZJ004"),
        97,
        "工程咨询甲级资信，承接项目申请报告、可行性研究、节能评估和社会稳定风险评估。",
    ),
    A(
        "重庆渝咨工程咨询有限公司",
        "重庆市南岸区",
        ("ZJ002", "ZJ003"),
        85,
        "可研编制、初步设计概算，并承接社会稳定风险评估报告和交通影响评价。",
    ),
    A(
        "重庆交通规划勘察设计院有限公司",
        "重庆市渝中区",
        ("ZJ005",),
        90,
        "交通影响评价、综合交通规划和建设项目规划选址论证。",
    ),
    A(
        "重庆中节能技术服务有限公司",
        "重庆市南岸区",
        ("ZJ004",),
        92,
        "固定资产投资项目节能审查咨询和能源审计。",
    ),
    # --- 造价 (ZJ031), 审计 (ZJ032), 估价 (ZJ024, ZJ033) --------------------------------------
    A(
        "重庆天健工程造价咨询事务所有限公司",
        "重庆市江北区",
        ("ZJ031", "ZJ032"),
        93,
        "工程造价咨询、竣工结算审计。",
    ),
    A(
        "重庆华审会计师事务所有限公司",
        "重庆市渝中区",
        ("ZJ032", "ZJ031"),
        88,
        "财务审计、专项资金审计和工程造价咨询。",
    ),
    A(
        "重庆恒信房地产土地估价有限公司",
        "重庆市渝北区",
        ("ZJ024", "ZJ033"),
        86,
        "土地估价、房地产估价、征收评估。",
    ),
    # --- others ------------------------------------------------------------------------------
    A(
        "重庆渝审施工图审查有限公司",
        "重庆市渝北区",
        ("ZJ019", "ZJ020"),
        91,
        "房屋建筑和市政工程施工图设计文件审查、人防工程施工图审查。",
    ),
    A(  # distractor for "sb" (特种设备 → tzsb)
        "重庆众安特种设备检验检测有限公司",
        "重庆市大渡口区",
        ("ZJ022", "ZJ023"),
        88,
        "压力容器、气瓶等特种设备检验检测。",
    ),
    A(
        "重庆震安地震工程技术有限公司",
        "重庆市沙坪坝区",
        ("ZJ027",),
        90,
        "重大工程场地地震安全性评价和地震小区划。",
    ),
    A(
        "重庆林业规划设计院有限公司",
        "重庆市北碚区",
        ("ZJ014",),
        89,
        "使用林地可行性报告、森林资源调查。",
    ),
    A(
        "重庆索通律师事务所",
        "重庆市渝中区",
        ("ZJ034",),
        95,
        "行政机关重大决策合法性审查等法律咨询。",
    ),
)


@dataclass(frozen=True)
class N:
    """One published notice: its title (the name queries expect), item, project, purchaser."""

    title: str
    code: str
    project: str
    purchaser: str
    region: str


NOTICES = (
    N(
        "礼嘉智慧公园二期环境影响评价服务采购",
        "ZJ012",
        "礼嘉智慧公园二期工程",
        "重庆两江新区市政园林管理局",
        "重庆市渝北区",
    ),
    N(
        "新田港二期工程水土保持方案编制服务",
        "ZJ010",
        "万州新田港二期工程",
        "重庆市万州区港口物流发展有限公司",
        "重庆市万州区",
    ),
    N(
        "空港工业园标准厂房竣工规划测量服务",
        "ZJ018",
        "空港工业园标准厂房",
        "重庆临空开发投资有限公司",
        "重庆市渝北区",
    ),
    N(
        "白涛化工园区危化品仓储项目安全评价服务",
        "ZJ025",
        "白涛化工园区危化品仓储项目",
        "重庆白涛化工园区开发有限公司",
        "重庆市涪陵区",
    ),
    N(
        "德感工业园新建厂房防雷装置检测服务",
        "ZJ006",
        "德感工业园新建厂房",
        "重庆市江津区德感工业园管委会",
        "重庆市江津区",
    ),
    N(
        "长寿经开区供水工程水资源论证报告编制",
        "ZJ011",
        "长寿经开区供水工程",
        "重庆长寿经开区水务有限公司",
        "重庆市长寿区",
    ),
)


def _grade(score: int) -> str:
    return "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 60 else "D"


def build(make, db) -> dict[str, dict[int, str]]:
    """Write the corpus into the test's database; returns, by kind, id → name (an agency's
    organisation name, a notice's title)."""
    agencies = {}
    for spec in AGENCIES:
        user = make.agency(items=spec.items, org_name=spec.name, region=spec.region)
        profile = agency_of(user)
        profile.description = spec.description
        profile.service_area = spec.service_area
        profile.credit_score = spec.score
        profile.credit_grade = _grade(spec.score)
        for offering in profile.offerings:
            offering.description = spec.offerings.get(offering.item.code, "")
        agencies[profile.org_id] = spec.name
    notices = {}
    purchasers = {}
    for spec in NOTICES:
        buyer = purchasers.get(spec.purchaser)
        if buyer is None:
            buyer = purchasers[spec.purchaser] = make.purchaser(
                org_name=spec.purchaser, region=spec.region
            )
        notice = make.notice(
            buyer, code=spec.code, title=spec.title, project_name=spec.project, scope=spec.title
        )
        notices[notice.id] = spec.title
    db.session.flush()
    return {"agencies": agencies, "notices": notices}
