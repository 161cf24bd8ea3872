"""Sealed quotes: who may quote, and who sees what in every state."""

import re
from datetime import datetime, timedelta

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.procurement import services
from market.procurement.models import Bid


def _bids(db):
    return db.session.query(Bid).count()


def test_quote_is_accepted_before_the_deadline(make):
    notice = make.notice()
    bid = make.bid(make.agency(), notice, 99_999_99)
    assert bid.amount_fen == 99_999_99 and bid.status == "submitted"


def test_quote_at_the_deadline_instant_is_refused(make, frozen_clock, db):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt)
    before = _bids(db)
    with pytest.raises(ServiceError, match="已截止报价"):
        make.bid(make.agency(), notice)
    assert _bids(db) == before


def test_quote_after_the_deadline_is_refused_and_the_notice_closes(make, frozen_clock):
    notice = make.notice()
    make.bid(make.agency(), notice)
    frozen_clock.set(notice.deadline_dt + timedelta(seconds=1))
    with pytest.raises(ServiceError, match="已截止报价"):
        make.bid(make.agency(), notice)
    assert len(notice.bids) == 1
    # The refused quote writes nothing; the next read of the notice closes it.
    assert services.read_notice(notice.id).notice.state == "bidding_closed"


def test_quote_above_the_ceiling_is_refused(make, db):
    notice = make.notice(ceiling_fen=100_000_00)
    with pytest.raises(ServiceError, match="不得高于最高限价 ¥100,000.00") as err:
        make.bid(make.agency(), notice, 100_000_01)
    assert err.value.field == "amount"
    assert notice.bids == []


def test_second_quote_from_the_same_agency_is_refused(make):
    notice = make.notice()
    agency = make.agency()
    make.bid(agency, notice, 90_000_00)
    with pytest.raises(ServiceError, match="已对该公告提交过报价"):
        make.bid(agency, notice, 80_000_00)
    assert [b.amount_fen for b in notice.bids] == [90_000_00]


def test_the_notice_lists_a_quote_made_after_its_quotes_were_read(make):
    notice = make.notice()
    first = make.bid(make.agency(), notice, 90_000_00)
    assert notice.bids == [first]  # read now: the next quote must join the list read
    second = make.bid(make.agency(), notice, 80_000_00)
    assert sorted(b.amount_fen for b in notice.bids) == [80_000_00, 90_000_00]
    assert second.notice is notice


def test_the_notice_lists_a_quote_made_before_its_quotes_were_read(make, db):
    notice = make.notice()
    db.session.expire(notice, ["bids"])
    bid = make.bid(make.agency(), notice, 90_000_00)
    assert bid.notice is notice and bid.notice_id == notice.id
    assert [b.amount_fen for b in notice.bids] == [90_000_00]


def test_agency_must_offer_the_item(make):
    notice = make.notice()
    with pytest.raises(ServiceError, match="未声明提供"):
        make.bid(make.agency(items=("ZJ010",)), notice)


def test_purchaser_cannot_quote(make):
    notice = make.notice()
    with pytest.raises(NotAllowed):
        make.bid(make.purchaser(), notice)


def test_draft_notice_takes_no_quotes(make):
    notice = make.notice(publish=False)
    with pytest.raises(ServiceError, match="已截止报价"):
        make.bid(make.agency(), notice)


def test_suspended_agency_is_told_why_and_until_when(make, frozen_clock):
    from market.agencies.services import agency_of
    from market.core.clock import from_local

    notice = make.notice()
    agency_user = make.agency()
    agency_of(agency_user).suspended_until = from_local(datetime(2027, 3, 1, 0, 0))
    with pytest.raises(ServiceError, match="暂停参与投标，至 2027-03-01 止"):
        make.bid(agency_user, notice)
    agency_of(agency_user).suspended_until = None
    agency_of(agency_user).blacklisted = True
    with pytest.raises(ServiceError, match="严重失信名单"):
        make.bid(agency_user, notice)


ROLES = (
    "anonymous",
    "bidder",
    "other_bidder",
    "non_bidder",
    "purchaser",
    "other_purchaser",
    "regulator",
    "operator",
)


@pytest.fixture
def cast(make):
    """A notice with two quotes and one person for every role."""
    buyer = make.purchaser()
    notice = make.notice(buyer)
    people = {
        "anonymous": None,
        "bidder": make.agency(),
        "other_bidder": make.agency(),
        "non_bidder": make.agency(),
        "purchaser": buyer,
        "other_purchaser": make.purchaser(),
        "regulator": make.staff("regulator"),
        "operator": make.staff("operator", "平台运营中心"),
    }
    mine = make.bid(people["bidder"], notice, 70_000_00)
    theirs = make.bid(people["other_bidder"], notice, 75_000_00)
    return notice, people, mine, theirs


def _seen(notice, people, role):
    return {b.amount_fen for b in services.visible_bids(notice, people[role])}


@pytest.mark.parametrize("role", ROLES)
def test_while_open_each_role_sees_only_its_own_quote_and_no_count(cast, role):
    notice, people, mine, theirs = cast
    expected = {"bidder": {mine.amount_fen}, "other_bidder": {theirs.amount_fen}}
    assert _seen(notice, people, role) == expected.get(role, set())
    assert services.visible_bid_count(notice) is None


@pytest.mark.parametrize("role", ROLES)
def test_after_closing_purchaser_and_supervisors_see_all(cast, role, make):
    notice, people, mine, theirs = cast
    make.close_bidding(notice)
    both = {mine.amount_fen, theirs.amount_fen}
    expected = {
        "purchaser": both,
        "regulator": both,
        "operator": both,
        "bidder": {mine.amount_fen},
        "other_bidder": {theirs.amount_fen},
    }
    assert _seen(notice, people, role) == expected.get(role, set())
    assert services.visible_bid_count(notice) == 2


@pytest.mark.parametrize("role", ROLES)
def test_after_selection_everyone_sees_the_winning_quote(cast, role, make):
    notice, people, mine, theirs = cast
    make.close_bidding(notice)
    services.select_bid(people["purchaser"], notice, mine.id, "报价最低")
    seen = _seen(notice, people, role)
    assert mine.amount_fen in seen
    if role in ("anonymous", "non_bidder", "other_purchaser"):
        assert theirs.amount_fen not in seen


def test_cancelled_notice_keeps_quotes_sealed(cast):
    notice, people, mine, theirs = cast
    from market.procurement.services import cancel_notice

    cancel_notice(people["purchaser"], notice, "项目取消")
    assert _seen(notice, people, "purchaser") == set()
    assert services.visible_bid_count(notice) is None


def test_sealed_quotes_never_reach_the_page_before_the_deadline(cast, app):
    notice, people, mine, theirs = cast
    client = app.test_client()
    client.post("/login", data={"email": people["purchaser"].email, "password": "secret-pass-1"})
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "¥70,000.00" not in page and "¥75,000.00" not in page
    assert people["bidder"].organisation.name not in page
    assert "密封中" in page


# --- every refusal: a specific message, nothing written, no audit event -------------------


def _avoided(make):
    from market.procurement.models import Avoidance

    notice = make.notice()
    agency_user = make.agency()
    notice.avoidances.append(
        Avoidance(agency_org_id=agency_user.organisation.id, reason="与项目建设单位存在关联关系")
    )
    return agency_user, notice, {}


def _suspended(make):
    from market.agencies.services import agency_of
    from market.core.clock import from_local

    agency_user = make.agency()
    agency_of(agency_user).suspended_until = from_local(datetime(2027, 3, 1, 0, 0))
    return agency_user, make.notice(), {}


def _blacklisted(make):
    from market.agencies.services import agency_of

    agency_user = make.agency()
    agency_of(agency_user).blacklisted = True
    return agency_user, make.notice(), {}


def _qualified_notice(make, grade, min_grade="乙级"):
    notice = make.notice(code="ZJ009", requires_qualification=True, min_grade=min_grade)
    agency_user = make.agency(items=("ZJ009",))
    q = make.qualification(agency_user, code="ZJ009", grade=grade) if grade else None
    return agency_user, notice, {"qualification_ids": [q.id] if q else []}


def _at_deadline(make):
    from market.core import clock

    notice = make.notice()
    clock.freeze(notice.deadline_dt)
    return make.agency(), notice, {}


def _duplicate(make):
    notice = make.notice()
    agency_user = make.agency()
    make.bid(agency_user, notice)
    return agency_user, notice, {}


REFUSALS = {
    "avoided": (_avoided, "回避名单中（与项目建设单位存在关联关系）"),
    "suspended": (_suspended, "暂停参与投标，至 2027-03-01 止"),
    "blacklisted": (_blacklisted, "严重失信名单"),
    "no_qualification": (
        lambda make: _qualified_notice(make, None),
        "本项目要求具备「地质灾害危险性评估单位资质」（乙级及以上）",
    ),
    "grade_too_low": (lambda make: _qualified_notice(make, "丙级"), "（乙级及以上）"),
    "ungraded_for_a_grade": (lambda make: _qualified_notice(make, "不分级"), "乙级及以上"),
    "below_floor": (
        lambda make: (make.agency(), make.notice(floor_fen=50_000_00), {"amount": 49_999_99}),
        "报价不得低于最低限价 ¥50,000.00",
    ),
    "above_ceiling": (
        lambda make: (make.agency(), make.notice(), {"amount": 100_000_01}),
        "不得高于最高限价",
    ),
    "no_quote": (lambda make: (make.agency(), make.notice(), {"amount": None}), "请填写报价"),
    "quote_on_fixed_price": (
        lambda make: (make.agency(), make.method_notice("credit", ceiling_fen=40_000_00), {}),
        "价格固定为 ¥40,000.00",
    ),
    "at_the_deadline": (_at_deadline, "已截止报价"),
    "duplicate": (_duplicate, "不能重复提交"),
    "invited_elsewhere": (
        lambda make: (
            make.agency(),
            make.notice(ceiling_fen=50_000_00, invited_org_id=make.agency().organisation.id),
            {"amount": 40_000_00},
        ),
        "仅受邀机构可报价",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_writes_nothing(make, db, case):
    from market.core.models import AuditEvent

    setup, message = REFUSALS[case]
    agency_user, notice, kwargs = setup(make)
    amount = kwargs.pop("amount", 80_000_00)
    db.session.flush()
    before = (_bids(db), db.session.query(AuditEvent).filter_by(subject_type="bid").count())
    with pytest.raises(ServiceError, match=re.escape(message)):
        services.submit_bid(agency_user, notice, amount, "方案", **kwargs)
    after = (_bids(db), db.session.query(AuditEvent).filter_by(subject_type="bid").count())
    assert after == before


@pytest.mark.parametrize(
    ("grade", "min_grade"), [("甲级", "乙级"), ("乙级", "乙级"), ("不分级", None)]
)
def test_a_qualification_of_at_least_the_minimum_grade_is_accepted(make, grade, min_grade):
    agency_user, notice, kwargs = _qualified_notice(make, grade, min_grade)
    bid = services.submit_bid(agency_user, notice, 80_000_00, "方案", **kwargs)
    assert [q.grade for q in bid.qualifications] == [grade]


def test_a_quote_at_the_floor_and_at_the_ceiling_is_accepted(make):
    notice = make.notice(floor_fen=50_000_00, ceiling_fen=100_000_00)
    assert make.bid(make.agency(), notice, 50_000_00).amount_fen == 50_000_00
    assert make.bid(make.agency(), notice, 100_000_00).amount_fen == 100_000_00


def test_a_registration_on_a_fixed_price_notice_takes_the_price(make):
    notice = make.method_notice("random", ceiling_fen=30_000_00)
    bid = services.submit_bid(make.agency(), notice, None, "方案")
    assert bid.amount_fen == 30_000_00 and bid.commitment


def test_one_microsecond_before_the_deadline_is_accepted(make, frozen_clock):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt - timedelta(microseconds=1))
    assert make.bid(make.agency(), notice).status == "submitted"
    assert notice.state == "published"
    frozen_clock.set(notice.deadline_dt)
    with pytest.raises(ServiceError, match="已截止报价"):
        make.bid(make.agency(), notice)
    assert len(notice.bids) == 1
    assert services.read_notice(notice.id).notice.state == "bidding_closed"


def test_the_access_log_does_not_tell_which_notice_was_quoted_on(app, make, caplog):
    """A path naming the notice would tell whoever reads the logs that someone quoted on it:
    a quote and a reconfirmation are logged by their route."""
    from .selection_web import login

    notice, bidder = make.notice(), make.agency()
    client = login(app, bidder)
    caplog.set_level("INFO", logger="market.access")
    for path in (f"/notices/{notice.id}/bid", f"/notices/{notice.id}/bid/reconfirm"):
        client.post(path, data={"amount": "80000", "plan": "方案"})
    paths = [r.path for r in caplog.records if r.name == "market.access" and r.method == "POST"]
    assert paths == ["/notices/<int:notice_id>/bid", "/notices/<int:notice_id>/bid/reconfirm"]
    assert not any(f"/notices/{notice.id}" in r.getMessage() for r in caplog.records)


SITE_REFUSALS = {
    # read with the notice's lock by the quote through the site (lock_for_quote)
    "avoided": (_avoided, "回避名单中（与项目建设单位存在关联关系）"),
    "not_offered": (
        lambda make: (make.agency(items=("ZJ010",)), make.notice(), {}),
        "本机构未声明提供",
    ),
    "suspended": (_suspended, "暂停参与投标，至 2027-03-01 止"),
}


@pytest.mark.parametrize("case", list(SITE_REFUSALS))
def test_a_quote_through_the_site_is_refused_with_its_reason(client, auth, make, db, case):
    import html

    setup, message = SITE_REFUSALS[case]
    agency_user, notice, _ = setup(make)
    db.session.flush()
    before = _bids(db)
    auth.login(agency_user)
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "80000", "plan": "方案"})
    assert message in html.unescape(response.get_data(as_text=True))
    assert _bids(db) == before


def test_an_agency_offering_the_item_quotes_through_the_site(client, auth, make, db):
    from market.procurement.models import Avoidance

    notice = make.notice()
    agency_user = make.agency()
    other = make.agency()
    # another agency's avoidance of this notice does not touch this one
    notice.avoidances.append(Avoidance(agency_org_id=other.organisation.id, reason="关联关系"))
    db.session.flush()
    auth.login(agency_user)
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "80000", "plan": "方案"})
    assert response.status_code == 302
    assert [b.agency_org_id for b in notice.bids] == [agency_user.organisation.id]
