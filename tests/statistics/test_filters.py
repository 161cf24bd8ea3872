"""The filters: defaults, and every bad value refused with a message saying what is wrong,
on the page (400, the form kept), in the JSON and the CSV files; never an error page."""

import pytest

from .pages import figure


def test_by_default_the_last_twelve_months_are_counted(client, make):
    make.agency()
    page = client.get("/statistics/").get_data(as_text=True)
    assert "统计期间：2025年12月至2026年11月" in page  # the clock: 2026-11-24
    assert figure(page, "agencies_registered") == "1"
    data = client.get("/statistics/data.json").get_json()
    assert data["filters"] == {"from": "2025-12", "to": "2026-11", "department": None, "item": None}


def test_one_end_of_the_period_is_enough(client):
    data = client.get("/statistics/data.json?from=2026-03").get_json()
    assert (data["filters"]["from"], data["filters"]["to"]) == ("2026-03", "2026-11")
    data = client.get("/statistics/data.json?to=2026-06").get_json()
    assert (data["filters"]["from"], data["filters"]["to"]) == ("2025-07", "2026-06")
    page = client.get("/statistics/?from=2026-11&to=2026-11").get_data(as_text=True)
    assert "统计期间：2026年11月</strong>" in page


BAD = [
    ("from=2026-13", "起始月份的月份应在 01 至 12 之间"),
    ("from=26-01", "起始月份格式应为 YYYY-MM（年-月），例如 2026-01"),
    ("to=1999-12", "截止月份应在 2000-01 至 2100-12 之间"),
    ("to=2101-01", "截止月份应在 2000-01 至 2100-12 之间"),
    ("from=2026-06&to=2026-01", "起始月份不能晚于截止月份"),
    ("from=2000-01&to=2026-01", "统计期间最长 120 个月（10 年），请缩短期间"),
    ("item=abc", "服务事项应从列表中选择（编号为正整数）"),
    ("item=0", "服务事项应从列表中选择（编号为正整数）"),
    ("item=-5", "服务事项应从列表中选择（编号为正整数）"),
    (f"item={2**63}", "服务事项编号超出范围，请从列表中选择"),
    (f"item={2**63 - 1}", "所选服务事项不存在，请从列表中选择"),
    ("item=999999", "所选服务事项不存在，请从列表中选择"),
    ("department=火星部门", "没有名为「火星部门」的审批部门，请从列表中选择"),
    ("department=" + "部" * 300, "的审批部门，请从列表中选择"),
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_a_bad_filter_is_refused_with_a_message(client, query, message):
    page = client.get(f"/statistics/?{query}")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "筛选条件有误" in text and message in text
    assert 'id="statistics-filters"' in text  # the form, to put it right
    data = client.get(f"/statistics/data.json?{query}")
    assert data.status_code == 400 and message in "；".join(data.get_json()["errors"])
    csv = client.get(f"/statistics/savings.csv?{query}")
    assert csv.status_code == 400 and message in csv.get_data(as_text=True)


def test_an_item_of_another_department_is_refused(client, make):
    item = make.item("ZJ010")
    page = client.get(f"/statistics/?department=生态环境部门&item={item.id}")
    assert page.status_code == 400
    assert (
        "服务事项「ZJ010 水土保持方案报告书编制」的审批部门是水利部门，不是生态环境部门"
        in page.get_data(as_text=True)
    )


def test_every_problem_is_named_at_once(client):
    data = client.get("/statistics/data.json?from=x&item=y&department=z").get_json()
    assert len(data["errors"]) == 3


def test_the_form_offers_the_departments_and_items(client):
    page = client.get("/statistics/").get_data(as_text=True)
    assert '<option value="生态环境部门"' in page
    assert "ZJ012 环境影响评价报告书（表）编制" in page


def test_a_departments_draft_is_neither_offered_nor_taken_as_a_filter(client, db):
    from market.catalogue import revisions
    from market.catalogue.fields import values_from_text

    text = {
        "code": "ZJ960",
        "name": "尚在梳理的测绘事项",
        "licensing_item": "建设工程规划许可",
        "legal_basis": "《城乡规划法》",
        "approving_department": "新设审批部门",
        "category": "测绘",
        "list_kind": "licensing",
        "fee_type": "market",
    }
    draft = revisions.create_item(values_from_text(text), "梳理中", None)
    page = client.get("/statistics/").get_data(as_text=True)
    assert "尚在梳理的测绘事项" not in page and "新设审批部门" not in page
    response = client.get(f"/statistics/?item={draft.id}")
    assert response.status_code == 400
    assert "所选服务事项不存在" in response.get_data(as_text=True)
