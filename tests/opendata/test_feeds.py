"""Atom feeds of new notices and of results, for the platform, one item or one department:
what a feed reader gets, and nothing a notice page does not already show."""

from xml.etree import ElementTree

import pytest

from .. import factories
from ..pages import without_csrf_tokens

ATOM = "{http://www.w3.org/2005/Atom}"


def read(client, path, **params):
    response = client.get(path, query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ElementTree.fromstring(response.data)


def entries(feed):
    return [
        {
            "title": e.findtext(f"{ATOM}title"),
            "summary": e.findtext(f"{ATOM}summary"),
            "link": e.find(f"{ATOM}link").get("href"),
        }
        for e in feed.findall(f"{ATOM}entry")
    ]


def test_a_published_notice_is_in_the_feeds_of_its_item_and_department(client, db):
    buyer = factories.purchaser()
    environmental = factories.notice(buyer, title="渝北区污水处理厂环评报告编制")
    factories.notice(buyer, title="气象站雷电防护检测", item_id=factories.item("ZJ006").id)
    factories.notice(buyer, publish=False, title="尚未发布的草稿公告")

    everything = [e["title"] for e in entries(read(client, "/feeds/notices.atom"))]
    assert "渝北区污水处理厂环评报告编制" in everything and "气象站雷电防护检测" in everything
    assert "尚未发布的草稿公告" not in everything

    by_item = entries(read(client, "/feeds/notices.atom", item="ZJ012"))
    assert [e["title"] for e in by_item] == ["渝北区污水处理厂环评报告编制"]
    assert by_item[0]["link"] == f"http://localhost/notices/{environmental.id}"
    assert "最高限价 ¥100,000.00" in by_item[0]["summary"]
    by_department = entries(read(client, "/feeds/notices.atom", department="气象部门"))
    assert [e["title"] for e in by_department] == ["气象站雷电防护检测"]


def test_a_result_names_the_winner_and_its_amount_once_in_publicity(client, db):
    notice, _, winner, rival = factories.publicity_notice(amount_fen=76_500_00)
    (result,) = entries(read(client, "/feeds/results.atom", item="ZJ012"))
    assert result["title"] == f"中选结果公示：{notice.title}"
    assert winner.organisation.name in result["summary"] and "¥76,500.00" in result["summary"]
    assert rival.organisation.name not in result["summary"]


def test_a_quote_before_the_deadline_changes_no_feed(client, db):
    notice = factories.notice(factories.purchaser())
    before = [client.get(p).data for p in ("/feeds/notices.atom", "/feeds/results.atom")]
    factories.bid(factories.agency(), notice, 91_234_00)
    after = [client.get(p).data for p in ("/feeds/notices.atom", "/feeds/results.atom")]
    assert after == before
    assert b"91,234" not in b"".join(after)


@pytest.mark.parametrize(
    "params", [{"item": "ZJ999"}, {"department": "不存在的部门"}, {"item": "x" * 500}]
)
def test_an_unknown_item_or_department_is_not_found(client, params):
    assert client.get("/feeds/notices.atom", query_string=params).status_code == 404
    assert client.get("/feeds/results.atom", query_string=params).status_code == 404


def test_the_notice_list_and_item_page_link_their_feeds(client):
    listing = without_csrf_tokens(client.get("/notices/").get_data(as_text=True))
    assert 'type="application/atom+xml"' in listing and "/feeds/results.atom" in listing
    item_page = client.get("/catalogue/ZJ012").get_data(as_text=True)
    assert "/feeds/notices.atom?item=ZJ012" in item_page


def test_a_notice_without_responses_is_reported_as_failed(client, db):
    notice = factories.notice(factories.purchaser(), title="无人报价的评估项目")
    factories.close_bidding(notice)
    assert notice.state == "failed"
    titles = [e["title"] for e in entries(read(client, "/feeds/results.atom"))]
    assert titles == ["流标：无人报价的评估项目"]
