"""Practitioners: declared with a checked ID number that the agency's page never shows whole."""

import pytest
from sqlalchemy import func, select

from market.accounts.models import Commitment
from market.agencies.models import Practitioner
from market.core.models import AuditEvent


def count(db, user):
    return db.session.scalar(
        select(func.count(Practitioner.id)).where(Practitioner.agency_id == user.organisation.id)
    )


def wrong_check_digit(number):
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def form(make, **overrides):
    data = {
        "name": "王晓明",
        "certificate": "注册测绘师资格证书",
        "certificate_number": "CH20261234",
        "id_number": make.id_number(),
        "document_id": "",
        "commitment": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def agency(auth, make):
    user = make.agency()
    auth.login(user)
    return user


def test_an_agency_without_practitioners_is_told_what_to_do(client, agency):
    page = client.get("/agency/practitioners").get_data(as_text=True)
    assert "还没有登记从业人员。在下方填写人员及其执业资格证书" in page


def test_adding_a_practitioner_shows_only_the_masked_id_number(client, agency, make, db):
    id_number = make.id_number()
    scan = make.document(agency, kind="certificate", title="王晓明测绘师证书")
    response = client.post(
        "/agency/practitioners",
        data=form(make, id_number=id_number.lower(), document_id=str(scan.id)),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.request.path == "/agency/practitioners"
    assert "已登记从业人员王晓明" in page
    assert "注册测绘师资格证书" in page and "CH20261234" in page and "王晓明测绘师证书" in page
    masked = f"{id_number[:3]}{'*' * 11}{id_number[-4:]}"
    assert masked in page and id_number not in page and id_number[3:14] not in page
    assert "在职" in page
    person = db.session.scalar(select(Practitioner).where(Practitioner.id_number == id_number))
    assert person.agency_id == agency.organisation.id and person.document_id == scan.id
    assert db.session.scalar(
        select(Commitment).where(
            Commitment.subject == "practitioner", Commitment.subject_id == person.id
        )
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "wrong-check-digit", "身份证号码不正确（18位，最后一位为校验码）"),
        ("id_number", "50011219800101123", "身份证号码不正确（18位，最后一位为校验码）"),
        ("id_number", "500112198013401234", "身份证号码中的出生日期无效"),
        ("certificate", "", "请填写执业资格证书名称"),
        ("certificate", None, "请填写执业资格证书名称"),
        ("name", " ", "请填写姓名"),
        ("certificate_number", "", "请填写证书编号"),
        ("commitment", None, "请阅读并勾选信用承诺书后再提交"),
        ("name", "名" * 51, "字段长度"),
    ],
    ids=[
        "check-digit",
        "17-digits",
        "birth-date",
        "blank-certificate",
        "no-certificate",
        "no-name",
        "no-certificate-number",
        "no-commitment",
        "long-name",
    ],
)
def test_bad_practitioners_say_why_and_write_nothing(
    client, agency, make, db, field, value, message
):
    if value == "wrong-check-digit":
        value = wrong_check_digit(make.id_number())
    response = client.post("/agency/practitioners", data=form(make, **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db, agency) == 0


def test_the_same_id_number_cannot_be_added_twice(client, agency, make, db):
    id_number = make.id_number()
    make.practitioner(agency, id_number=id_number)
    page = client.post("/agency/practitioners", data=form(make, id_number=id_number)).get_data(
        as_text=True
    )
    assert "该身份证号码的从业人员已登记" in page and count(db, agency) == 1


def test_another_agencys_document_cannot_be_attached(client, agency, make, db):
    foreign = make.document(make.agency(), kind="certificate")
    page = client.post(
        "/agency/practitioners", data=form(make, document_id=str(foreign.id))
    ).get_data(as_text=True)
    assert "所选材料不在本单位资料库中" in page and count(db, agency) == 0


def test_a_practitioner_who_left_can_be_marked_and_brought_back(client, agency, make, db):
    person = make.practitioner(agency, name="赵六")
    page = client.post(
        f"/agency/practitioners/{person.id}/active", data={"active": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已将赵六标记为已离职" in page and "恢复在职" in page
    assert person.active is False
    page = client.post(
        f"/agency/practitioners/{person.id}/active", data={"active": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已将赵六标记为在职" in page and "标记离职" in page
    assert person.active is True
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "practitioner", AuditEvent.subject_id == person.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "deactivated", "activated"]


def test_the_active_flag_must_be_0_or_1(client, agency, make):
    person = make.practitioner(agency)
    for data in ({}, {"active": "yes"}):
        assert (
            client.post(f"/agency/practitioners/{person.id}/active", data=data).status_code == 400
        )
    assert person.active is True


@pytest.mark.parametrize("data", [{"active": "0"}, {}, {"active": "yes"}])
def test_another_agencys_practitioner_cannot_be_changed(client, agency, make, data):
    person = make.practitioner(make.agency())
    response = client.post(f"/agency/practitioners/{person.id}/active", data=data)
    assert response.status_code == 403
    assert "只能管理本机构的从业人员" in response.get_data(as_text=True)
    assert person.active is True


def test_only_agencies_manage_practitioners(client, auth, make, db):
    auth.login(make.purchaser())
    assert client.get("/agency/practitioners").status_code == 403
    assert client.post("/agency/practitioners", data=form(make)).status_code == 403
    assert db.session.scalar(select(func.count(Practitioner.id))) == 0


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/agency/practitioners")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
