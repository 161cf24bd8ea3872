"""The results page is rendered once per version of the index for visitors who are not signed
in (core.pagecache), and kept no later than the moment an agency's measure ends."""

from datetime import timedelta

from sqlalchemy import event

from market.agencies.services import agency_of

from .test_engine import agency
from .test_pages import hit_ids, suspend


def get(client, db, path):
    """(SQL statements issued, page) of an anonymous visit."""
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        body = client.get(path).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), body


PATH = "/search?type=agencies&q=环评"


def test_results_are_kept_until_the_index_changes(client, make, db, indexed):
    first = agency(make, "重庆甲环境科技有限公司")
    indexed()
    _, shown = get(client, db, PATH)
    assert hit_ids(shown) == [first.organisation.id]
    cost, kept = get(client, db, PATH)
    assert (cost, kept) == (0, shown)

    second = agency(make, "重庆乙环境科技有限公司")
    assert get(client, db, PATH)[1] == shown  # not indexed yet: the index has not changed
    indexed()
    assert sorted(hit_ids(get(client, db, PATH)[1])) == sorted(
        [first.organisation.id, second.organisation.id]
    )


def test_a_suspension_ending_shows_without_reindexing(client, make, db, indexed, frozen_clock):
    user = agency(make, "重庆乙环境科技有限公司")
    suspend(db, user, frozen_clock, days=1)
    indexed()
    until = agency_of(user).suspended_until
    frozen_clock.set(until - timedelta(hours=1))
    assert "blocked-badge" in get(client, db, PATH)[1]
    assert get(client, db, PATH + "&can_bid=1")[1].count('data-hit="') == 0
    frozen_clock.set(until + timedelta(minutes=1))
    assert "blocked-badge" not in get(client, db, PATH)[1]
    assert hit_ids(get(client, db, PATH + "&can_bid=1")[1]) == [user.organisation.id]


def test_signed_in_purchasers_get_their_own_page(client, make, db, indexed, auth):
    agency(make, "重庆甲环境科技有限公司")
    indexed()
    assert "邀请报价" not in get(client, db, PATH)[1]
    auth.login(make.purchaser())
    assert "邀请报价" in get(client, db, PATH)[1]
