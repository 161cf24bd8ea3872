"""The statistics page's sections, filled from the counted figures: what each section shows,
in which table and chart, with which bands."""

from flask import current_app

from ..core.i18n import _
from ..core.money import format_fen
from .figures import DRAW_METHODS, method_labels
from .tables import (
    DIRECT_METHODS,
    GRADES,
    Column,
    KeyFigure,
    Section,
    Series,
    Table,
    days_text,
    hhi_band,
    single_bid_band,
)
from .tallies import Figures, Spans


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- the sections -----------------------------------------------------------------------------


def _registrations(f: Figures, home_region: str) -> Section:
    months = f.months
    rows = [
        (key, m.agencies - m.agencies_outside, m.agencies_outside, m.purchasers)
        for key, m in months.items()
    ]
    agencies, outside = f.total("agencies"), f.total("agencies_outside")
    table = Table(
        "registrations",
        _("每月新入驻单位"),
        [
            Column("month", _("月份"), "month"),
            Column("agencies_local", _("新入驻中介机构（%(region)s）", region=home_region)),
            Column("agencies_outside", _("新入驻中介机构（外地）")),
            Column("purchasers", _("新入驻采购人")),
        ],
        rows,
        note=_("所在地区不以「%(region)s」开头的机构计为外地机构。", region=home_region),
        series=[
            Series("agencies_local", stack="agencies"),
            Series("agencies_outside", stack="agencies"),
            Series("purchasers"),
        ],
    )
    return Section(
        "registrations",
        _("入驻"),
        _("零门槛入驻：中介机构不限注册地。外地机构占比反映这一承诺的落实情况。"),
        [
            KeyFigure("agencies_registered", _("新入驻中介机构"), agencies),
            KeyFigure(
                "outside_share",
                _("其中外地机构占比"),
                _share(outside, agencies),
                "share",
                _("%(n)s 家外地机构", n=outside),
            ),
            KeyFigure("purchasers_registered", _("新入驻采购人"), f.total("purchasers")),
        ],
        [table],
    )


def _notices(f: Figures) -> Section:
    labels = {key: str(label) for key, label in method_labels().items()}
    methods = [m for m in labels if any(m in month.by_method for month in f.months.values())]
    methods = methods or list(labels)
    rows = [
        (key, *(m.by_method.get(method, 0) for method in methods), m.notices)
        for key, m in f.months.items()
    ]
    total = f.total("notices")
    drawn = sum(f.by_method.get(method, 0) for method in DRAW_METHODS)
    by_method = Table(
        "notices",
        _("每月发布公告（按选取方式）"),
        [
            Column("month", _("月份"), "month"),
            *(Column(f"method_{m}", labels[m]) for m in methods),
            Column("total", _("合计")),
        ],
        rows,
        note=_("只计已发布的公告（含发布后撤销、流标的），不计草稿。"),
        series=[Series(f"method_{m}", stack="notices") for m in methods],
    )
    reasons = Table(
        "lottery_reasons",
        _("随机选取的理由（公平竞争审查）"),
        [Column("reason", _("采购人说明的理由"), "text"), Column("notices", _("公告数"))],
        [(reason or _("（未说明）"), n) for reason, n in f.lottery_reasons],
        note=_("同一理由的公告合并计数，列出最常见的 20 条。"),
        chart=None,
        category="reason",
    )
    draw_labels = _("、").join(labels.get(m, m) for m in DRAW_METHODS)
    return Section(
        "notices",
        _("采购公告"),
        _(
            "按发布月份统计的公告数和选取方式。以抽签决定中选机构的方式（%(methods)s）须说明理由。",
            methods=draw_labels,
        ),
        [
            KeyFigure("notices_published", _("发布公告"), total),
            KeyFigure(
                "lottery_share",
                _("随机选取占比"),
                _share(drawn, total),
                "share",
                _("%(n)s 个公告以抽签选取", n=drawn),
            ),
        ],
        [by_method, reasons],
    )


def _savings(f: Figures) -> Section:
    rows = [
        (
            key,
            m.awards,
            m.ceiling_fen,
            m.award_fen,
            1 - m.award_fen / m.ceiling_fen if m.ceiling_fen else None,
        )
        for key, m in f.months.items()
    ]
    awards, award_fen, ceiling_fen = f.total("awards"), f.total("award_fen"), f.total("ceiling_fen")
    table = Table(
        "savings",
        _("每月成交与节支率"),
        [
            Column("month", _("月份"), "month"),
            Column("awards", _("中选项目")),
            Column("ceiling_fen", _("最高限价合计"), "fen"),
            Column("award_fen", _("成交金额合计"), "fen"),
            Column("savings_share", _("节支率"), "share"),
        ],
        rows,
        note=_("节支率 = 1 − 成交金额合计 ÷ 最高限价合计（按公示期满确定中选的月份）。"),
        series=[
            Series("ceiling_fen"),
            Series("award_fen"),
            Series("savings_share", kind="line", axis=1),
        ],
        axes=("wan_yuan", "share"),
    )
    return Section(
        "savings",
        _("成交与节支"),
        _(
            "中选项目的成交金额与其公告最高限价的比较。固定价格的选取方式（随机选取、信用择优）"
            "按最高限价成交，节支为零。"
        ),
        [
            KeyFigure("awards", _("中选项目"), awards),
            KeyFigure("award_fen", _("成交金额"), award_fen, "fen"),
            KeyFigure(
                "savings_rate",
                _("节支率"),
                1 - award_fen / ceiling_fen if ceiling_fen else None,
                "share",
                _("最高限价合计 %(amount)s", amount=format_fen(ceiling_fen)),
            ),
        ],
        [table],
    )


def _durations(f: Figures) -> Section:
    rows = [
        (
            key,
            m.to_award.n,
            m.to_award.median,
            m.to_award.mean,
            m.to_acceptance.n,
            m.to_acceptance.median,
            m.to_acceptance.mean,
        )
        for key, m in f.months.items()
    ]
    to_award, to_acceptance = f.spans("to_award"), f.spans("to_acceptance")
    table = Table(
        "durations",
        _("每月办理时效（工作日）"),
        [
            Column("month", _("月份"), "month"),
            Column("awards", _("中选项目")),
            Column("award_median", _("发布至中选·中位数"), "days"),
            Column("award_mean", _("发布至中选·平均"), "days"),
            Column("acceptances", _("验收项目")),
            Column("acceptance_median", _("签约至验收·中位数"), "days"),
            Column("acceptance_mean", _("签约至验收·平均"), "days"),
        ],
        rows,
        note=_(
            "按法定工作日计（含调休）：自发布日（或双方签约完成日）之后的第一个工作日起算，"
            "至中选（或验收）当日。中选按公示期满的月份、验收按验收的月份统计。"
        ),
        series=[
            Series("award_median", kind="line"),
            Series("acceptance_median", kind="line"),
        ],
        axes=("days",),
    )
    return Section(
        "durations",
        _("办理时效"),
        _("从公告发布到确定中选、从合同签订到验收通过各用了多少个工作日。"),
        [
            _days_figure("award", _("发布至中选"), to_award),
            _days_figure("acceptance", _("签约至验收"), to_acceptance),
        ],
        [table],
    )


def _days_figure(key: str, label: str, spans: Spans) -> KeyFigure:
    note = (
        _("平均 %(days)s 个工作日，%(n)s 个项目", days=days_text(spans.mean), n=spans.n)
        if spans.n
        else _("暂无项目")
    )
    return KeyFigure(
        f"{key}_median_days",
        _("%(label)s（中位数，工作日）", label=label),
        spans.median,
        "days",
        note,
    )


def _competition(f: Figures) -> Section:
    rows = []
    for key, m in f.months.items():
        direct = sum(m.by_method.get(method, 0) for method in DIRECT_METHODS)
        c = m.competition
        rows.append(
            (
                key,
                c.notices,
                c.mean,
                c.answered,
                c.single,
                c.single_share,
                m.notices,
                direct,
                _share(direct, m.notices),
            )
        )
    competition = f.competition
    direct = sum(f.by_method.get(method, 0) for method in DIRECT_METHODS)
    notices, invitations = f.total("notices"), f.total("invitations")
    band = single_bid_band(competition.single_share)
    table = Table(
        "competition",
        _("每月竞争情况"),
        [
            Column("month", _("月份"), "month"),
            Column("closed", _("已截止公告")),
            Column("responses_mean", _("平均响应数"), "mean"),
            Column("answered", _("有响应的公告")),
            Column("single", _("单一响应公告")),
            Column("single_share", _("单一响应占比"), "share"),
            Column("published", _("发布公告")),
            Column("direct", _("直接选取公告")),
            Column("direct_share", _("直接选取占比"), "share"),
        ],
        rows,
        note=_(
            "按发布月份统计。响应数只计报价已截止、已开启的公告（报价截止前一律密封，不计入任何数字），"
            "不含直接邀请；单一响应占比 = 仅有一家响应的公告 ÷ 有响应的公告。"
        ),
        series=[
            Series("responses_mean"),
            Series("single_share", kind="line", axis=1),
            Series("direct_share", kind="line", axis=1),
        ],
        axes=("agencies", "share"),
        marks=((10, "10%"), (20, "20%")),
    )
    return Section(
        "competition",
        _("竞争"),
        _(
            "单一响应占比按欧盟单一市场记分牌（Single Market Scoreboard）评级："
            "不超过 10% 为满意，超过 10% 为一般，超过 20% 为较差。"
        ),
        [
            KeyFigure(
                "responses_mean",
                _("平均响应数"),
                competition.mean,
                "mean",
                _("%(n)s 个已截止公告（不含直接邀请）", n=competition.notices),
            ),
            KeyFigure(
                "single_share",
                _("单一响应占比"),
                competition.single_share,
                "share",
                _(
                    "%(single)s / %(answered)s 个有响应的公告",
                    single=competition.single,
                    answered=competition.answered,
                ),
                band,
            ),
            KeyFigure(
                "direct_share",
                _("直接选取占比"),
                _share(direct, notices),
                "share",
                _("%(n)s 个公告，其中直接邀请 %(invited)s 个", n=direct, invited=invitations),
            ),
        ],
        [table],
    )


def _concentration(f: Figures) -> Section:
    rows = []
    for share in f.items:
        band = hhi_band(share.hhi)
        rows.append(
            (
                f"{share.code} {share.name}",
                share.department,
                share.awards,
                len(share.agencies),
                share.value_fen,
                share.hhi,
                band[0] if band else None,
            )
        )
    high = sum(1 for s in f.items if (hhi_band(s.hhi) or ("", ""))[1] == "high")
    table = Table(
        "concentration",
        _("各服务事项的市场集中度（HHI）"),
        [
            Column("item", _("服务事项"), "text"),
            Column("department", _("审批部门"), "text"),
            Column("awards", _("中选项目")),
            Column("agencies", _("中选机构")),
            Column("value_fen", _("成交金额"), "fen"),
            Column("hhi", "HHI", "hhi"),
            Column("band", _("集中度"), "text"),
        ],
        rows,
        note=_(
            "HHI = 各中选机构成交金额占该事项成交总额百分比的平方和（0–10,000）；"
            "超过 2,500 为高度集中，1,500–2,500 为中度集中。"
        ),
        chart="hbar",
        category="item",
        series=[Series("hhi")],
        axes=("hhi",),
        marks=((1500, "1,500"), (2500, "2,500")),
    )
    return Section(
        "concentration",
        _("市场集中度"),
        _("同一事项的成交是否集中在少数机构。"),
        [
            KeyFigure("items_awarded", _("有成交的服务事项"), len(f.items)),
            KeyFigure("items_high_hhi", _("高度集中的事项"), high, note=_("HHI 超过 2,500")),
        ],
        [table],
    )


def _credit(f: Figures) -> Section:
    agencies = sum(f.grades.values())
    deadline = current_app.config["CREDIT_PUBLISH_WORKING_DAYS"]
    grades = Table(
        "grades",
        _("中介机构信用等级分布（当前）"),
        [
            Column("grade", _("信用等级"), "text"),
            Column("agencies", _("机构数")),
            Column("share", _("占比"), "share"),
        ],
        [(g, f.grades.get(g, 0), _share(f.grades.get(g, 0), agencies)) for g in GRADES],
        note=_("A ≥ 90 分，B ≥ 80 分，C ≥ 60 分，D 低于 60 分；为当前等级，不随统计期间变化。"),
        category="grade",
        series=[Series("agencies")],
        axes=("agencies",),
    )
    violations = Table(
        "violations",
        _("已公示的不良行为（按认定标准）"),
        [
            Column("code", _("标准编号"), "text"),
            Column("behaviour", _("违法违规行为"), "text"),
            Column("records", _("公示记录")),
        ],
        list(f.violations),
        note=_("只计已向社会公示（双公示）的记录，按公示月份统计；尚未公示、复核撤销的记录不计。"),
        chart="hbar",
        category="code",
        series=[Series("records")],
        axes=("records",),
    )
    disclosures = Table(
        "disclosures",
        _("每月信用公示与修复"),
        [
            Column("month", _("月份"), "month"),
            Column("disclosed", _("公示记录")),
            Column("on_time", _("按期公示")),
            Column("on_time_share", _("按期公示率"), "share"),
            Column("repaired", _("信用修复")),
        ],
        [
            (
                key,
                m.disclosed,
                m.disclosed_on_time,
                _share(m.disclosed_on_time, m.disclosed),
                m.repaired,
            )
            for key, m in f.months.items()
        ],
        note=_(
            "按期：认定后 %(days)s 个工作日内公示（信用公示期限）。信用修复按准予修复的月份统计。",
            days=deadline,
        ),
        series=[Series("disclosed"), Series("repaired"), Series("on_time_share", "line", 1)],
        axes=("records", "share"),
    )
    disclosed = f.total("disclosed")
    return Section(
        "credit",
        _("信用"),
        _("信用等级分布与已公示的不良行为。未公示的认定结果不出现在任何统计中。"),
        [
            KeyFigure("agencies_graded", _("中介机构"), agencies),
            KeyFigure(
                "grade_a_share",
                _("A 级机构占比"),
                _share(f.grades.get("A", 0), agencies),
                "share",
            ),
            KeyFigure("violations_disclosed", _("公示不良行为"), disclosed),
            KeyFigure(
                "on_time_share",
                _("按期公示率"),
                _share(f.total("disclosed_on_time"), disclosed),
                "share",
                _("认定后 %(days)s 个工作日内公示", days=deadline),
            ),
            KeyFigure("repairs_granted", _("准予信用修复"), f.total("repaired")),
        ],
        [grades, violations, disclosures],
    )


def sections(figures: Figures, home_region: str) -> list[Section]:
    """The statistics page's sections, in order."""
    return [
        _registrations(figures, home_region),
        _notices(figures),
        _savings(figures),
        _durations(figures),
        _competition(figures),
        _concentration(figures),
        _credit(figures),
    ]
