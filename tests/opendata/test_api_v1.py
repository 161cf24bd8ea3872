"""The JSON API /api/v1/ (docs/opendata.md): filters, sorting, cursor paging to the last
page, ETags, refusals in Chinese, only what the public pages show (sealed quotes, undisclosed
records, drafts and contact details never), and its rate limit."""

from market.catalogue import revisions
from market.catalogue.services import get_item_by_code
from market.core.clock import utcnow
from market.payments import services as payments

PLAN = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


def _get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.get_json()


def _walk(client, url) -> tuple[list, int]:
    """Every item of a list, following its next links: (items, pages)."""
    items, pages = [], 0
    while url:
        answer = _get(client, url)
        items += answer["items"]
        pages += 1
        url = answer["links"]["next"]
        assert (url is None) == (answer["next_cursor"] is None)
    return items, pages


def test_notices_are_filtered_sorted_and_paged_to_the_end(client, make):
    buyer = make.purchaser()
    ceilings = [50_000_00, 20_000_00, 90_000_00, 70_000_00, 30_000_00]
    for ceiling in ceilings:
        make.notice(buyer, ceiling_fen=ceiling, title=f"限价{ceiling // 100}元的采购")
    make.notice(buyer, publish=False, title="尚未发布的草稿")
    make.notice(code="ZJ005", title="另一事项的公告")

    items, pages = _walk(client, "/api/v1/notices?item=ZJ012&sort=ceiling&limit=2")
    assert pages == 3
    assert [n["ceiling_fen"] for n in items] == [
        20_000_00,
        30_000_00,
        50_000_00,
        70_000_00,
        90_000_00,
    ]
    assert all(n["item"]["code"] == "ZJ012" for n in items)
    assert "尚未发布的草稿" not in str(items)

    descending, _ = _walk(
        client, f"/api/v1/notices?purchaser={buyer.organisation.id}&sort=-ceiling&limit=4"
    )
    assert [n["ceiling_fen"] for n in descending] == [
        90_000_00,
        70_000_00,
        50_000_00,
        30_000_00,
        20_000_00,
    ]
    first = descending[0]
    assert first["purchaser"]["id"] == buyer.organisation.id
    assert first["state"] == "published" and first["state_label"]
    assert first["url"] == f"/notices/{first['id']}"

    everything, _ = _walk(client, "/api/v1/notices?limit=100")
    assert len(everything) == 6  # the five and the other item's; never the draft
    # published on 2026-11-24 (Beijing): a range ending the day before holds none
    assert _get(client, "/api/v1/notices?published_to=2026-11-23")["items"] == []
    assert len(_get(client, "/api/v1/notices?published_from=2026-11-24")["items"]) == 6


def test_a_notice_and_its_links(client, make):
    notice = make.notice(payment_plan=PLAN)
    shown = _get(client, f"/api/v1/notices/{notice.id}")
    assert shown["title"] == "礼嘉智慧公园环境影响评价服务采购"
    assert shown["ceiling_fen"] == 100_000_00 and shown["floor_fen"] is None
    assert [m["percent"] for m in shown["payment_plan"]] == [30, 70]
    assert shown["ocds_record"].endswith(f"-{notice.id}")
    assert shown["audit_pack"] == f"/notices/{notice.id}/audit-pack.zip"
    assert shown["deadline"].endswith("+08:00")
    draft = make.notice(publish=False)
    refused = _get(client, f"/api/v1/notices/{draft.id}", 404)
    assert refused["message"] == "未找到该公告（不存在或尚未发布）"
    assert _get(client, "/api/v1/notices/2147483648", 404)["code"] == 404


def test_an_unchanged_list_answers_304_and_a_change_gives_a_new_etag(client, make):
    make.notice()
    first = client.get("/api/v1/notices")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/notices", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    make.notice(title="又一条公告")
    changed = client.get("/api/v1/notices", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_bad_queries_are_refused_with_what_to_change(client, make):
    make.notice()
    make.notice()

    def refused(url):
        answer = _get(client, url, 422)
        assert answer["message"] == "查询参数不正确，请按 errors 中的说明修改"
        return answer["errors"]["query"]

    assert refused("/api/v1/notices?limit=0") == {"limit": ["应为 1 至 100 之间的整数"]}
    assert refused("/api/v1/notices?limit=abc") == {"limit": ["应为整数"]}
    assert refused("/api/v1/notices?published_from=2026-13-01")["published_from"] == [
        "应为日期，格式 YYYY-MM-DD，例如 2026-03-01"
    ]
    assert refused("/api/v1/notices?published_from=1999-12-31") == {
        "published_from": ["应在 2000-01-01 至 2099-12-31 之间"]
    }
    assert refused("/api/v1/notices?published_from=2026-11-02&published_to=2026-11-01") == {
        "published_to": ["不能早于 published_from"]
    }
    assert "应为以下之一" in refused("/api/v1/notices?sort=price")["sort"][0]
    assert refused("/api/v1/notices?cursor=bm90LWEtY3Vyc29y")["cursor"][0].startswith("cursor 无效")
    # a cursor given for one order does not continue another
    cursor = _get(client, "/api/v1/notices?limit=1")["next_cursor"]
    assert "cursor" in refused(f"/api/v1/notices?limit=1&sort=ceiling&cursor={cursor}")
    assert "cursor" in refused(f"/api/v1/agencies?cursor={cursor}")
    assert refused("/api/v1/statistics?from=2026-13") == {
        "from": ["应为 2000-01 至 2100-12 之间的月份，格式 YYYY-MM"]
    }
    assert refused("/api/v1/statistics?from=2026-06&to=2026-01") == {
        "filters": ["起始月份不能晚于截止月份"]
    }


def test_a_quote_before_the_deadline_changes_no_answer(client, make):
    notice = make.notice()
    urls = [
        "/api/v1/notices",
        f"/api/v1/notices/{notice.id}",
        "/api/v1/results",
        "/api/v1/contracts",
        "/api/v1/statistics",
        "/api/v1/agencies",
    ]
    agency = make.agency()
    before = {url: client.get(url).get_data() for url in urls}
    make.bid(agency, notice, amount_fen=87_654_32)
    for url in urls:
        after = client.get(url).get_data()
        assert after == before[url], url
        assert b"8765432" not in after


def test_results_and_contracts_with_their_milestones(client, make):
    notice, buyer, winner = make.contracted_notice(payment_plan=PLAN)
    advance, rest = payments.contract_milestones(notice.contract.id)
    make.bank_transfer(buyer, advance, bank_reference="62220099887766")
    payments.confirm_receipt(winner, advance)

    result = _get(client, f"/api/v1/results?notice={notice.id}")["items"]
    assert len(result) == 1
    assert result[0]["winner"]["id"] == winner.organisation.id
    assert result[0]["amount_fen"] == 80_000_00
    assert result[0]["status"] == "publicity" and result[0]["round"] == 1

    contracts = _get(client, f"/api/v1/contracts?agency={winner.organisation.id}")["items"]
    assert len(contracts) == 1
    contract = contracts[0]
    assert contract["amount_fen"] == 80_000_00 and contract["notice_id"] == notice.id
    assert [(m["label"], m["amount_fen"]) for m in contract["milestones"]] == [
        ("预付款", 24_000_00),
        ("尾款", 56_000_00),
    ]
    assert contract["milestones"][0]["paid_at"] is not None
    assert contract["milestones"][1]["paid_at"] is None
    body = client.get("/api/v1/contracts").get_data(as_text=True)
    assert "62220099887766" not in body
    assert _get(client, "/api/v1/contracts?agency=999999")["items"] == []


def test_agencies_show_their_public_fields_only(client, make):
    offering = make.agency(items=("ZJ012", "ZJ005"), org_name="渝环评咨询有限公司")
    make.agency(items=("ZJ005",))
    org_id = offering.organisation.id

    listed = _get(client, "/api/v1/agencies?item=ZJ012")["items"]
    assert [a["name"] for a in listed] == ["渝环评咨询有限公司"]
    assert listed[0]["items"] == ["ZJ005", "ZJ012"]
    assert listed[0]["credit_grade"] == "A" and listed[0]["may_quote"] is True

    shown = _get(client, f"/api/v1/agencies/{org_id}")
    assert {o["item"]["code"] for o in shown["offerings"]} == {"ZJ005", "ZJ012"}
    organisation = offering.organisation
    body = client.get(f"/api/v1/agencies/{org_id}").get_data(as_text=True)
    for private in (organisation.contact_phone, organisation.contact_email, offering.email):
        assert private and private not in body
    assert _get(client, "/api/v1/agencies/2147483647", 404)["message"] == "未找到该中介机构"


def test_the_catalogue_with_its_versions_and_no_drafts(client, make):
    keeper = make.staff("regulator", "生态环境部门")
    item = get_item_by_code("ZJ012")
    old_name = item.name
    today = utcnow().date()
    revisions.edit_item(item, {"name": "环境影响评价文件编制"}, "与法规名称一致", today, keeper)
    draft = revisions.create_item(
        {
            "code": "ZJ990",
            "name": "尚在梳理的事项",
            "licensing_item": "建设项目环境影响评价文件审批",
            "legal_basis": "《中华人民共和国环境影响评价法》",
            "approving_department": "生态环境部门",
            "category": "环境保护",
            "list_kind": "licensing",
            "fee_type": "market",
        },
        "新增事项",
        keeper,
    )
    assert draft.status == "draft"

    items, pages = _walk(client, "/api/v1/catalogue/items?limit=10")
    assert len(items) == 34 and pages == 4
    assert "ZJ990" not in {i["code"] for i in items}
    assert _get(client, "/api/v1/catalogue/items/ZJ990", 404)["code"] == 404
    other = _get(client, "/api/v1/catalogue/items?list=other")["items"]
    assert {i["code"] for i in other} == {"ZJ031", "ZJ032", "ZJ033", "ZJ034"}

    current = _get(client, "/api/v1/catalogue/items/ZJ012")
    assert current["name"] == "环境影响评价文件编制"
    versions = _get(client, "/api/v1/catalogue/items/ZJ012/versions")["items"]
    assert versions[0]["version"] == current["version"]
    assert versions[0]["reason"] == "与法规名称一致"
    assert versions[0]["changes"] == {"name": "环境影响评价文件编制"}
    assert versions[0]["before"] == {"name": old_name}
    assert [v["version"] for v in versions] == sorted(
        (v["version"] for v in versions), reverse=True
    )


def test_disclosures_hold_only_what_is_disclosed(client, make):
    disclosed, _, agency = make.confirmed_record(publish=True)
    make.confirmed_record(number="生环信决〔2026〕2号", publish=False)
    items = _get(client, "/api/v1/credit/disclosures")["items"]
    assert [i["decision_number"] for i in items] == ["生环信决〔2026〕1号"]
    assert items[0]["org_id"] == agency.organisation.id
    assert items[0]["criterion_code"] == "A05" and items[0]["party_label"] == "中介机构"
    body = client.get("/api/v1/credit/disclosures").get_data(as_text=True)
    assert "2号" not in body
    assert _get(client, "/api/v1/credit/disclosures?party=purchaser")["items"] == []


def test_statistics_echo_their_filters(client, make):
    make.contracted_notice()
    figures = _get(client, "/api/v1/statistics?from=2026-01&to=2026-12")
    assert figures["filters"] == {
        "from": "2026-01",
        "to": "2026-12",
        "department": None,
        "item": None,
    }
    assert figures["overview"]["contracts"] == 1
    assert "generated_at" not in figures


def test_the_index_and_the_openapi_document(client):
    index = _get(client, "/api/v1/")
    assert index["openapi"] == "/api/v1/openapi.json"
    assert index["resources"]["notices"]["url"] == "/api/v1/notices"
    document = _get(client, "/api/v1/openapi.json")
    assert document["openapi"] == "3.1.0"
    assert len(document["paths"]) == 12
    notices = document["paths"]["/api/v1/notices"]["get"]
    assert {"200", "304", "422"} <= set(notices["responses"])
    names = {p.get("name") for p in notices["parameters"]}
    assert names >= {"limit", "cursor", "sort", "item"}


def test_one_address_is_limited_to_120_requests_a_minute(client, rate_limits):
    rate_limits.enabled = True
    for _ in range(120):
        assert client.get("/api/v1/").status_code == 200
    limited = _get(client, "/api/v1/", 429)
    assert limited["message"].startswith("您的操作过于频繁")
    # another operation of the API counts apart
    assert client.get("/api/v1/notices").status_code == 200


def test_a_day_later_the_same_list_is_the_same_answer(client, make, frozen_clock):
    make.notice()
    first = client.get("/api/v1/notices").headers["ETag"]
    frozen_clock.advance(days=1)
    assert client.get("/api/v1/notices").headers["ETag"] == first
