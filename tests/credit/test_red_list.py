"""The red list (守信激励): a regulator lists an agency with a clean record, its bonus shows in
the score at once; refused while a confirmed record is in its publication period or when
already listed; the listing department may remove it early."""

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from market.core.models import AuditEvent
from market.credit.models import RedListEntry
from market.credit.standing import recompute_agency

FAIR = {"quality": 3, "timeliness": 3, "attitude": 3, "fees": 3, "conduct": 3}


def row(page, row_id):
    match = re.search(rf'<tr id="{row_id}".*?</tr>', page, flags=re.S)
    return match.group(0) if match else ""


def entries(db):
    return db.session.scalars(select(RedListEntry)).all()


def form(agency_user, **overrides):
    data = {
        "agency": agency_user.organisation.uscc,
        "reason": "连续三年服务评价优秀，无不良行为记录",
        "decision_number": "生环信激〔2026〕3号",
        "bonus": "3",
        "months": "12",
    }
    data.update(overrides)
    return data


@pytest.fixture
def regulator(auth, make):
    user = make.staff("regulator", "生态环境部门")
    auth.login(user)
    return user


@pytest.fixture
def fair_agency(make, frozen_clock):
    """An agency rated 3 of 5 on its only contract: no record, score 95 (evaluation −5)."""
    _, _, agency = make.evaluated_notice(agency_scores=FAIR)
    recompute_agency(agency.organisation.id)
    return agency


def score_on_storefront(client, agency):
    page = client.get(f"/agencies/{agency.organisation.id}").get_data(as_text=True)
    return int(re.search(r"信用分 (\d+)", page).group(1))


# --- adding ---------------------------------------------------------------------------------


def test_a_listed_agency_gets_its_bonus_at_once(client, regulator, fair_agency, db):
    assert score_on_storefront(client, fair_agency) == 95
    response = client.post("/credit/redlist", data=form(fair_agency))
    assert response.status_code == 302
    page = client.get("/credit/redlist").get_data(as_text=True)
    assert "已将「" in page and "列入红名单至" in page
    (entry,) = entries(db)
    line = row(page, f"entry-{entry.id}")
    assert fair_agency.organisation.name in line and "连续三年服务评价优秀" in line
    assert "生环信激〔2026〕3号" in line and "生态环境部门" in line and "+3" in line
    assert re.search(r"\d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d", line)
    assert score_on_storefront(client, fair_agency) == 98
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_type == "red_list", AuditEvent.action == "added"
        )
    )
    assert event.subject_id == entry.id and event.data["bonus"] == 3


def test_the_entry_runs_for_the_months_given(client, regulator, make, db):
    agency = make.agency()
    client.post("/credit/redlist", data=form(agency, months="6"))
    line = row(client.get("/credit/redlist").get_data(as_text=True), f"entry-{entries(db)[0].id}")
    assert "2026-11-24 至 2027-05-24" in line


def test_the_bonus_defaults_to_the_configured_one(client, regulator, make, app, db):
    agency = make.agency()
    page = client.get("/credit/redlist").get_data(as_text=True)
    assert f'name="bonus" type="number" value="{app.config["CREDIT_RED_LIST_BONUS"]}"' in page
    client.post("/credit/redlist", data=form(agency, bonus=""))
    assert entries(db)[0].bonus == app.config["CREDIT_RED_LIST_BONUS"]


def test_an_agency_may_be_picked_by_name(client, regulator, make, db):
    agency = make.agency(org_name="重庆山城环评咨询有限公司")
    assert client.post("/credit/redlist", data=form(agency, agency="山城环评")).status_code == 302
    assert entries(db)[0].agency_org_id == agency.organisation.id


def test_an_agency_with_a_record_in_its_publication_period_is_refused(client, regulator, make, db):
    _, _, agency = make.confirmed_record("A05", publish=False)
    response = client.post("/credit/redlist", data=form(agency))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        "有尚在公示期的不良行为记录（生环信决〔2026〕1号，公示至 2027-05-27），不能列入红名单"
        in page
    )
    assert entries(db) == []


def test_an_agency_already_listed_is_refused(client, regulator, make, db):
    agency = make.agency()
    client.post("/credit/redlist", data=form(agency))
    response = client.post(
        "/credit/redlist", data=form(agency, decision_number="生环信激〔2026〕4号")
    )
    assert response.status_code == 400
    assert "已在红名单中（至 2027-11-24）" in response.get_data(as_text=True)
    assert len(entries(db)) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"decision_number": " "}, "请填写决定书文号"),
        ({"reason": ""}, "请填写列入红名单的事由"),
        ({"bonus": "11"}, "加分应为 1–10 分"),
        ({"bonus": "0"}, "加分应为 1–10 分"),
        ({"bonus": "五"}, "信用加分应为整数"),
        ({"months": "37"}, "列入期限应为 1–36 个月"),
        ({"months": ""}, "请填写列入期限"),
        ({"agency": ""}, "请填写机构的统一社会信用代码或名称"),
        ({"agency": "不存在的机构"}, "没有统一社会信用代码或名称为「不存在的机构」的中介机构"),
        ({"agency": "测试机构"}, "有多家机构名称包含「测试机构」，请填写统一社会信用代码"),
    ],
)
def test_bad_input_is_refused_on_its_field(client, regulator, make, db, overrides, message):
    agency = make.agency()
    make.agency()
    response = client.post("/credit/redlist", data=form(agency, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert entries(db) == []


def test_only_regulators_list_agencies(client, auth, make, db):
    agency = make.agency()
    page = client.get("/credit/redlist").get_data(as_text=True)
    assert "目前没有列入红名单的中介机构" in page and "列入红名单</button>" not in page
    auth.login(agency)
    assert client.post("/credit/redlist", data=form(agency)).status_code == 403
    assert entries(db) == []


# --- ending ---------------------------------------------------------------------------------


@pytest.fixture
def listed(client, regulator, fair_agency, db):
    client.post("/credit/redlist", data=form(fair_agency))
    return entries(db)[0]


def test_the_listing_department_removes_an_agency_early(client, listed, fair_agency, db):
    url = f"/credit/redlist/{listed.id}/remove"
    response = client.post(url, data={"reason": ""})
    assert response.status_code == 400
    assert "请填写移出红名单的原因" in response.get_data(as_text=True)
    assert client.post(url, data={"reason": "经复查，获奖材料不实"}).status_code == 302
    page = client.get("/credit/redlist").get_data(as_text=True)
    assert f'id="entry-{listed.id}"' not in page and "移出红名单" in page
    assert listed.removed_reason == "经复查，获奖材料不实"
    assert score_on_storefront(client, fair_agency) == 95


def test_another_department_may_not_remove_it(client, auth, make, listed):
    auth.logout()
    auth.login(make.staff("regulator", "气象部门"))
    page = client.get("/credit/redlist").get_data(as_text=True)
    assert f'action="/credit/redlist/{listed.id}/remove"' not in page
    for reason in ("不再符合", "理" * 501):  # whatever the form holds
        response = client.post(f"/credit/redlist/{listed.id}/remove", data={"reason": reason})
        assert response.status_code == 403
        assert "该机构由「生态环境部门」列入红名单，您所在部门无权移出" in response.get_data(
            as_text=True
        )
    assert listed.removed_dt is None


def test_a_confirmed_violation_ends_the_listing(client, listed, fair_agency, make):
    make.confirmed_record("A05", agency_user=fair_agency)
    assert f'id="entry-{listed.id}"' not in client.get("/credit/redlist").get_data(as_text=True)


def test_an_entry_leaves_the_list_when_it_ends(client, listed, frozen_clock):
    frozen_clock.set(listed.end_dt)
    assert f'id="entry-{listed.id}"' not in client.get("/credit/redlist").get_data(as_text=True)


def test_the_red_list_exports(client, listed, fair_agency):
    document = json.loads(client.get("/credit/redlist.json").get_data(as_text=True))
    assert document["count"] == 1
    item = document["items"][0]
    assert list(item) == [
        "entry_id",
        "org_id",
        "name",
        "uscc",
        "reason",
        "decision_number",
        "department",
        "bonus",
        "start",
        "end",
    ]
    assert item["uscc"] == fair_agency.organisation.uscc and item["bonus"] == 3
    assert item["end"].endswith("+08:00")
    body = client.get("/credit/redlist.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名单编号", "机构编号", "机构名称"]
    assert rows[1][2] == fair_agency.organisation.name and rows[1][7] == "3"
