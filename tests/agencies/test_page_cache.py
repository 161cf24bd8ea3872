"""An agency's storefront and credit page are rendered once per version of the agency for
visitors who are not signed in (core.pagecache, agencies.versions), never older than what they
show, and kept no later than the moment they read differently by time alone."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from market.agencies.models import Agency
from market.agencies.services import agency_of
from market.credit.models import ConductRecord
from market.credit.records import services as records

from .. import factories as make
from ..sql import page_statements


def storefront_path(agency_user):
    return f"/agencies/{agency_user.organisation.id}"


def credit_path(agency_user):
    return f"/credit/agencies/{agency_user.organisation.id}"


def version(db, agency_user):
    return db.session.scalar(
        select(Agency.page_version).where(Agency.org_id == agency_user.organisation.id)
    )


@pytest.mark.parametrize("path_of", [storefront_path, credit_path])
def test_a_second_visitor_gets_the_page_kept_for_the_first(client, db, path_of):
    agency_user = make.agency()
    first_cost, first = page_statements(client, db, path_of(agency_user))
    second_cost, second = page_statements(client, db, path_of(agency_user))
    assert second == first and agency_user.organisation.name in second
    # Kept: only the agency's version is read.
    assert second_cost == 1 < first_cost


def test_no_such_agency_is_not_found(client, auth):
    assert client.get("/agencies/999999").status_code == 404
    assert client.get("/credit/agencies/999999").status_code == 404
    auth.login(make.purchaser())  # pages rendered for the visitor: no version read
    assert client.get("/agencies/999999").status_code == 404
    assert client.get("/credit/agencies/999999").status_code == 404


def test_every_change_to_an_agency_shows_at_once(kept_page, db, frozen_clock):
    agency_user = make.agency()
    storefront, credit = storefront_path(agency_user), credit_path(agency_user)
    assert "尚未声明资质" in kept_page(storefront) and "尚未登记从业人员" in kept_page(storefront)
    kept_page(credit)

    make.qualification(agency_user, number="环评甲字第0042号")
    assert "环评甲字第0042号" in kept_page(storefront)
    make.practitioner(agency_user, name="陈静")
    assert "陈静" in kept_page(storefront)
    agency = agency_of(agency_user)
    agency.description = "专注水土保持方案编制二十年"
    db.session.flush()
    assert "专注水土保持方案编制二十年" in kept_page(storefront)
    agency_user.organisation.contact_phone = "023-68886666"
    db.session.flush()
    assert "023-68886666" in kept_page(storefront)

    record, _, _ = make.confirmed_record(code="A05", agency_user=agency_user, publish=False)
    assert "已认定、待公示的不良行为" in kept_page(credit)
    assert "警示" not in kept_page(storefront)  # decided, not yet disclosed
    records.publish(make.credit_regulator(), record.id)
    assert "警示：A05" in kept_page(storefront)
    assert "A05" in kept_page(credit) and "95" in kept_page(credit)


def test_a_measure_and_a_publication_ending_show_without_any_write(kept_page, db, frozen_clock):
    agency_user = make.agency()
    storefront, credit = storefront_path(agency_user), credit_path(agency_user)
    make.confirmed_record(code="A05", agency_user=agency_user, number="生环信决〔2026〕5号")
    suspension, _, _ = make.confirmed_record(
        code="A04", agency_user=agency_user, number="生环信决〔2026〕6号"
    )
    db.session.commit()
    assert "暂停投标" in kept_page(storefront) and "警示：A05" in kept_page(storefront)
    suspended_until = agency_of(agency_user).suspended_until
    warning = db.session.scalar(
        select(ConductRecord).where(ConductRecord.decision_number == "生环信决〔2026〕5号")
    )
    assert suspended_until < warning.publication_end_dt < suspension.publication_end_dt

    # An hour before the suspension ends (the same day), the pages are kept as they are...
    frozen_clock.set(suspended_until - timedelta(hours=1))
    assert "暂停投标" in kept_page(storefront) and 'id="measure"' in kept_page(credit)
    # ...and a minute after it, with nothing written, they are no longer served.
    frozen_clock.set(suspended_until + timedelta(minutes=1))
    assert "暂停投标" not in kept_page(storefront)
    assert 'id="measure"' not in kept_page(credit)
    # A05's publication runs 6 months: then it leaves the storefront and the score.
    frozen_clock.set(warning.publication_end_dt - timedelta(hours=1))
    assert "警示：A05" in kept_page(storefront) and "生环信决〔2026〕5号" in kept_page(credit)
    frozen_clock.set(warning.publication_end_dt + timedelta(minutes=1))
    assert "警示：A05" not in kept_page(storefront)
    assert "生环信决〔2026〕5号" not in kept_page(credit)


def test_a_quote_leaves_the_agency_version_alone(db, frozen_clock):
    """Sealed: a page rendered afresh after a quote would tell that one exists."""
    agency_user = make.agency()
    notice = make.notice()
    db.session.flush()
    before = version(db, agency_user)
    make.bid(agency_user, notice, amount_fen=80_000_00)
    db.session.flush()
    assert version(db, agency_user) == before


def test_a_page_for_someone_signed_in_is_their_own(client, auth, frozen_clock):
    agency_user = make.agency()
    record, _, _ = make.confirmed_record(code="A05", agency_user=agency_user, publish=False)
    anonymous = client.get(credit_path(agency_user)).get_data(as_text=True)
    assert "已认定、待公示的不良行为" in anonymous
    auth.login(agency_user)
    own = client.get(credit_path(agency_user)).get_data(as_text=True)
    assert f"/credit/records/{record.id}" in own  # its own record, linked


def test_the_credit_page_is_kept_no_longer_than_its_evaluations_count(kept_page, db, frozen_clock):
    notice, _, winner = make.evaluated_notice()
    db.session.commit()
    evaluated = next(e for e in notice.contract.evaluations if e.direction == "of_agency")
    credit = credit_path(winner)
    assert "1 次评价，平均" in kept_page(credit)
    # Twelve months on, the same day: the evaluation no longer counts, nothing written.
    frozen_clock.set(evaluated.created_dt + relativedelta(months=12) - timedelta(hours=1))
    assert "1 次评价，平均" in kept_page(credit)
    frozen_clock.set(evaluated.created_dt + relativedelta(months=12) + timedelta(minutes=1))
    assert "1 次评价，平均" not in kept_page(credit)


def test_the_directory_is_rendered_once_per_content(client, db, kept_page, templates_rendered):
    first = make.agency(org_name="重庆渝环环境影响评价有限公司")
    assert "重庆渝环环境影响评价有限公司" in kept_page("/agencies/")
    with templates_rendered() as rendered:
        client.get("/agencies/")
    assert "agencies/directory.html" not in rendered  # the same rows: the kept page

    make.agency(org_name="重庆两江水土保持技术有限公司")
    assert "重庆两江水土保持技术有限公司" in kept_page("/agencies/")
    first.organisation.name = "重庆渝环生态环境咨询有限公司"  # a name the rows show
    db.session.flush()
    assert "重庆渝环生态环境咨询有限公司" in kept_page("/agencies/")
    agency_of(first).credit_score = 64
    db.session.flush()
    assert "</span> 64</td>" in kept_page("/agencies/")  # its score beside its grade
