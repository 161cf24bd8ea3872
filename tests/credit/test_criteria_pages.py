"""The violation criteria in public, and their upkeep by regulators: a revision is a new
version with a change note, the old one stays in the history; bad input changes nothing."""

import re

import pytest
from sqlalchemy import func, select

from market.core.models import AuditEvent
from market.credit.models import ViolationCriterion

SEEDED = [f"A{n:02d}" for n in range(1, 14)] + ["P01", "P02", "P03", "P04"]


def row(page, row_id):
    """The table row with that id (empty if none)."""
    match = re.search(rf'<tr id="{row_id}".*?</tr>', page, flags=re.S)
    return match.group(0) if match else ""


def versions(db, code):
    return db.session.scalar(
        select(func.count(ViolationCriterion.id)).where(ViolationCriterion.code == code)
    )


def revision(**overrides):
    """The revision form for A05 as seeded, with a change."""
    data = {
        "behaviour": "中选后未在规定时限内签订合同",
        "severity": "general",
        "deduction": "8",
        "measure": "warning",
        "suspend_months": "",
        "publish_months": "6",
        "change_note": "依据 2026 年修订的管理办法提高扣分",
    }
    data.update(overrides)
    return data


def new_criterion(**overrides):
    data = {
        "code": "a14",
        "party": "agency",
        "behaviour": "无正当理由拒绝配合监督检查",
        "severity": "major",
        "deduction": "10",
        "measure": "suspend",
        "suspend_months": "3",
        "publish_months": "12",
        "change_note": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def regulator(auth, make):
    """A regulator of the department that keeps the platform's list (发展改革部门)."""
    user = make.staff("regulator", "发展改革部门")
    auth.login(user)
    return user


# --- public pages ---------------------------------------------------------------------------


def test_the_criteria_page_lists_the_seventeen_criteria_in_force_by_party(client):
    page = client.get("/credit/criteria").get_data(as_text=True)
    for code in SEEDED:
        assert f'href="/credit/criteria/{code}"' in page
    assert page.index('<h2 class="h5 mt-4">中介机构</h2>') < page.index("A13")
    assert page.index("A13") < page.index('<h2 class="h5 mt-4">采购人</h2>') < page.index("P01")
    a04 = row(page, "criterion-A04")
    assert "中选后无正当理由放弃中选资格" in a04
    assert "较重" in a04 and "暂停参与投标 3 个月" in a04 and "12 个月" in a04
    assert "第 1 版" in a04 and "2026-01-01" in a04
    assert "清出并列入黑名单" in row(page, "criterion-A02")
    assert "新增标准" not in page


def test_a_code_page_shows_its_version_and_no_form_to_the_public(client):
    page = client.get("/credit/criteria/a05").get_data(as_text=True)
    assert "认定标准 A05" in page and "施行中 · 第 1 版" in page
    assert "首次发布" in row(page, "version-1")
    assert "修订标准" not in page


def test_an_unknown_code_is_not_found(client):
    assert client.get("/credit/criteria/Z99").status_code == 404


# --- revising ---------------------------------------------------------------------------------


def test_a_revision_makes_version_two_and_keeps_version_one_in_the_history(client, regulator, db):
    response = client.post("/credit/criteria/A05/revise", data=revision())
    assert response.status_code == 302
    page = client.get("/credit/criteria/A05").get_data(as_text=True)
    assert "已修订 A05，第 2 版自即日起施行" in page
    assert "施行中 · 第 2 版" in page
    v2, v1 = row(page, "version-2"), row(page, "version-1")
    assert "依据 2026 年修订的管理办法提高扣分" in v2 and ">8<" in v2
    assert "首次发布" in v1 and ">5<" in v1 and "2026-11-24 止" in v1
    index = client.get("/credit/criteria").get_data(as_text=True)
    assert "第 2 版" in row(index, "criterion-A05") and "2026-11-24" in row(index, "criterion-A05")
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_type == "criterion", AuditEvent.action == "criterion_revised"
        )
    )
    assert event.data["code"] == "A05" and event.actor_user_id == regulator.id


def test_the_code_page_offers_the_revision_form_filled_in(client, regulator):
    page = client.get("/credit/criteria/A04").get_data(as_text=True)
    assert "修订标准" in page and "保存后产生第 2 版" in page
    assert 'value="中选后无正当理由放弃中选资格"' in page
    assert 'name="suspend_months" type="number" value="3"' in page


def test_an_unchanged_revision_makes_no_version(client, regulator, db):
    client.post("/credit/criteria/A05/revise", data=revision(deduction="5", change_note=""))
    assert versions(db, "A05") == 1
    assert "内容没有变化" in client.get("/credit/criteria/A05").get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"change_note": ""}, "请说明修订原因"),
        ({"deduction": "一百"}, "扣分应为整数"),
        ({"deduction": ""}, "请填写扣分"),
        ({"deduction": "120"}, "扣分应为 0–100"),
        ({"measure": "suspend"}, "暂停参与投标的期限应为 1–60 个月"),
        ({"suspend_months": "3"}, "只有「暂停参与投标」需要填写暂停期限"),
        ({"publish_months": "0"}, "公示期限应为 1–60 个月"),
        ({"behaviour": "  "}, "请填写行为描述"),
        ({"severity": "fatal"}, "请选择严重程度"),
    ],
)
def test_bad_revisions_are_refused_with_a_message_and_change_nothing(
    client, regulator, db, overrides, message
):
    response = client.post("/credit/criteria/A05/revise", data=revision(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert versions(db, "A05") == 1


@pytest.mark.parametrize(
    "who",
    ["agency", "purchaser", "operator", "regulator of another department"],
)
def test_only_regulators_of_the_keeping_department_revise_or_retire(client, auth, make, db, who):
    user = {
        "agency": make.agency,
        "purchaser": make.purchaser,
        "operator": lambda: make.staff("operator", "平台运营中心"),
        "regulator of another department": lambda: make.staff("regulator", "生态环境部门"),
    }[who]()
    auth.login(user)
    assert client.post("/credit/criteria/A05/revise", data=revision()).status_code == 403
    assert client.post("/credit/criteria/A05/retire", data={"note": "x"}).status_code == 403
    page = client.get("/credit/criteria/A05").get_data(as_text=True)
    assert "修订标准" not in page and "发展改革部门" in page
    assert versions(db, "A05") == 1
    assert (
        db.session.scalar(
            select(ViolationCriterion.retired_dt).where(ViolationCriterion.code == "A05")
        )
        is None
    )


@pytest.mark.parametrize(
    "action, data",
    [
        ("revise", {}),
        ("revise", revision(deduction="")),
        ("retire", {"note": "x" * 1001}),
    ],
)
def test_another_department_gets_403_whatever_its_form_holds(client, auth, make, db, action, data):
    auth.login(make.staff("regulator", "生态环境部门"))
    response = client.post(f"/credit/criteria/A05/{action}", data=data)
    assert response.status_code == 403 and "发展改革部门" in response.get_data(as_text=True)
    assert versions(db, "A05") == 1


def test_another_department_keeps_the_criteria_it_adds(client, auth, make, db):
    environment = make.staff("regulator", "生态环境部门")
    auth.login(environment)
    added = client.post(
        "/credit/criteria/new", data=new_criterion(code="E01", behaviour="环评文件弄虚作假")
    )
    assert added.status_code == 302
    assert "生态环境部门" in row(
        client.get("/credit/criteria").get_data(as_text=True), "criterion-E01"
    )
    assert (
        client.post("/credit/criteria/E01/revise", data=revision(measure="warning")).status_code
        == 302
    )
    auth.logout()
    auth.login(make.staff("regulator", "发展改革部门"))
    assert (
        client.post("/credit/criteria/E01/revise", data=revision(deduction="9")).status_code == 403
    )
    assert client.post("/credit/criteria/E01/retire", data={"note": "x"}).status_code == 403
    assert versions(db, "E01") == 2


def test_the_operator_and_the_public_are_not_offered_a_new_criterion(client, auth, make):
    assert 'href="/credit/criteria/new"' not in client.get("/credit/criteria").get_data(
        as_text=True
    )
    auth.login(make.staff("operator", "平台运营中心"))
    assert client.get("/credit/criteria/new").status_code == 403
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert 'href="/credit/criteria/new"' not in page


# --- adding and withdrawing -----------------------------------------------------------------


def test_a_regulator_adds_a_criterion(client, regulator):
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert 'href="/credit/criteria/new"' in page
    response = client.post("/credit/criteria/new", data=new_criterion())
    assert response.headers["Location"].endswith("/credit/criteria/A14")
    page = client.get("/credit/criteria").get_data(as_text=True)
    a14 = row(page, "criterion-A14")
    assert "无正当理由拒绝配合监督检查" in a14 and "暂停参与投标 3 个月" in a14


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"code": "A05"}, "标准 A05 已存在，请在该标准页面修订"),
        ({"code": ""}, "请填写 10 个字符以内的标准编号"),
        ({"party": "purchaser"}, "对采购人的处理措施只能是警示"),
        ({"party": "bidder"}, "请选择适用对象"),
        ({"publish_months": ""}, "请填写公示期限"),
        ({"suspend_months": "x"}, "暂停期限（月）应为整数"),
    ],
)
def test_a_bad_new_criterion_is_refused(client, regulator, db, overrides, message):
    response = client.post("/credit/criteria/new", data=new_criterion(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert versions(db, "A14") == 0


def test_a_withdrawn_criterion_leaves_the_list_and_keeps_its_history(client, regulator):
    refused = client.post("/credit/criteria/A12/retire", data={"note": ""})
    assert refused.status_code == 400 and "请说明废止原因" in refused.get_data(as_text=True)
    response = client.post("/credit/criteria/A12/retire", data={"note": "并入 A01"})
    assert response.status_code == 302
    page = client.get("/credit/criteria/A12").get_data(as_text=True)
    assert "已废止 A12" in page and "已废止" in page and "修订标准" not in page
    assert "2026-11-24 止" in row(page, "version-1")
    assert 'id="criterion-A12"' not in client.get("/credit/criteria").get_data(as_text=True)
