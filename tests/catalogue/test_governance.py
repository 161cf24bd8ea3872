"""Keeping the catalogue: departments create and change items as revisions with reasons and
effective dates, publish them as numbered batches, take batches online, withdraw items; the
worker applies what is scheduled; the public sees every version and what changed."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from market.catalogue import revisions
from market.catalogue.models import CatalogueBatch, ItemRevision
from market.catalogue.tasks import apply_due_changes
from market.core.errors import ServiceError

from .. import factories

DEPARTMENT = "规划自然资源部门"
# 2026-11-24 (a Tuesday) is the suite's frozen day; these are days after it, Asia/Shanghai.
DEC_1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DEC_10 = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def new_item_form(code="ZJ901", **overrides):
    values = {
        "code": code,
        "name": "地下管线探测",
        "licensing_item": "建设工程规划许可",
        "legal_basis": "《城乡规划法》;《城市地下管线工程档案管理办法》",
        "implementing_requirement": "",
        "fee_type": "market",
        "fee_basis": "市场调节价，由委托双方协商确定",
        "fee_limits": "",
        "commissioned_by": "申请人",
        "note": "",
        "category": "测绘",
        "list_kind": "licensing",
        "reason": "依据市政府第 12 号决定新增",
    }
    values.update(overrides)
    return values


@pytest.fixture
def keeper(db, auth):
    user = factories.staff("regulator", DEPARTMENT)
    auth.login(user)
    return user


def page(response):
    return response.get_data(as_text=True)


def get_item(code):
    return factories.item(code)


def test_a_new_item_stays_with_its_department_until_published(client, keeper, auth):
    response = client.post("/catalogue/manage/items/new", data=new_item_form())
    assert response.status_code == 302
    item = get_item("ZJ901")
    assert item.status == "draft" and item.version == 1
    assert "梳理中" in page(client.get("/catalogue/ZJ901"))
    auth.logout()
    assert client.get("/catalogue/ZJ901").status_code == 404
    assert "ZJ901" not in page(client.get("/catalogue/?q=地下管线"))


def test_publishing_a_batch_today_then_taking_it_online_on_a_later_day(
    client, keeper, auth, frozen_clock
):
    client.post("/catalogue/manage/items/new", data=new_item_form("ZJ901"))
    client.post("/catalogue/manage/items/new", data=new_item_form("ZJ902", name="日照分析"))
    ids = [get_item("ZJ901").id, get_item("ZJ902").id]
    response = client.post(
        "/catalogue/manage/batches",
        data={"items": ids, "title": "2026 年第四季度规划类事项", "publishes_on": "2026-11-24"},
    )
    batch = factories.db.session.scalar(select(CatalogueBatch))
    assert response.headers["Location"].endswith(f"/catalogue/batches/{batch.number}")
    assert batch.state == "published"
    assert get_item("ZJ901").status == "published" and get_item("ZJ902").status == "published"

    response = client.post(
        f"/catalogue/manage/batches/{batch.number}/online", data={"online_on": "2026-12-01"}
    )
    assert response.status_code == 302
    assert batch.state == "going_online"
    assert get_item("ZJ901").status == "published"  # not before 1 December

    frozen_clock.set(DEC_1)
    assert apply_due_changes() == 2
    assert batch.state == "online"
    assert get_item("ZJ901").status == "online" and get_item("ZJ902").status == "online"

    auth.logout()
    batch_page = page(client.get(f"/catalogue/batches/{batch.number}"))
    assert "已上线" in batch_page and "ZJ901" in batch_page and "ZJ902" in batch_page
    log = page(client.get("/catalogue/ZJ901"))
    assert "第 3 版" in log and "上线" in log and "2026-12-01 生效" in log
    assert "依据市政府第 12 号决定新增" in log  # the reason it was recorded for


def test_a_batch_scheduled_for_a_later_day_publishes_itself(client, keeper, auth, frozen_clock):
    client.post("/catalogue/manage/items/new", data=new_item_form("ZJ901"))
    client.post(
        "/catalogue/manage/batches",
        data={"items": [get_item("ZJ901").id], "title": "第四季度", "publishes_on": "2026-12-10"},
    )
    batch = factories.db.session.scalar(select(CatalogueBatch))
    assert batch.state == "scheduled" and get_item("ZJ901").status == "draft"
    auth.logout()
    assert client.get(f"/catalogue/batches/{batch.number}").status_code == 404

    frozen_clock.set(DEC_1)
    assert apply_due_changes() == 0
    assert batch.state == "scheduled"
    frozen_clock.set(DEC_10)
    assert apply_due_changes() == 1
    assert batch.state == "published" and get_item("ZJ901").status == "published"
    assert get_item("ZJ901").first_public_on == date(2026, 12, 10)
    assert "已公布" in page(client.get(f"/catalogue/batches/{batch.number}"))


def test_an_edit_from_a_later_date_waits_then_keeps_the_earlier_version(
    client, keeper, auth, frozen_clock
):
    item = get_item("ZJ005")
    before_name = item.name
    form = new_item_form(
        "ZJ005",
        name="建设项目用地预审与选址测绘报告编制",
        licensing_item=item.licensing_item,
        legal_basis=item.legal_basis,
        category=item.category,
        commissioned_by="",
        fee_basis=item.fee_basis,
        implementing_requirement=item.implementing_requirement,
        reason="按省级清单统一名称",
        effective_on="2026-12-01",
    )
    response = client.post(f"/catalogue/manage/items/{item.id}/edit", data=form)
    assert response.status_code == 302, page(response)
    assert item.name == before_name and item.version == 1
    auth.logout()
    announced = page(client.get("/catalogue/ZJ005"))
    assert "待生效的调整" in announced and "按省级清单统一名称" in announced

    frozen_clock.set(DEC_1)
    apply_due_changes()
    assert item.name == "建设项目用地预审与选址测绘报告编制" and item.version == 2
    log = page(client.get("/catalogue/ZJ005"))
    assert "第 2 版" in log and before_name in log  # the replaced name in the change table
    old = page(client.get("/catalogue/ZJ005/versions/1"))
    assert before_name in old and "这是历史版本" in old
    changed = page(client.get("/catalogue/changes?since=2026-12-01"))
    assert "ZJ005" in changed and "按省级清单统一名称" in changed


def test_an_edit_needs_a_reason_and_an_effective_date_from_today(client, keeper):
    item = get_item("ZJ005")
    form = new_item_form("ZJ005", name="新名称", reason="", effective_on="2026-11-23")
    response = client.post(f"/catalogue/manage/items/{item.id}/edit", data=form)
    assert response.status_code == 400
    assert "请填写此项" in page(response)
    form["reason"] = "更名"
    response = client.post(f"/catalogue/manage/items/{item.id}/edit", data=form)
    assert response.status_code == 400 and "生效日期不能早于今天" in page(response)
    assert item.version == 1
    assert (
        factories.db.session.scalar(
            select(ItemRevision).where(ItemRevision.item_id == item.id, ItemRevision.version == 2)
        )
        is None
    )


def test_another_departments_item_cannot_be_changed(client, keeper):
    item = get_item("ZJ012")  # 生态环境部门
    response = client.get(f"/catalogue/manage/items/{item.id}/edit")
    assert response.status_code == 403
    response = client.post(
        f"/catalogue/manage/items/{item.id}/withdraw",
        data={"reason": "取消", "effective_on": "2026-11-24"},
    )
    assert response.status_code == 403 and item.status == "online"


def test_an_agency_or_the_public_cannot_reach_the_keeping_pages(client, auth):
    assert client.get("/catalogue/manage/").status_code == 302  # to the login page
    agency = factories.agency()
    auth.login(agency)
    assert client.get("/catalogue/manage/").status_code == 403
    assert client.get("/catalogue/manage/import").status_code == 403


def test_a_withdrawn_item_lets_open_notices_go_on_and_takes_no_new_one(client, auth, frozen_clock):
    offering = factories.agency(items=("ZJ012",))
    buyer = factories.purchaser()
    notice = factories.notice(buyer, item_id=get_item("ZJ012").id)
    keeper = factories.staff("regulator", "生态环境部门")
    auth.login(keeper)
    item = get_item("ZJ012")
    response = client.post(
        f"/catalogue/manage/items/{item.id}/withdraw",
        data={"reason": "国务院决定取消该中介服务事项", "effective_on": "2026-11-24"},
    )
    assert response.status_code == 302
    assert item.status == "withdrawn"
    assert notice.state == "published"
    with pytest.raises(ServiceError, match="尚未上线"):
        factories.notice(buyer, item_id=item.id)
    auth.logout()
    shown = page(client.get("/catalogue/ZJ012"))
    assert "已取消" in shown and "国务院决定取消该中介服务事项" in shown
    assert "ZJ012" not in page(client.get("/catalogue/?q=环境影响"))
    assert "ZJ012" in page(client.get("/catalogue/?status=withdrawn"))
    # the agency offering it is told, with the reason
    auth.login(offering)
    inbox = page(client.get("/inbox"))
    assert "已取消" in inbox and "国务院决定取消该中介服务事项" in inbox


def test_the_list_as_of_a_past_day_is_exported_as_it_stood(client, keeper, frozen_clock):
    item = get_item("ZJ005")
    old_name = item.name
    revisions.edit_item(
        item,
        {"name": "规划测绘报告编制"} | {k: getattr(item, k) for k in ("code",)},
        "更名",
        date(2026, 12, 1),
        keeper,
    )
    frozen_clock.set(DEC_10)
    apply_due_changes()
    now = page(client.get("/catalogue/export.csv?list=licensing"))
    then = page(client.get("/catalogue/export.csv?list=licensing&as_of=2026-11-30"))
    assert "规划测绘报告编制" in now and old_name not in now
    assert old_name in then and "规划测绘报告编制" not in then
    # the two lists apart: 30 items on the licensing list, 4 on the other
    assert now.count("\n") == 31
    other = client.get("/catalogue/export.json?list=other").get_json()
    assert other["count"] == 4 and {i["code"] for i in other["items"]} == {
        "ZJ031",
        "ZJ032",
        "ZJ033",
        "ZJ034",
    }


def test_a_date_in_the_future_or_not_a_date_gets_a_message(client):
    response = client.get("/catalogue/export.csv?as_of=2027-01-01", follow_redirects=True)
    assert "只能导出今天及以前的清单版本" in page(response)
    response = client.get("/catalogue/export.csv?as_of=99999-1-1", follow_redirects=True)
    assert "日期格式应为" in page(response)
    response = client.get("/catalogue/changes?since=0001-01-01")
    assert response.status_code == 400 and "2000 年至 2099 年" in page(response)


def test_loading_the_file_again_leaves_what_departments_changed(db, frozen_clock):
    from market.catalogue.services import load_items, seed_rows

    keeper = factories.staff("regulator", DEPARTMENT)
    item = get_item("ZJ005")
    revisions.edit_item(item, {"name": "规划测绘报告编制"}, "更名", date(2026, 11, 24), keeper)
    created, updated = load_items(seed_rows())
    assert (created, updated) == (0, 0)
    assert item.name == "规划测绘报告编制"


def test_the_item_page_names_the_agencies_offering_it(client):
    factories.agency(items=("ZJ012",), org_name="渝环评咨询有限公司")
    shown = page(client.get("/catalogue/ZJ012"))
    assert "提供该服务的中介机构" in shown and "渝环评咨询有限公司" in shown
    assert "1 家" in shown


def test_a_code_is_fixed_once_published(client, keeper):
    item = get_item("ZJ005")
    form = new_item_form("ZJ099", name=item.name, reason="改编码", effective_on="2026-11-24")
    response = client.post(f"/catalogue/manage/items/{item.id}/edit", data=form)
    assert response.status_code == 400 and "编码不能修改" in page(response)
    assert item.code == "ZJ005"


def test_a_withdrawal_needs_a_reason(db):
    item = get_item("ZJ005")
    with pytest.raises(ServiceError, match="请填写调整理由"):
        revisions.withdraw(item, "  ", date(2026, 11, 24), None)
    assert item.status == "online"
