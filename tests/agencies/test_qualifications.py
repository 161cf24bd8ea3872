"""Qualifications under 告知承诺: declared and usable at once, verified or rejected by the
owning department, warned of and expired on their valid-until date."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from market.agencies.models import Qualification
from market.agencies.qualifications import (
    expire_due,
    reject_qualification,
    usable_qualifications,
    verify_qualification,
)
from market.core.models import AuditEvent
from market.core.signals import qualification_rejected


def count(db, user):
    return db.session.scalar(
        select(func.count(Qualification.id)).where(Qualification.agency_id == user.organisation.id)
    )


def row(page, number):
    """The table row showing the certificate number (empty if none does)."""
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    return next((r for r in rows if number in r), "")


def transitions(db, qualification):
    return db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "qualification",
            AuditEvent.subject_id == qualification.id,
            AuditEvent.action == "transition",
        )
    ).all()


def form(make, code="ZJ018", **overrides):
    data = {
        "item_id": str(make.item(code).id),
        "type": "测绘资质（工程测量）",
        "grade": "乙级",
        "number": "乙测资字50012345",
        "issuer": "重庆市规划和自然资源局",
        "valid_until": "2028-06-30",
        "document_id": "",
        "commitment": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def agency(auth, make):
    user = make.agency(items=("ZJ012", "ZJ018"))
    auth.login(user)
    return user


@pytest.fixture
def regulator(make):
    """A regulator of 生态环境部门, which owns ZJ012 (环评)."""
    return make.staff("regulator", "生态环境部门")


# --- declaring ------------------------------------------------------------------------------


def test_an_agency_without_qualifications_is_told_what_to_do(client, agency):
    page = client.get("/agency/qualifications").get_data(as_text=True)
    assert "还没有声明任何资质。在下方填写证书信息并勾选承诺书" in page


def test_the_item_select_names_each_items_requirement(client, agency, make):
    page = client.get("/agency/qualifications").get_data(as_text=True)
    assert "ZJ018 建设工程竣工规划测量（测绘资质（工程测量））" in page
    assert "ZJ034 法律咨询" in page  # published, not yet online
    hinted = client.get(f"/agency/qualifications?item={make.item('ZJ009').id}")
    assert "该事项的执业要求：地质灾害危险性评估单位资质" in hinted.get_data(as_text=True)


def test_a_declared_qualification_is_usable_at_once(client, agency, make, db):
    scan = make.document(agency, title="工程测量资质证书")
    response = client.post(
        "/agency/qualifications",
        data=form(make, document_id=str(scan.id)),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.request.path == "/agency/qualifications"
    assert (
        "已声明资质「测绘资质（工程测量）」（证书编号 乙测资字50012345），即日起可在报价中使用"
        in page
    )
    line = row(page, "乙测资字50012345")
    assert "已声明" in line and "2028-06-30" in line and "重庆市规划和自然资源局" in line
    assert "工程测量资质证书" in line and "规划自然资源部门" in line
    (usable,) = usable_qualifications(agency.organisation.id)
    assert (usable.number, usable.status, usable.document_id) == (
        "乙测资字50012345",
        "declared",
        scan.id,
    )
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_id == usable.id, AuditEvent.action == "declared"
        )
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_until": "2026-11-23"}, "有效期至应晚于今天；已过期的资质不能声明"),
        ({"valid_until": "2026-11-24"}, "有效期至应晚于今天；已过期的资质不能声明"),
        ({"valid_until": ""}, "请填写有效期至"),
        ({"valid_until": "2028-02-30"}, "有效期至不是有效的日期（年-月-日）"),
        ({"number": "   "}, "请填写证书编号"),
        ({"number": None}, "请填写证书编号"),
        ({"type": ""}, "请填写资质类型"),
        ({"issuer": ""}, "请填写发证机关"),
        ({"grade": "特级"}, "请选择资质等级"),
        ({"item_id": ""}, "请选择中介服务事项"),
        ({"commitment": None}, "请阅读并勾选信用承诺书后再提交"),
        ({"number": "号" * 61}, "字段长度"),
        ({"valid_until": "9999-12-31"}, "日期应在 2000 年至 2099 年之间"),
        ({"item_id": "99999999999999999999"}, "请选择中介服务事项"),
    ],
    ids=str.split(
        "past today no-date bad-date blank-number no-number no-type no-issuer bad-grade no-item"
        " no-commitment long-number year-9999 huge-item"
    ),
)
def test_bad_declarations_say_why_and_write_nothing(client, agency, make, db, overrides, message):
    response = client.post("/agency/qualifications", data=form(make, **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db, agency) == 0


def test_another_agencys_document_cannot_be_attached(client, agency, make, db):
    foreign = make.document(make.agency(), title="别家的证书")
    response = client.post("/agency/qualifications", data=form(make, document_id=str(foreign.id)))
    page = response.get_data(as_text=True)
    assert "所选材料不在本单位资料库中" in page and "别家的证书" not in page
    assert count(db, agency) == 0


def test_a_withdrawn_item_cannot_be_declared(client, agency, make, db):
    hidden = make.service_item("ZJ961", "withdrawn")
    page = client.post("/agency/qualifications", data=form(make, item_id=str(hidden.id))).get_data(
        as_text=True
    )
    assert "所选中介服务事项不存在或未公布" in page and count(db, agency) == 0


def test_the_same_certificate_cannot_be_declared_twice(client, agency, make, db):
    make.qualification(agency, "ZJ018", number="乙测资字50012345")
    page = client.post("/agency/qualifications", data=form(make)).get_data(as_text=True)
    assert "证书编号 乙测资字50012345 已声明，无需重复添加" in page and count(db, agency) == 1


@pytest.mark.parametrize("who", ["purchaser", "regulator"])
def test_only_agencies_declare_qualifications(client, auth, make, db, who):
    auth.login(make.purchaser() if who == "purchaser" else make.staff())
    assert client.get("/agency/qualifications").status_code == 403
    assert client.post("/agency/qualifications", data=form(make)).status_code == 403


# --- expiry ---------------------------------------------------------------------------------


def test_a_warning_shows_29_days_before_expiry_but_not_31(client, agency, make, frozen_clock):
    q = make.qualification(agency, "ZJ018", valid_days=60)
    frozen_clock.advance(days=29)  # 31 days left
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "已声明" in line and "天到期" not in line
    frozen_clock.advance(days=2)  # 29 days left
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "还有 29 天到期" in line and "已声明" in line


def test_a_qualification_expires_on_read_before_the_runner_runs(client, agency, make, frozen_clock):
    q = make.qualification(agency, "ZJ018", valid_days=10)
    frozen_clock.advance(days=10)  # its last valid day
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "今天到期" in line and "已过期" not in line
    assert usable_qualifications(agency.organisation.id) == [q]

    frozen_clock.advance(days=1)
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "已过期" in line and "已声明" not in line and "到期</div>" not in line
    assert usable_qualifications(agency.organisation.id) == []
    assert q.status == "declared"  # nothing recorded yet: the runner does that


def test_the_runner_expires_once(agency, make, db, frozen_clock):
    due = make.qualification(agency, "ZJ018", valid_days=5)
    verified = make.qualification(agency, "ZJ012", valid_days=5)
    verified.status = "verified"
    later = make.qualification(agency, "ZJ012", valid_days=30)
    frozen_clock.advance(days=6)
    assert expire_due() == 2
    assert (due.status, verified.status, later.status) == ("expired", "expired", "declared")
    (event,) = transitions(db, due)
    assert (event.from_state, event.to_state, event.actor_user_id) == ("declared", "expired", None)
    assert expire_due() == 0
    assert len(transitions(db, due)) == 1


def test_flask_market_run_due_reports_expired_qualifications(app, agency, make, frozen_clock):
    q = make.qualification(agency, "ZJ018", valid_days=5)
    run = app.test_cli_runner()
    result = run.invoke(args=["market", "run-due"])
    assert result.exit_code == 0 and "到期资质 0 项" in result.output
    frozen_clock.set(frozen_clock.now + timedelta(days=6))
    assert "到期资质 1 项" in run.invoke(args=["market", "run-due"]).output
    assert q.status == "expired"
    assert "到期资质 0 项" in run.invoke(args=["market", "run-due"]).output


# --- verification by the owning department --------------------------------------------------


def test_the_owning_department_sees_pending_declarations(client, auth, make, regulator):
    agency = make.agency()
    scan = make.document(agency, title="环评资质扫描件")
    q = make.qualification(agency, "ZJ012", document_id=scan.id)
    make.qualification(make.agency(items=("ZJ018",)), "ZJ018", number="不归本部门管")
    auth.login(regulator)
    page = client.get("/supervision/qualifications").get_data(as_text=True)
    line = row(page, q.number)
    assert agency.organisation.name in line
    assert f'href="/agencies/{agency.organisation.id}"' in line
    assert f'href="/documents/{scan.id}"' in line and "环评资质扫描件" in line
    assert "ZJ012" in line and "乙级" in line and q.valid_until.isoformat() in line
    assert "不归本部门管" not in page
    assert "暂无待核验的资质声明" not in page


def test_the_pending_list_is_paged(client, auth, make, regulator, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    agency = make.agency()
    numbers = [make.qualification(agency, "ZJ012").number for _ in range(3)]
    auth.login(regulator)
    first = client.get("/supervision/qualifications").get_data(as_text=True)
    second = client.get("/supervision/qualifications?page=2").get_data(as_text=True)
    assert [n in first for n in numbers] == [True, True, False]
    assert [n in second for n in numbers] == [False, False, True]
    assert "共 3 条" in first


def test_verifying_a_declaration(client, auth, make, regulator, db):
    agency = make.agency()
    q = make.qualification(agency, "ZJ012")
    auth.login(regulator)
    response = client.post(
        f"/supervision/qualifications/{q.id}/verify",
        data={"note": "与发证机关系统信息一致"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.request.path == "/supervision/qualifications"
    assert f"已核验{agency.organisation.name}的「{q.type}」" in page
    assert "暂无待核验的资质声明" in page
    assert "已核验" in row(page, q.number) and regulator.name in row(page, q.number)
    assert (q.status, q.decided_by_id, q.decision_note) == (
        "verified",
        regulator.id,
        "与发证机关系统信息一致",
    )
    (event,) = transitions(db, q)
    assert (event.from_state, event.to_state) == ("declared", "verified")
    assert (event.actor_user_id, event.actor_org_id) == (regulator.id, regulator.organisation.id)

    auth.login(agency)
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "已核验" in line and "与发证机关系统信息一致" in line and "已声明" not in line
    assert usable_qualifications(agency.organisation.id) == [q]


def test_rejecting_a_declaration_takes_it_out_of_bids(client, auth, make, regulator, db):
    agency = make.agency()
    q = make.qualification(agency, "ZJ012")
    heard = []

    def listener(sender, **kwargs):
        heard.append((sender, kwargs["reason"], kwargs["actor"]))

    auth.login(regulator)
    with qualification_rejected.connected_to(listener):
        response = client.post(
            f"/supervision/qualifications/{q.id}/reject",
            data={"reason": "发证机关无此证书编号"},
            follow_redirects=True,
        )
    assert "核验不通过：该资质不能再用于报价" in response.get_data(as_text=True)
    assert heard == [(q, "发证机关无此证书编号", regulator)]
    assert (q.status, q.decided_by_id) == ("rejected", regulator.id)
    assert [e.to_state for e in transitions(db, q)] == ["rejected"]
    assert usable_qualifications(agency.organisation.id) == []

    auth.login(agency)
    line = row(client.get("/agency/qualifications").get_data(as_text=True), q.number)
    assert "核验不通过" in line and "理由：发证机关无此证书编号" in line
    assert "text-bg-danger" in line


def test_a_verified_qualification_found_false_can_still_be_rejected(make, regulator):
    q = make.qualification(make.agency(), "ZJ012")
    verify_qualification(regulator, q.id)
    reject_qualification(regulator, q.id, "证书系伪造")
    assert q.status == "rejected" and q.decision_note == "证书系伪造"


def test_rejecting_needs_a_reason(client, auth, make, regulator, db):
    q = make.qualification(make.agency(), "ZJ012")
    auth.login(regulator)
    heard = []
    with qualification_rejected.connected_to(lambda sender, **kw: heard.append(sender)):
        response = client.post(
            f"/supervision/qualifications/{q.id}/reject",
            data={"reason": "  "},
            follow_redirects=True,
        )
    page = response.get_data(as_text=True)
    assert "请填写核验不通过的理由" in page
    assert "核验通过" in row(page, q.number)  # still waiting in the list
    assert (q.status, q.decided_by_id) == ("declared", None)
    assert transitions(db, q) == [] and heard == []


def test_deciding_twice_is_explained(client, auth, make, regulator):
    q = make.qualification(make.agency(), "ZJ012")
    auth.login(regulator)
    client.post(f"/supervision/qualifications/{q.id}/verify")
    response = client.post(f"/supervision/qualifications/{q.id}/verify", follow_redirects=True)
    assert "该资质当前为「已核验」，不能变为「已核验」" in response.get_data(as_text=True)


def test_a_regulator_of_another_department_may_not_decide(client, auth, make, db):
    q = make.qualification(make.agency(), "ZJ012")
    auth.login(make.staff("regulator", "规划自然资源部门"))
    page = client.get("/supervision/qualifications").get_data(as_text=True)
    assert q.number not in page and "暂无待核验的资质声明" in page
    too_long = "理" * 1001  # refused on the form, were it read
    for action, data in (
        ("verify", {}),
        ("reject", {"reason": "不通过"}),
        ("verify", {"note": too_long}),
        ("reject", {"reason": too_long}),
    ):
        response = client.post(f"/supervision/qualifications/{q.id}/{action}", data=data)
        assert response.status_code == 403
        assert "只有生态环境部门的监管人员可以核验该资质" in response.get_data(as_text=True)
    assert (q.status, q.decided_by_id) == ("declared", None) and transitions(db, q) == []


@pytest.mark.parametrize("who", ["agency", "purchaser", "operator"])
def test_only_regulators_reach_the_verification_pages(client, auth, make, db, who):
    q = make.qualification(make.agency(), "ZJ012")
    operator = who == "operator"
    auth.login(make.staff("operator", "平台运营中心") if operator else getattr(make, who)())
    assert client.get("/supervision/qualifications").status_code == 403
    assert client.post(f"/supervision/qualifications/{q.id}/verify").status_code == 403
    assert q.status == "declared"


def test_anonymous_visitors_are_sent_to_login(client):
    for url in ("/supervision/qualifications", "/agency/qualifications"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_regulator_without_a_department_is_told_who_sets_it(client, auth, make, db):
    user = make.staff("regulator", "某区行政审批局")
    user.organisation.department = ""
    db.session.flush()
    make.qualification(make.agency(), "ZJ012")
    auth.login(user)
    page = client.get("/supervision/qualifications").get_data(as_text=True)
    assert "本单位尚未设置对应的审批部门" in page and "请联系平台运营方" in page
    assert "核验通过" not in page


def test_expired_declarations_leave_the_pending_list(client, auth, make, regulator, frozen_clock):
    q = make.qualification(make.agency(), "ZJ012", valid_days=3)
    frozen_clock.advance(days=4)
    auth.login(regulator)
    page = client.get("/supervision/qualifications").get_data(as_text=True)
    assert q.number not in page and "暂无待核验的资质声明" in page


def test_valid_until_is_a_shanghai_calendar_day(agency, make, frozen_clock):
    q = make.qualification(agency, "ZJ018", valid_days=1)
    assert q.valid_until == date(2026, 11, 25)
    frozen_clock.set(frozen_clock.now + timedelta(hours=37, minutes=59))  # 23:59 on the 25th
    assert usable_qualifications(agency.organisation.id) == [q]
    frozen_clock.advance(minutes=1)  # midnight in Shanghai
    assert usable_qualifications(agency.organisation.id) == []
