"""An organisation's registered data edited by its admin: the public pages show the new data
and the day it changed, the kept storefront follows its version, search re-indexes the name."""

from sqlalchemy import select

from market.accounts.orgdata import OrgData, current_data, update_registered_data
from market.agencies.models import Agency
from market.search import sync
from market.search.models import SearchOutbox


def edit(admin, **changes):
    data = OrgData(**{**current_data(admin.organisation).__dict__, **changes})
    return update_registered_data(admin, data, commitment_signed=True)


def version(db, org):
    return db.session.scalar(select(Agency.page_version).where(Agency.org_id == org.id))


def test_the_storefront_shows_the_new_data_and_the_day_it_changed(
    client, make, db, kept_page, frozen_clock
):
    admin = make.agency(org_name="重庆旧名称环保科技有限公司")
    org = admin.organisation
    path = f"/agencies/{org.id}"
    before = kept_page(path)
    assert "重庆旧名称环保科技有限公司" in before and "信息更新于" not in before
    first = version(db, org)

    frozen_clock.advance(days=2)
    edit(
        admin,
        name="重庆新名称环保科技有限公司",
        legal_representative="赵六",
        contact_phone="023-67001234",
    )
    assert version(db, org) > first  # the kept page is not served again

    page = kept_page(path)
    assert "重庆新名称环保科技有限公司" in page and "重庆旧名称环保科技有限公司" not in page
    assert "法定代表人：赵六" in page and "电话：023-67001234" in page
    assert '<span id="data-changed">信息更新于 2026-11-26</span>' in page


def test_a_new_name_is_queued_for_the_search_index(make, db):
    admin = make.agency()
    # As in a later request: the registration's row indexed, nothing queued in this one.
    db.session.execute(SearchOutbox.__table__.delete())
    db.session.info.pop(sync.QUEUED, None)
    edit(admin, name="重庆改名后的检测有限公司")
    queued = {(r.kind, r.doc_id) for r in db.session.scalars(select(SearchOutbox))}
    assert ("agencies", admin.organisation.id) in queued


def test_the_purchaser_s_public_page_shows_the_day_its_data_changed(client, make, frozen_clock):
    admin = make.purchaser(org_name="重庆市某某区教育委员会")
    org = admin.organisation
    assert "信息更新于" not in client.get(f"/purchasers/{org.id}").get_data(as_text=True)
    frozen_clock.advance(days=1)
    edit(admin, name="重庆市某某区教育局", region="重庆市江北区")
    page = client.get(f"/purchasers/{org.id}").get_data(as_text=True)
    assert "重庆市某某区教育局" in page and "重庆市江北区" in page
    assert '<span id="data-changed">信息更新于 2026-11-25</span>' in page
