"""Standing written by credit and read by everyone else: can_bid() and credit_factor()."""

from datetime import datetime

import pytest

from market.agencies.models import Agency
from market.agencies.services import agency_of, can_bid, credit_factor
from market.core.clock import SHANGHAI
from market.core.errors import NotAllowed


@pytest.fixture
def user(make):
    return make.agency(org_name="重庆博致环保科技有限公司")


@pytest.fixture
def agency(user, db):
    return db.session.get(Agency, user.organisation.id)


def badge(client, user):
    page = client.get(f"/agencies/{user.organisation.id}").get_data(as_text=True)
    found = [line for line in page.splitlines() if "text-bg-danger" in line]
    return found[0] if found else None


def test_a_new_agency_may_bid_and_its_profile_shows_no_warning(client, user, agency):
    assert can_bid(agency) == (True, "")
    assert badge(client, user) is None


def test_a_blacklisted_agency_may_not_bid_and_the_profile_says_why(client, user, agency, db):
    agency.blacklisted = True
    db.session.flush()
    allowed, reason = can_bid(agency)
    assert not allowed and reason == "该机构已被列入严重失信名单，不能参与投标"
    # the list outranks the grade: no "暂停投标" badge beside a grade, the list and why
    page = client.get(f"/agencies/{user.organisation.id}").get_data(as_text=True)
    standing = page[page.index('id="standing"') :][:1000]
    assert 'id="blacklisted">严重失信名单' in standing and "暂停投标" not in standing
    assert "该机构已被列入严重失信名单，不能参与投标" in standing


def test_a_suspended_agency_is_told_until_when(client, user, agency, db):
    agency.suspended_until = datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
    db.session.flush()
    allowed, reason = can_bid(agency)
    assert not allowed
    assert reason == "该机构被暂停参与投标，至 2026-12-31 止"
    assert "至 2026-12-31 止" in badge(client, user)


def test_the_suspension_date_is_the_local_date(agency, db):
    # 2027-01-01 00:30 in Shanghai is still 2026-12-31 in UTC.
    agency.suspended_until = datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)
    assert can_bid(agency)[1] == "该机构被暂停参与投标，至 2027-01-01 止"


def test_bidding_is_allowed_again_once_the_suspension_ends(client, user, agency, db, frozen_clock):
    end = datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
    agency.suspended_until = end
    db.session.flush()

    frozen_clock.set(datetime(2026, 12, 31, 23, 58, tzinfo=SHANGHAI))
    assert can_bid(agency)[0] is False
    frozen_clock.set(end)
    assert can_bid(agency) == (True, "")
    frozen_clock.advance(days=1)
    assert can_bid(agency) == (True, "")
    assert badge(client, user) is None


def test_a_suspension_in_the_past_does_not_matter(agency):
    agency.suspended_until = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    assert can_bid(agency) == (True, "")


def test_blacklisting_outweighs_an_ended_suspension(agency):
    agency.suspended_until = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    agency.blacklisted = True
    assert can_bid(agency)[1] == "该机构已被列入严重失信名单，不能参与投标"


def test_can_bid_accepts_an_explicit_now(agency):
    agency.suspended_until = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert can_bid(agency, now=datetime(2026, 12, 2, tzinfo=SHANGHAI))[0] is True
    assert can_bid(agency, now=datetime(2026, 11, 30, tzinfo=SHANGHAI))[0] is False


@pytest.mark.parametrize(("score", "factor"), [(0, 0.5), (50, 0.75), (90, 0.95), (100, 1.0)])
def test_credit_factor_runs_from_half_to_one(agency, score, factor):
    agency.credit_score = score
    assert credit_factor(agency) == pytest.approx(factor)


def test_credit_factor_never_leaves_its_bounds_and_rises_with_score(agency):
    factors = []
    for score in range(0, 101):
        agency.credit_score = score
        factors.append(credit_factor(agency))
    assert min(factors) == 0.5 and max(factors) == 1.0
    assert factors == sorted(factors)


def test_a_fresh_agency_has_top_credit(agency):
    assert (agency.credit_score, agency.credit_grade) == (100, "A")
    assert credit_factor(agency) == 1.0


def test_only_agency_users_act_for_an_agency(make, user):
    assert agency_of(user).org_id == user.organisation.id
    with pytest.raises(NotAllowed, match="只有中介机构账号可以执行此操作"):
        agency_of(make.purchaser())
    with pytest.raises(NotAllowed):
        agency_of(make.staff("regulator"))
