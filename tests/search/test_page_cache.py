"""The results page is rendered once per version of the index for visitors who are not signed
in (core.pagecache), and kept no later than the moment an agency's measure ends."""

from datetime import timedelta

from market.agencies.services import agency_of

from ..sql import page_statements
from .test_engine import agency
from .test_pages import hit_ids, suspend


def html(client, path):
    return client.get(path).get_data(as_text=True)


PATH = "/search?type=agencies&q=环评"


def test_results_are_kept_until_the_index_changes(client, make, db, indexed):
    first = agency(make, "重庆甲环境科技有限公司")
    indexed()
    _, shown = page_statements(client, db, PATH)
    assert hit_ids(shown) == [first.organisation.id]
    cost, kept = page_statements(client, db, PATH)
    assert (cost, kept) == (0, shown)

    second = agency(make, "重庆乙环境科技有限公司")
    assert html(client, PATH) == shown  # not indexed yet: the index has not changed
    indexed()
    assert sorted(hit_ids(html(client, PATH))) == sorted(
        [first.organisation.id, second.organisation.id]
    )


def test_a_suspension_ending_shows_without_reindexing(client, make, db, indexed, frozen_clock):
    user = agency(make, "重庆乙环境科技有限公司")
    suspend(db, user, frozen_clock, days=1)
    indexed()
    until = agency_of(user).suspended_until
    frozen_clock.set(until - timedelta(hours=1))
    assert "blocked-badge" in html(client, PATH)
    assert html(client, PATH + "&can_bid=1").count('data-hit="') == 0
    frozen_clock.set(until + timedelta(minutes=1))
    assert "blocked-badge" not in html(client, PATH)
    assert hit_ids(html(client, PATH + "&can_bid=1")) == [user.organisation.id]


def test_signed_in_purchasers_get_their_own_page(client, make, db, indexed, auth):
    agency(make, "重庆甲环境科技有限公司")
    indexed()
    assert "邀请报价" not in html(client, PATH)
    auth.login(make.purchaser())
    assert "邀请报价" in html(client, PATH)
