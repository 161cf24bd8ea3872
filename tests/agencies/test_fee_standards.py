"""Fee standards: fixed, range, rate or negotiable; government-priced items keep to their range."""

import pytest
from sqlalchemy import func, select

from market.accounts.models import Commitment
from market.agencies.models import Offering
from market.agencies.services import declare_offering, update_offering
from market.core.errors import ServiceError


@pytest.fixture
def agency(auth, make):
    user = make.agency(items=())
    auth.login(user)
    return user


def post(client, make, code, **fields):
    data = {"item_id": str(make.item(code).id), "promised_days": "10", "commitment": "y"}
    data.update(fields)
    return client.post("/agency/offerings", data=data)


def offerings(db, user):
    return list(
        db.session.scalars(select(Offering).where(Offering.agency_id == user.organisation.id))
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fee_kind": "fixed"}, "请填写固定收费金额（大于 0 元）"),
        ({"fee_kind": "range", "fee_min": "30000"}, "收费区间上限应高于下限"),
        ({"fee_kind": "range", "fee_min": "50000", "fee_max": "30000"}, "收费区间上限应高于下限"),
        ({"fee_kind": "rate", "fee_note": "按工程造价"}, "请填写费率（百分数，例如 0.35）"),
        ({"fee_kind": "rate", "fee_rate": "0.5"}, "请在收费说明中写明计费基数"),
        ({"fee_kind": "negotiable"}, "请在收费说明中说明收费如何确定"),
        ({"fee_kind": "range", "fee_min": "3万"}, "金额格式不正确"),
        ({"fee_kind": "rate", "fee_rate": "0.123", "fee_note": "x"}, "费率最多保留两位小数"),
        ({"fee_kind": "rate", "fee_rate": "120", "fee_note": "x"}, "费率应大于 0 且不超过 100%"),
        ({"fee_kind": "barter"}, "不是有效的选择"),
        ({"fee_kind": "fixed", "fee_min": "8000", "commitment": ""}, "请阅读并勾选信用承诺书"),
    ],
)
def test_an_incomplete_fee_standard_is_refused_on_the_form(
    client, agency, make, db, fields, message
):
    page = post(client, make, "ZJ012", **fields).get_data(as_text=True)
    assert message in page
    assert offerings(db, agency) == []


def test_each_kind_of_fee_is_stored_and_shown_as_people_read_it(client, agency, make, db):
    post(client, make, "ZJ012", fee_kind="fixed", fee_min="8000")
    post(client, make, "ZJ010", fee_kind="range", fee_min="20000", fee_max="60000.5")
    post(client, make, "ZJ031", fee_kind="rate", fee_rate="0.45", fee_note="按工程造价计取")
    post(client, make, "ZJ001", fee_kind="negotiable", fee_note="按投资规模协商")
    stored = {o.item.code: o for o in offerings(db, agency)}
    assert (stored["ZJ012"].fee_min_fen, stored["ZJ012"].fee_max_fen) == (800000, 800000)
    assert (stored["ZJ010"].fee_min_fen, stored["ZJ010"].fee_max_fen) == (2000000, 6000050)
    assert stored["ZJ031"].fee_rate_bp == 45
    assert stored["ZJ001"].fee_kind == "negotiable"
    page = client.get(f"/agencies/{agency.organisation.id}").get_data(as_text=True)
    for shown in ("¥8,000.00", "¥20,000.00–¥60,000.50", "费率 0.45%", "按工程造价计取", "协商确定"):
        assert shown in page


def test_every_declared_offering_is_covered_by_a_signed_commitment(agency, make, db):
    offering = declare_offering(agency, make.offering_data("ZJ012"))
    signed = db.session.scalar(
        select(Commitment).where(
            Commitment.subject == "offering", Commitment.subject_id == offering.id
        )
    )
    assert signed.user_id == agency.id and signed.text_version


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fee_kind": "fixed", "fee_min": "500"}, "收费应在 ¥1,000.00–¥30,000.00 之间"),
        (
            {"fee_kind": "range", "fee_min": "2000", "fee_max": "40000"},
            "收费应在 ¥1,000.00–¥30,000.00 之间",
        ),
        ({"fee_kind": "rate", "fee_rate": "1", "fee_note": "x"}, "应填写固定金额或金额区间"),
        ({"fee_kind": "negotiable", "fee_note": "面议"}, "应填写固定金额或金额区间"),
    ],
)
def test_a_fee_outside_the_government_priced_standard_is_refused(
    client, agency, make, db, fields, message
):
    page = post(client, make, "ZJ006", **fields).get_data(as_text=True)
    assert "「新建改建扩建建（构）筑物防雷装置检测」实行政府指导价" in page
    assert message in page
    assert offerings(db, agency) == []


def test_a_fee_inside_the_government_priced_standard_is_accepted(client, agency, make, db):
    response = post(client, make, "ZJ006", fee_kind="range", fee_min="1000", fee_max="30000")
    assert response.status_code == 302
    assert [o.item.code for o in offerings(db, agency)] == ["ZJ006"]


def test_a_rate_priced_item_takes_a_rate_within_its_bounds(agency, make, db):
    with pytest.raises(ServiceError, match="应按费率收费"):
        declare_offering(agency, make.offering_data("ZJ024", fee_kind="fixed", fee_min_fen=10000))
    with pytest.raises(ServiceError, match=r"费率应在 0\.10%–0\.50% 之间"):
        declare_offering(agency, make.offering_data("ZJ024", fee_rate_bp=60))
    declare_offering(agency, make.offering_data("ZJ024", fee_rate_bp=50))
    assert [o.fee_rate_bp for o in offerings(db, agency)] == [50]


def test_the_form_shows_the_standard_when_editing_a_government_priced_offering(
    client, agency, make, db
):
    offering = declare_offering(agency, make.offering_data("ZJ006"))
    page = client.get(f"/agency/offerings/{offering.id}/edit").get_data(as_text=True)
    assert "本事项实行政府指导价" in page and "¥1,000.00–¥30,000.00" in page


def test_editing_an_offering_changes_its_fee_and_signs_again(client, agency, make, db):
    offering = declare_offering(agency, make.offering_data("ZJ012"))
    response = client.post(
        f"/agency/offerings/{offering.id}/edit",
        data={"fee_kind": "fixed", "fee_min": "45000", "promised_days": "12", "commitment": "y"},
    )
    assert response.status_code == 302
    assert (offering.fee_kind, offering.fee_min_fen, offering.promised_days) == (
        "fixed",
        4500000,
        12,
    )
    signatures = db.session.scalar(
        select(func.count(Commitment.id)).where(
            Commitment.subject == "offering", Commitment.subject_id == offering.id
        )
    )
    assert signatures == 2


def test_a_refused_edit_changes_nothing(agency, make, db):
    offering = declare_offering(agency, make.offering_data("ZJ006"))
    with pytest.raises(ServiceError, match="收费应在"):
        update_offering(agency, offering.id, make.offering_data("ZJ006", fee_min_fen=10))
    assert offering.fee_min_fen == make.item("ZJ006").fee_min_fen
