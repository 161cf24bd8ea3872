"""The organisation's admins edit its registered data: every problem at once beside its field;
a new name or legal representative needs the commitment signed again and is audited with the
values before and after; every change dates the data."""

import pytest
from sqlalchemy import select

from market.accounts.models import Commitment
from market.accounts.services import COMMITMENT_TEXT
from market.core.models import AuditEvent

FIELDS = (
    "name",
    "legal_representative",
    "region",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def form_of(org, **changes):
    return {**{field: getattr(org, field) for field in FIELDS}, **changes}


def post(client, data):
    return client.post("/org/data", data=data)


def events(db, org):
    where = dict(subject_type="organisation", subject_id=org.id, action="data_changed")
    return db.session.scalars(select(AuditEvent).filter_by(**where)).all()


@pytest.fixture(params=["agency", "purchaser"])
def admin(request, auth, make):
    user = make.agency() if request.param == "agency" else make.purchaser()
    auth.login(user)
    return user


def test_the_page_shows_the_data_the_commitment_text_and_its_checkbox(client, admin):
    org = admin.organisation
    assert 'href="/org/data"' in client.get("/account").get_data(as_text=True)
    page = client.get("/org/data").get_data(as_text=True)
    assert f'value="{org.name}"' in page and f'value="{org.legal_representative}"' in page
    assert COMMITMENT_TEXT in page and 'name="commitment"' in page
    assert "单位名称、法定代表人是与统一社会信用代码对应的登记信息" in page


def test_a_new_name_needs_the_commitment_signed_again(client, admin, db, frozen_clock):
    org = admin.organisation
    old_name, old_legal = org.name, org.legal_representative
    signed_before = org.commitment_signed_dt
    frozen_clock.advance(days=3)

    refused = post(
        client, form_of(org, name="重庆新名称科技有限公司", legal_representative="新法人")
    )
    page = refused.get_data(as_text=True)
    assert "修改单位名称或法定代表人，须重新阅读并勾选信用承诺书" in page
    assert org.name == old_name and org.data_changed_dt is None

    data = form_of(
        org, name="重庆新名称科技有限公司", legal_representative="新法人", commitment="y"
    )
    done = client.post("/org/data", data=data, follow_redirects=True).get_data(as_text=True)
    assert "单位信息已更新，信用承诺书已重新签署。" in done
    assert org.name == "重庆新名称科技有限公司" and org.legal_representative == "新法人"
    assert org.data_changed_dt == frozen_clock.now
    assert org.commitment_signed_dt == frozen_clock.now != signed_before
    commitment = db.session.scalars(
        select(Commitment).where(Commitment.organisation_id == org.id).order_by(Commitment.id)
    ).all()[-1]
    assert commitment.subject == "profile" and commitment.user_id == admin.id

    (event,) = events(db, org)
    assert event.actor_user_id == admin.id and not event.public
    assert event.data == {
        "changes": {
            "name": {"from": old_name, "to": "重庆新名称科技有限公司"},
            "legal_representative": {"from": old_legal, "to": "新法人"},
        },
        "commitment_signed": True,
    }


def test_contact_data_changes_without_a_new_signature(client, admin, db, frozen_clock):
    org = admin.organisation
    signed_before = org.commitment_signed_dt
    data = form_of(org, contact_phone="023-67001234", address="重庆市江北区北城天街2号")
    response = post(client, data)
    assert response.status_code == 302
    assert org.contact_phone == "023-67001234" and org.address == "重庆市江北区北城天街2号"
    assert org.commitment_signed_dt == signed_before
    assert org.data_changed_dt == frozen_clock.now
    (event,) = events(db, org)
    assert set(event.data["changes"]) == {"contact_phone", "address"}
    assert event.data["commitment_signed"] is False


def test_nothing_changed_writes_nothing(client, admin, db):
    org = admin.organisation
    page = client.post("/org/data", data=form_of(org), follow_redirects=True)
    assert "单位信息没有变化，未作修改。" in page.get_data(as_text=True)
    assert org.data_changed_dt is None and events(db, org) == []


def test_every_problem_is_shown_beside_its_field_at_once(client, admin, db):
    org = admin.organisation
    data = form_of(
        org,
        name="",
        legal_representative="法" * 51,
        region=" ",
        contact_phone="12345",
        contact_email="not-an-address",
    )
    page = post(client, data).get_data(as_text=True)
    for message in (
        "请填写单位名称",
        "法定代表人不能超过 50 个字",
        "请填写所在地区",
        "联系电话格式不正确（手机号11位，或座机如 023-67001234）",
        "联系邮箱格式不正确",
    ):
        assert message in page
    assert page.count("invalid-feedback") >= 5
    assert org.name and org.data_changed_dt is None and events(db, org) == []


def test_a_plain_member_and_a_regulator_get_the_403_page(client, auth, make):
    admin = make.agency()
    colleague = make.member(admin)
    auth.login(colleague)
    assert client.get("/org/data").status_code == 403
    assert post(client, form_of(admin.organisation, name="别人改的名")).status_code == 403
    assert admin.organisation.name != "别人改的名"
    auth.logout()
    auth.login(make.staff())
    assert client.get("/org/data").status_code == 403


def test_a_visitor_is_sent_to_the_login(client):
    assert client.get("/org/data").status_code == 302
