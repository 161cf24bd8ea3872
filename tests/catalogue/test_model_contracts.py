"""Model contracts (合同示范文本): kept by the item's department in versions, public to read,
their placeholders checked."""

from market.catalogue.models import ContractModel
from market.catalogue.services import get_item_by_code

BODY = "委托方：【采购人】\n受托方：【中介机构】\n合同金额：【合同金额】，服务期限【服务期限】天。"


def _form(title="环境影响评价技术服务合同", body=BODY, note="首次发布"):
    return {"title": title, "body": body, "note": note}


def test_the_department_saves_versions_the_public_reads_them(client, auth, make, db):
    keeper = make.staff("regulator", "生态环境部门")
    auth.login(keeper)
    item = get_item_by_code("ZJ012")
    url = f"/catalogue/manage/items/{item.id}/contract-model"
    form = client.get(url).get_data(as_text=True)
    assert "【采购人】" in form and "平台通用文本" in form  # starts from the general text
    response = client.post(url, data=_form())
    assert response.status_code == 302
    client.post(url, data=_form(body=BODY + "\n新增保密条款。", note="增加保密条款"))
    versions = db.session.query(ContractModel).filter_by(item_id=item.id).all()
    assert [v.version for v in versions] == [1, 2]
    auth.logout()

    page = client.get("/catalogue/ZJ012/contract-model").get_data(as_text=True)
    assert "第 2 版" in page and "增加保密条款" in page and "新增保密条款。" in page
    assert "第 1 版" in page  # the earlier version is listed
    assert "查看合同示范文本" in client.get("/catalogue/ZJ012").get_data(as_text=True)


def test_an_item_without_one_shows_the_general_text(client):
    page = client.get("/catalogue/ZJ005/contract-model").get_data(as_text=True)
    assert "尚未发布该事项的示范文本，采用平台通用文本" in page
    assert "第一条 合同当事人" in page


def test_unknown_or_missing_placeholders_are_refused(client, auth, make, db):
    auth.login(make.staff("regulator", "生态环境部门"))
    item = get_item_by_code("ZJ012")
    url = f"/catalogue/manage/items/{item.id}/contract-model"
    response = client.post(url, data=_form(body=BODY + "【签约地点】"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "不认识的占位符：【签约地点】" in page
    response = client.post(url, data=_form(body="受托方：【中介机构】"))
    assert "合同文本须包含【采购人】、【合同金额】" in response.get_data(as_text=True)
    assert db.session.query(ContractModel).count() == 0


def test_only_the_items_department_keeps_it(client, auth, make):
    auth.login(make.staff("regulator", "规划自然资源部门"))
    item = get_item_by_code("ZJ012")
    response = client.post(f"/catalogue/manage/items/{item.id}/contract-model", data=_form())
    assert response.status_code == 403
