"""An agency declares the catalogue items it provides, and withdraws them."""

import re

import pytest
from sqlalchemy import func, select

from market.agencies.models import Offering
from market.agencies.services import declare_offering, withdraw_offering
from market.core.errors import NotAllowed, ServiceError
from market.core.models import AuditEvent


def offering_count(db, user):
    return db.session.scalar(
        select(func.count(Offering.id)).where(Offering.agency_id == user.organisation.id)
    )


def offered_codes(page):
    """The codes in the table of declared services (before the add form)."""
    table = page.split(">添加服务</h2>")[0]
    return re.findall(r'<td data-label="服务事项">(ZJ\d+) ', table)


def choice_codes(page):
    return re.findall(r'<option value="\d+">(ZJ\d+) ', page)


def form(make, code="ZJ010", **overrides):
    data = {
        "item_id": str(make.item(code).id),
        "fee_kind": "range",
        "fee_min": "30000",
        "fee_max": "50000",
        "promised_days": "15",
        "commitment": "y",
        "description": "持证水土保持方案编制团队",
    }
    data.update(overrides)
    return data


@pytest.fixture
def agency(auth, make):
    user = make.agency(items=("ZJ012",))
    auth.login(user)
    return user


def test_the_page_lists_own_offerings_and_offers_the_rest_of_the_public_catalogue(client, agency):
    page = client.get("/agency/offerings").get_data(as_text=True)
    assert offered_codes(page) == ["ZJ012"]
    choices = choice_codes(page)
    assert "ZJ012" not in choices  # already declared
    assert "ZJ001" in choices and "ZJ033" in choices and len(choices) == 33


def test_an_agency_without_offerings_is_told_what_to_do(client, auth, make):
    auth.login(make.agency(items=()))
    page = client.get("/agency/offerings").get_data(as_text=True)
    assert "还没有声明任何服务。请在下方添加，添加后即可对相关采购公告报价。" in page


def test_declaring_an_offering_through_the_form(client, agency, make, db):
    response = client.post("/agency/offerings", data=form(make), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/agency/offerings"
    assert "已添加服务「水土保持方案报告书编制」" in page
    assert offered_codes(page) == ["ZJ012", "ZJ010"]
    assert "15 个工作日" in page and "¥30,000.00–¥50,000.00" in page

    profile = client.get(f"/agencies/{agency.organisation.id}").get_data(as_text=True)
    assert "水土保持方案报告书编制" in profile and "持证水土保持方案编制团队" in profile
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "offering_declared")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.subject_id == agency.organisation.id and event.data == {"item": "ZJ010"}


def test_a_published_item_not_yet_online_can_be_declared(client, agency, make, db):
    response = client.post("/agency/offerings", data=form(make, "ZJ034"))
    assert response.status_code == 302
    assert offering_count(db, agency) == 2


def test_declaring_the_same_item_twice_is_refused_on_the_form(client, agency, make, db):
    # e.g. a second browser tab still showing the item in the list
    page = client.post("/agency/offerings", data=form(make, "ZJ012")).get_data(as_text=True)
    assert "不是有效的选择" in page and "Not a valid choice" not in page
    assert offering_count(db, agency) == 1


def test_declaring_the_same_item_twice_names_the_item(agency, make):
    with pytest.raises(
        ServiceError, match="已声明提供「环境影响评价报告书（表）编制」，无需重复添加"
    ):
        declare_offering(agency, make.offering_data("ZJ012"))


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_items_that_are_not_public_cannot_be_declared(client, agency, make, db, status):
    item = make.service_item("ZJ960", status, name="内部事项", list_kind="other")
    assert "ZJ960" not in choice_codes(client.get("/agency/offerings").get_data(as_text=True))
    with pytest.raises(ServiceError, match="所选中介服务事项不存在或未公布"):
        declare_offering(agency, make.offering_data(item.code))
    response = client.post("/agency/offerings", data=form(make, item_id=str(item.id)))
    assert response.status_code == 200 and offering_count(db, agency) == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "应为 1–365 个工作日"),
        ("366", "应为 1–365 个工作日"),
        ("-5", "应为 1–365 个工作日"),
        ("十", "不是有效的整数"),
        ("", "请填写承诺时限"),
    ],
)
def test_promised_days_must_be_between_1_and_365(client, agency, make, db, days, message):
    page = client.post("/agency/offerings", data=form(make, promised_days=days)).get_data(
        as_text=True
    )
    assert message in page
    assert offering_count(db, agency) == 1


def test_365_days_is_accepted(client, agency, make, db):
    assert client.post("/agency/offerings", data=form(make, promised_days="365")).status_code == 302


def test_the_service_checks_promised_days_too(agency, make):
    with pytest.raises(ServiceError, match="承诺办理时限应为 1–365 个工作日"):
        declare_offering(agency, make.offering_data("ZJ010", promised_days=0))


def test_withdrawing_an_own_offering(client, agency, db):
    offering = db.session.scalar(
        select(Offering).where(Offering.agency_id == agency.organisation.id)
    )
    response = client.post(f"/agency/offerings/{offering.id}/withdraw", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已撤下该服务" in page
    assert offered_codes(page) == [] and "ZJ012" in choice_codes(page)
    assert offering_count(db, agency) == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offering_withdrawn"))


def test_withdrawing_needs_a_post(client, agency, db):
    offering = db.session.scalar(
        select(Offering).where(Offering.agency_id == agency.organisation.id)
    )
    # the address asks first: only the POST withdraws
    assert client.get(f"/agency/offerings/{offering.id}/withdraw").status_code == 200
    assert offering_count(db, agency) == 1


def test_withdrawing_another_agencys_offering_is_forbidden(client, agency, make, db):
    other = make.agency(items=("ZJ009",))
    offering = db.session.scalar(
        select(Offering).where(Offering.agency_id == other.organisation.id)
    )
    response = client.post(f"/agency/offerings/{offering.id}/withdraw")
    assert response.status_code == 403
    assert "只能管理本机构的服务" in response.get_data(as_text=True)
    assert offering_count(db, other) == 1


def test_withdrawing_an_unknown_offering_is_forbidden(client, agency):
    assert client.post("/agency/offerings/999999/withdraw").status_code == 403


def test_the_service_refuses_withdrawing_for_someone_else(agency, make, db):
    other = make.agency(items=("ZJ009",))
    offering = db.session.scalar(
        select(Offering).where(Offering.agency_id == other.organisation.id)
    )
    with pytest.raises(NotAllowed):
        withdraw_offering(agency, offering.id)


def test_a_purchaser_cannot_manage_offerings(client, auth, make, db):
    auth.login(make.purchaser())
    response = client.get("/agency/offerings")
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert client.post("/agency/offerings", data=form(make)).status_code == 403
    with pytest.raises(NotAllowed, match="只有中介机构账号可以执行此操作"):
        declare_offering(make.purchaser(), make.offering_data("ZJ010"))


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/agency/offerings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
