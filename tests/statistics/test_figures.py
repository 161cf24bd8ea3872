"""Every figure of the statistics page, its JSON and its CSV files, checked against numbers
counted by hand from the small market of world.py (its docstring tells the story)."""

import pytest

from . import world
from .pages import PERIOD, figure, figure_note, overview, row, rows


@pytest.fixture
def market(db):
    return world.build()


@pytest.fixture
def page(client, market):
    response = client.get(f"/statistics/?{PERIOD}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_period_and_scope_are_said(page):
    assert "统计期间：2026年11月至2027年03月" in page
    assert "全部审批部门、全部服务事项" in page


def test_the_overview_counts_the_platform_to_date(page):
    assert overview(page, "入驻中介机构") == "4"
    assert overview(page, "入驻采购人") == "2"
    assert overview(page, "已上线服务事项") == "32"
    assert overview(page, "报价中公告") == "1"  # N4
    assert overview(page, "已签约项目") == "3"
    assert overview(page, "累计成交金额") == "¥210,000.00"


def test_registrations_and_the_share_of_agencies_from_outside(page):
    assert figure(page, "agencies_registered") == "4"
    assert figure(page, "outside_share") == "50.0%"
    assert "2 家外地机构" in figure_note(page, "outside_share")
    assert figure(page, "purchasers_registered") == "2"
    assert rows(page, "registrations") == [
        ["2026-11", "2", "2", "2"],
        ["2026-12", "0", "0", "0"],
        ["2027-01", "0", "0", "0"],
        ["2027-02", "0", "0", "0"],
        ["2027-03", "0", "0", "0"],
    ]
    assert "新入驻中介机构（重庆市）" in page and "新入驻中介机构（外地）" in page


def test_notices_by_method_and_the_lottery_with_its_reasons(page):
    assert figure(page, "notices_published") == "4"  # N1–N4; no draft
    assert figure(page, "lottery_share") == "25.0%"
    assert row(page, "notices", "2026-11")[-1] == "3"
    assert row(page, "notices", "2027-03")[-1] == "1"
    # a column per method used in the period: one notice each in November, N4 in March
    assert row(page, "notices", "2026-11")[1:-1] == ["1", "1", "1"]
    assert sorted(row(page, "notices", "2027-03")[1:-1]) == ["0", "0", "1"]
    header = page[
        page.index('id="table-notices"') : page.index("</thead>", page.index('id="table-notices"'))
    ]
    assert all(label in header for label in ("直接选取", "随机选取", "竞价选取"))
    assert rows(page, "lottery_reasons") == [
        ["公平竞争审查：常规小额服务，随机抽取保证各机构机会均等", "1"]
    ]


def test_savings_rate_is_one_minus_awards_over_ceilings(page):
    # (80,000 + 50,000 + 80,000) / (100,000 + 50,000 + 100,000) = 0.84
    assert figure(page, "awards") == "3"
    assert figure(page, "award_fen") == "¥210,000.00"
    assert figure(page, "savings_rate") == "16.0%"
    assert "最高限价合计 ¥250,000.00" in figure_note(page, "savings_rate")
    assert row(page, "savings", "2026-12") == [
        "2026-12",
        "3",
        "¥250,000.00",
        "¥210,000.00",
        "16.0%",
    ]
    assert row(page, "savings", "2026-11") == ["2026-11", "0", "¥0.00", "¥0.00", "—"]


def test_working_days_to_award_and_from_signing_to_acceptance(page):
    # to award: 8, 8 and 10 working days; N1 signed Friday 12-04, accepted Tuesday 12-08: 2
    assert figure(page, "award_median_days") == "8"
    assert "平均 8.7 个工作日，3 个项目" in figure_note(page, "award_median_days")
    assert figure(page, "acceptance_median_days") == "2"
    assert "平均 2 个工作日，1 个项目" in figure_note(page, "acceptance_median_days")
    assert row(page, "durations", "2026-12") == ["2026-12", "3", "8", "8.7", "1", "2", "2"]


def test_competition_counts_closed_notices_only(page):
    # N1 two responses, N2 two, N3 one; N4 still taking quotes is not counted
    assert figure(page, "responses_mean") == "1.67"
    assert figure(page, "single_share") == "33.3%"
    assert "较差" in figure_note(page, "single_share")
    assert "1 / 3 个有响应的公告" in figure_note(page, "single_share")
    assert figure(page, "direct_share") == "25.0%"
    assert "1 个公告，其中直接邀请 0 个" in figure_note(page, "direct_share")
    assert row(page, "competition", "2026-11") == [
        "2026-11",
        "3",
        "1.67",
        "3",
        "1",
        "33.3%",
        "3",
        "1",
        "33.3%",
    ]


def test_concentration_is_the_hhi_of_awarded_value_per_item(page):
    # ZJ012: A1 ¥80,000 and A2 ¥80,000 → 50² + 50² = 5,000; ZJ010: one agency → 10,000
    assert figure(page, "items_awarded") == "2"
    assert figure(page, "items_high_hhi") == "2"
    assert rows(page, "concentration") == [
        [
            "ZJ012 环境影响评价报告书（表）编制",
            "生态环境部门",
            "2",
            "2",
            "¥160,000.00",
            "5,000",
            "高度集中",
        ],
        ["ZJ010 水土保持方案报告书编制", "水利部门", "1", "1", "¥50,000.00", "10,000", "高度集中"],
    ]


def test_credit_counts_only_what_was_disclosed(page):
    assert figure(page, "agencies_graded") == "4"
    assert figure(page, "grade_a_share") == "75.0%"
    assert rows(page, "grades") == [
        ["A", "3", "75.0%"],
        ["B", "0", "0.0%"],
        ["C", "1", "25.0%"],
        ["D", "0", "0.0%"],
    ]
    # A1's and A3's records; A2's was decided but never disclosed: it is no figure
    assert figure(page, "violations_disclosed") == "2"
    assert rows(page, "violations") == [["A05", "中选后未在规定时限内签订合同", "2"]]
    assert figure(page, "on_time_share") == "50.0%"
    assert figure(page, "repairs_granted") == "1"
    assert row(page, "disclosures", "2026-11") == ["2026-11", "1", "1", "100.0%", "0"]
    assert row(page, "disclosures", "2026-12") == ["2026-12", "1", "0", "0.0%", "0"]
    assert row(page, "disclosures", "2027-03") == ["2027-03", "0", "0", "—", "1"]


def test_a_department_counts_its_items_only(client, market):
    page = client.get(f"/statistics/?{PERIOD}&department=生态环境部门").get_data(as_text=True)
    assert "审批部门：生态环境部门" in page
    assert figure(page, "notices_published") == "3"  # N1, N3, N4
    assert figure(page, "agencies_registered") == "2" and figure(page, "outside_share") == "0.0%"
    assert figure(page, "purchasers_registered") == "2"
    assert figure(page, "savings_rate") == "20.0%"  # 160,000 / 200,000
    assert figure(page, "responses_mean") == "1.50"  # N1 two, N3 one
    assert figure(page, "single_share") == "50.0%"
    assert figure(page, "lottery_share") == "0.0%"
    assert [r[0] for r in rows(page, "concentration")] == ["ZJ012 环境影响评价报告书（表）编制"]
    assert rows(page, "violations") == [["A05", "中选后未在规定时限内签订合同", "2"]]
    assert overview(page, "报价中公告") == "1" and overview(page, "已签约项目") == "2"


def test_an_item_counts_its_notices_only(client, market):
    item = market.n2.item
    page = client.get(f"/statistics/?{PERIOD}&item={item.id}").get_data(as_text=True)
    assert "服务事项：ZJ010 水土保持方案报告书编制" in page
    assert figure(page, "notices_published") == "1"
    assert figure(page, "lottery_share") == "100.0%"
    assert figure(page, "savings_rate") == "0.0%"  # a fixed price: the ceiling is the award
    assert figure(page, "outside_share") == "100.0%"  # A3 and A4
    assert figure(page, "purchasers_registered") == "1"  # P2
    assert rows(page, "concentration") == [
        ["ZJ010 水土保持方案报告书编制", "水利部门", "1", "1", "¥50,000.00", "10,000", "高度集中"]
    ]
    # the records were made without a notice: they belong to no item
    assert figure(page, "violations_disclosed") == "0"
    assert "统计期间内暂无数据" in page


def test_each_table_downloads_as_csv_with_the_same_figures(client, market):
    response = client.get(f"/statistics/savings.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "statistics-savings-202611-202703" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    assert response.data.decode("utf-8-sig").splitlines() == [
        "月份,中选项目,最高限价合计（元）,成交金额合计（元）,节支率（%）",
        "2026-11,0,0.00,0.00,",
        "2026-12,3,250000.00,210000.00,16.0",
        "2027-01,0,0.00,0.00,",
        "2027-02,0,0.00,0.00,",
        "2027-03,0,0.00,0.00,",
    ]
    durations = client.get(f"/statistics/durations.csv?{PERIOD}").data.decode("utf-8-sig")
    assert "2026-12,3,8,8.67,1,2,2" in durations.splitlines()
    violations = client.get(f"/statistics/violations.csv?{PERIOD}").data.decode("utf-8-sig")
    assert violations.splitlines() == [
        "标准编号,违法违规行为,公示记录",
        "A05,中选后未在规定时限内签订合同,2",
    ]
    hhi = client.get(f"/statistics/concentration.csv?{PERIOD}").data.decode("utf-8-sig")
    assert "ZJ012 环境影响评价报告书（表）编制,生态环境部门,2,2,160000.00,5000,高度集中" in hhi
    assert client.get(f"/statistics/nothing.csv?{PERIOD}").status_code == 404


def test_the_page_links_each_csv_and_the_json_with_its_filters(page):
    assert 'href="/statistics/savings.csv?from=2026-11&amp;to=2027-03"' in page
    assert 'data-json="/statistics/data.json?from=2026-11&amp;to=2027-03"' in page
    assert page.count("下载 CSV") == 10


def test_the_json_holds_every_figure_table_and_chart(client, market):
    data = client.get(f"/statistics/data.json?{PERIOD}").get_json()
    assert data["filters"] == {"from": "2026-11", "to": "2027-03", "department": None, "item": None}
    assert data["generated_at"] == "2027-03-02T10:00:00+08:00"
    assert data["overview"] == {
        "agencies": 4,
        "purchasers": 2,
        "items_online": 32,
        "notices_open": 1,
        "contracts": 3,
        "contract_total_fen": 210_000_00,
    }
    summary = data["summary"]
    assert summary["savings_rate"] == {"label": "节支率", "value": 0.16, "band": None}
    assert summary["single_share"]["value"] == 0.3333 and summary["single_share"]["band"] == "poor"
    assert summary["award_median_days"]["value"] == 8.0
    assert summary["award_fen"]["value"] == 210_000_00
    assert sorted(data["tables"]) == [
        "competition",
        "concentration",
        "disclosures",
        "durations",
        "grades",
        "lottery_reasons",
        "notices",
        "registrations",
        "savings",
        "violations",
    ]
    savings = data["tables"]["savings"]
    assert savings["rows"][1] == {
        "month": "2026-12",
        "awards": 3,
        "ceiling_fen": 250_000_00,
        "award_fen": 210_000_00,
        "savings_share": 0.16,
    }
    chart = savings["chart"]
    assert chart["type"] == "bar" and chart["axes"] == ["万元", "%"]
    assert chart["categories"] == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    assert chart["series"][1] == {
        "name": "成交金额合计",
        "type": "bar",
        "axis": 0,
        "stack": None,
        "data": [0.0, 21.0, 0.0, 0.0, 0.0],
    }
    assert chart["series"][2]["data"] == [None, 16.0, None, None, None]
    assert data["tables"]["concentration"]["chart"]["marks"] == [
        {"value": 1500, "label": "1,500"},
        {"value": 2500, "label": "2,500"},
    ]
    assert data["tables"]["lottery_reasons"]["chart"] is None


def test_the_page_carries_no_inline_style_or_script(page):
    # the policy would drop them: the charts come from static files, sizes from classes
    from ..core.test_headers import INLINE

    assert INLINE.findall(page) == []
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in page
    assert '<script src="/static/statistics.js"></script>' in page
