"""Direct invitation (直接邀请): one named agency, below the direct-selection ceiling; only it
may quote, only its opportunities list the notice, and the public sees who was invited."""

import re
from datetime import datetime, timedelta

import pytest

from market.agencies.models import Agency
from market.core.clock import from_local, to_local
from market.core.errors import ServiceError
from market.procurement import services
from market.procurement.models import Bid, Notice

CEILING_TEXT = "直接邀请仅适用于最高限价低于 ¥100,000.00 的项目"


def login(app, user, make):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    return client


def invited_notice(make, agency_user, buyer=None, publish=True, **overrides):
    overrides.setdefault("ceiling_fen", 80_000_00)
    return make.notice(
        buyer, publish=publish, invited_org_id=agency_user.organisation.id, **overrides
    )


def suspend(db, agency_user):
    row = db.session.get(Agency, agency_user.organisation.id)
    row.suspended_until = from_local(datetime(2027, 3, 1, 0, 0))


def count(db, model):
    return db.session.query(model).count()


def test_the_invited_agency_quotes_and_no_other_may(make, db):
    invited = make.agency(org_name="重庆受邀环评有限公司")
    notice = invited_notice(make, invited)
    assert notice.invited.name == "重庆受邀环评有限公司" and notice.state == "published"
    outsider = make.agency()
    with pytest.raises(ServiceError, match="本项目为直接邀请，仅受邀机构可报价"):
        make.bid(outsider, notice, 70_000_00)
    assert count(db, Bid) == 0
    bid = make.bid(invited, notice, 70_000_00)
    assert notice.bids == [bid]


@pytest.mark.parametrize("ceiling_fen", [100_000_00, 250_000_00])
def test_a_ceiling_at_or_above_the_threshold_is_refused(make, db, ceiling_fen):
    invited = make.agency()
    before = count(db, Notice)
    with pytest.raises(ServiceError, match=CEILING_TEXT) as err:
        invited_notice(make, invited, ceiling_fen=ceiling_fen)
    assert err.value.field == "ceiling" and count(db, Notice) == before


def test_the_threshold_is_configuration(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECT_SELECTION_MAX_FEN", 50_000_00)
    with pytest.raises(ServiceError, match="低于 ¥50,000.00 的项目"):
        invited_notice(make, make.agency(), ceiling_fen=60_000_00)


def test_an_agency_not_offering_the_item_cannot_be_invited(make, db):
    surveyor = make.agency(org_name="重庆测绘有限公司", items=("ZJ018",))
    before = count(db, Notice)
    with pytest.raises(
        ServiceError, match="「重庆测绘有限公司」未提供「环境影响评价报告书（表）编制」"
    ):
        invited_notice(make, surveyor)
    assert count(db, Notice) == before


def test_a_suspended_agency_cannot_be_invited(make, db):
    invited = make.agency(org_name="重庆停业环评有限公司")
    suspend(db, invited)
    with pytest.raises(
        ServiceError, match="不能直接邀请「重庆停业环评有限公司」：.*至 2027-03-01 止"
    ):
        invited_notice(make, invited)
    assert count(db, Notice) == 0


def test_only_an_agency_can_be_invited(make, db):
    with pytest.raises(ServiceError, match="受邀机构不存在"):
        invited_notice(make, make.purchaser())
    with pytest.raises(ServiceError, match="受邀机构不存在"):
        make.notice(invited_org_id=999_999, ceiling_fen=80_000_00)


def test_editing_a_draft_checks_the_invitation_and_can_remove_it(make, db):
    invited = make.agency()
    buyer = make.purchaser()
    notice = invited_notice(make, invited, buyer, publish=False)
    with pytest.raises(ServiceError, match=CEILING_TEXT):
        services.update_notice(
            buyer,
            notice,
            make.notice_data(ceiling_fen=120_000_00, invited_org_id=invited.organisation.id),
        )
    assert notice.ceiling_fen == 80_000_00 and notice.invited_org_id == invited.organisation.id
    services.update_notice(buyer, notice, make.notice_data(ceiling_fen=120_000_00))
    assert notice.invited_org_id is None and notice.ceiling_fen == 120_000_00


def test_publishing_checks_the_invited_agency_again(make, db):
    invited = make.agency()
    buyer = make.purchaser()
    notice = invited_notice(make, invited, buyer, publish=False)
    suspend(db, invited)
    with pytest.raises(ServiceError, match="暂停参与投标"):
        services.publish_notice(buyer, notice)
    assert notice.state == "draft" and notice.published_dt is None


def test_opportunities_mark_the_invitation_and_hide_it_from_others(app, make):
    invited = make.agency()
    invited_notice(make, invited, title="受邀的环评项目")
    make.notice(title="公开的环评项目")
    mine = login(app, invited, make).get("/agency/opportunities").get_data(as_text=True)
    assert re.search(r"受邀的环评项目</a>\s*<span class=\"badge[^\"]*\">受邀</span>", mine)
    assert "公开的环评项目" in mine
    theirs = login(app, make.agency(), make).get("/agency/opportunities").get_data(as_text=True)
    assert "受邀的环评项目" not in theirs and "公开的环评项目" in theirs


def test_the_public_list_and_detail_name_the_invited_agency(client, make):
    invited = make.agency(org_name="重庆受邀环评有限公司")
    notice = invited_notice(make, invited, title="受邀的环评项目")
    listed = client.get("/notices/").get_data(as_text=True)
    assert re.search(r"受邀的环评项目</a>\s*<div[^>]*>直接邀请：重庆受邀环评有限公司", listed)
    detail = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "直接邀请：" in detail and "重庆受邀环评有限公司" in detail
    assert "直接邀请" not in client.get(f"/notices/{make.notice().id}").get_data(as_text=True)


def test_another_agency_sees_no_bid_form_and_a_posted_bid_is_refused(app, make, db):
    notice = invited_notice(make, make.agency())
    client = login(app, make.agency(), make)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "本项目为直接邀请，仅受邀机构可报价" in page and "密封提交" not in page
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "1000"})
    assert response.status_code == 422
    assert "本项目为直接邀请，仅受邀机构可报价" in response.get_data(as_text=True)
    assert count(db, Bid) == 0


# --- the notice form -----------------------------------------------------------------------


def form_data(make, frozen_clock, **overrides):
    data = {
        "item_id": make.item("ZJ012").id,
        "title": "鱼复工业园环评",
        "scope": "编制报告表",
        "ceiling": "60000",
        "service_days": "30",
        "deadline": to_local(frozen_clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "王五",
        "contact_phone": "13900001111",
    }
    data.update(overrides)
    return data


def test_the_invite_button_fills_the_form_and_saves_the_invitation(app, make, frozen_clock, db):
    invited = make.agency(org_name="重庆受邀环评有限公司")
    org_id = invited.organisation.id
    buyer = make.purchaser()
    client = login(app, buyer, make)
    item = make.item("ZJ012")
    page = client.get(f"/notices/new?item={item.id}&invite={org_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{item.id}">', page)
    assert re.search(rf'name="invited_org_id" type="hidden" value="{org_id}"', page)
    assert "受邀机构：" in page and "重庆受邀环评有限公司" in page and "取消直接邀请" in page

    response = client.post(
        "/notices/new", data=form_data(make, frozen_clock, invited_org_id=org_id)
    )
    assert response.status_code == 302
    notice = db.session.query(Notice).filter_by(purchaser_org_id=buyer.organisation.id).one()
    assert notice.invited_org_id == org_id


def test_the_form_explains_a_refused_invitation(app, make, frozen_clock, db):
    invited = make.agency()
    client = login(app, make.purchaser(), make)
    data = form_data(make, frozen_clock, ceiling="100000", invited_org_id=invited.organisation.id)
    response = client.post("/notices/new", data=data)
    assert response.status_code == 200 and CEILING_TEXT in response.get_data(as_text=True)
    assert count(db, Notice) == 0


def test_the_invitation_can_be_removed_on_the_form(app, make, frozen_clock, db):
    invited = make.agency()
    buyer = make.purchaser()
    client = login(app, buyer, make)
    data = form_data(make, frozen_clock, ceiling="150000", invited_org_id=invited.organisation.id)
    assert client.post("/notices/new", data={**data, "remove_invitation": "y"}).status_code == 302
    notice = db.session.query(Notice).filter_by(purchaser_org_id=buyer.organisation.id).one()
    assert notice.invited_org_id is None

    draft = invited_notice(make, invited, buyer, publish=False)
    edit = client.get(f"/notices/{draft.id}/edit").get_data(as_text=True)
    assert "受邀机构：" in edit and invited.organisation.name in edit
    data = form_data(make, frozen_clock, invited_org_id=invited.organisation.id)
    client.post(f"/notices/{draft.id}/edit", data={**data, "remove_invitation": "y"})
    assert draft.invited_org_id is None


@pytest.mark.parametrize("refresh", [None, "1"])
def test_an_invited_id_beyond_64_bits_is_shown_again_as_no_invitation(
    app, make, frozen_clock, db, refresh
):
    """Refused on its field, not looked up on a refresh: the form again, never a 500."""
    client = login(app, make.purchaser(), make)
    data = form_data(make, frozen_clock, invited_org_id=str(2**63))
    if refresh:
        data["refresh"] = refresh
    response = client.post("/notices/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "受邀机构：" not in page
    assert ("邀请的机构无效" in page) is not bool(refresh)
    assert count(db, Notice) == 0
