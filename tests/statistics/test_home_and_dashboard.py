"""The home page's figures are the statistics' overview: the same function, the same numbers;
the operators' workspace shows the statistics' figures and charts and links to the page."""

from .pages import figure, overview, rows

LABELS = (
    "入驻中介机构",
    "入驻采购人",
    "已上线服务事项",
    "报价中公告",
    "已签约项目",
    "累计成交金额",
)


def test_the_home_page_shows_the_statistics_overview(client, make):
    make.contracted_notice(amount_fen=80_000_00)  # a purchaser, two agencies, a contract
    make.notice()  # taking quotes
    make.agency(region="四川省成都市")
    home = client.get("/").get_data(as_text=True)
    stats = client.get("/statistics/").get_data(as_text=True)
    data = client.get("/statistics/data.json").get_json()["overview"]
    shown = {label: overview(home, label) for label in LABELS}
    assert shown == {label: overview(stats, label) for label in LABELS}
    assert shown == {
        "入驻中介机构": "3",
        "入驻采购人": "2",
        "已上线服务事项": "32",
        "报价中公告": "1",
        "已签约项目": "1",
        "累计成交金额": "¥80,000.00",
    }
    assert (data["agencies"], data["purchasers"], data["notices_open"]) == (3, 2, 1)
    assert (data["contracts"], data["contract_total_fen"]) == (1, 80_000_00)
    assert 'href="/statistics/"' in home


def test_the_statistics_page_is_linked_in_the_header_and_footer(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count('href="/statistics/"') >= 3  # header, footer, the figures' link
    assert "数据统计" in page


def test_the_operator_sees_the_charts_and_their_tables(client, auth, make):
    make.agency(region="四川省成都市")
    make.agency()
    auth.login(make.staff("operator", "平台运营中心"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert overview(page, "入驻中介机构") == "2"
    assert figure(page, "agencies_registered") == "2"
    assert figure(page, "outside_share") == "50.0%"
    assert rows(page, "registrations")[-1] == ["2026-11", "1", "1", "0"]
    assert 'data-chart="savings"' in page and 'data-chart="concentration"' not in page
    assert 'data-json="/statistics/data.json?from=2025-12&amp;to=2026-11"' in page
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "完整的数据统计" in page and 'href="/statistics/"' in page


def test_the_statistics_page_publishes_yesterdays_chain_head(client, db, make, frozen_clock):
    from sqlalchemy import select

    from market.core.models import AuditEvent

    make.purchaser()  # registering records events today, the frozen day
    db.session.commit()
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).one()
    today = client.get("/statistics/").get_data(as_text=True)
    assert last.hash not in today  # a day still going on is not published
    frozen_clock.advance(days=1)
    make.purchaser()  # and what happens the next day changes nothing of it
    db.session.commit()
    page = client.get("/statistics/").get_data(as_text=True)
    assert "审计链链头（2026-11-24 日终）" in page
    assert f"第 {last.id} 条记录" in page and last.hash in page
