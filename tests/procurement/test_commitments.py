"""Commitment receipts: what they cover, the receipt page, reconfirmation, publication at the
opening, and a bidder checking its own (a bid changed in the database shows 不一致)."""

import hashlib
import json
import re

import pytest
from sqlalchemy import update

from market.core.audit import events_for
from market.core.errors import ServiceError
from market.procurement import services
from market.procurement.models import Bid

from .selection_web import login, text


def _expected(bid, nonce=None):
    """The commitment recomputed by hand, as a bidder would from its receipt."""
    payload = {
        "notice_id": bid.notice_id,
        "notice_revision": bid.notice_revision,
        "agency_org_id": bid.agency_org_id,
        "amount_fen": bid.amount_fen,
        "plan": bid.plan,
        "qualification_ids": sorted(q.id for q in bid.qualifications),
        "documents": sorted([d.id, d.sha256] for d in bid.documents),
        "nonce": nonce or bid.nonce,
    }
    text_ = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text_.encode()).hexdigest()


def test_a_bid_commits_to_its_content_and_a_fresh_nonce(make):
    notice = make.notice()
    agency_user = make.agency()
    q = make.qualification(agency_user)
    doc = make.document(agency_user, kind="licence", title="营业执照")
    bid = services.submit_bid(agency_user, notice, 80_000_00, "  方案  ", [q.id], [doc.id])
    assert re.fullmatch(r"[0-9a-f]{32}", bid.nonce)
    assert re.fullmatch(r"[0-9a-f]{64}", bid.commitment)
    assert bid.commitment == _expected(bid) and services.commitment_matches(bid)
    assert bid.notice_revision == notice.revision and bid.plan == "方案"
    other = make.bid(make.agency(), notice, 80_000_00, "方案")
    assert other.nonce != bid.nonce and other.commitment != bid.commitment


@pytest.mark.parametrize(
    "change",
    [
        lambda b: setattr(b, "amount_fen", b.amount_fen - 1),
        lambda b: setattr(b, "plan", b.plan + "。"),
        lambda b: setattr(b, "notice_revision", b.notice_revision + 1),
        lambda b: setattr(b, "agency_org_id", b.agency_org_id + 1),
        lambda b: setattr(b, "documents", []),
    ],
)
def test_any_change_to_what_it_covers_breaks_the_commitment(make, change):
    notice = make.notice()
    agency_user = make.agency()
    doc = make.document(agency_user, kind="licence")
    bid = services.submit_bid(agency_user, notice, 80_000_00, "方案", (), [doc.id])
    change(bid)
    assert not services.commitment_matches(bid)


def test_the_bidder_sees_its_receipt_right_after_submitting_and_later(app, make):
    notice = make.notice()
    agency_user = make.agency()
    client = login(app, agency_user)
    response = client.post(f"/notices/{notice.id}/bid", data={"amount": "81000", "plan": "方案"})
    assert response.headers["Location"].endswith(f"/notices/{notice.id}#receipt")
    (bid,) = notice.bids
    for _ in range(2):
        page = text(client, f"/notices/{notice.id}")
        assert "我的报价回执" in page
        assert bid.commitment in page and bid.nonce in page
        assert f"&#34;amount_fen&#34;:{bid.amount_fen}" in page  # what it covers
    for other in (make.agency(), notice.created_by):
        seen = text(login(app, other), f"/notices/{notice.id}")
        assert bid.commitment not in seen and bid.nonce not in seen


def test_reconfirming_an_invalidated_bid_gives_a_new_receipt_for_the_current_revision(make, db):
    notice = make.notice()
    agency_user = make.agency()
    bid = make.bid(agency_user, notice, 80_000_00)
    old_nonce, old_commitment = bid.nonce, bid.commitment
    notice.revision += 1  # as an edit of the published notice does
    bid.status = "invalidated"
    with pytest.raises(ServiceError, match="请重新确认报价"):
        make.bid(agency_user, notice, 79_000_00)
    services.reconfirm_bid(agency_user, notice, 78_000_00, "新方案")
    assert bid.status == "submitted" and bid.notice_revision == notice.revision
    assert bid.amount_fen == 78_000_00 and bid.nonce != old_nonce
    assert bid.commitment != old_commitment and bid.commitment == _expected(bid)
    assert [e.action for e in events_for("bid", bid.id, public_only=False)] == [
        "submitted",
        "reconfirmed",
    ]


def test_reconfirming_is_only_for_invalidated_bids_and_keeps_the_rules(make, db):
    notice = make.notice(floor_fen=50_000_00)
    agency_user = make.agency()
    with pytest.raises(ServiceError, match="尚未对该公告报价"):
        services.reconfirm_bid(agency_user, notice, 80_000_00, "方案")
    bid = make.bid(agency_user, notice, 80_000_00)
    with pytest.raises(ServiceError, match="仍然有效"):
        services.reconfirm_bid(agency_user, notice, 80_000_00, "方案")
    notice.revision += 1
    bid.status = "invalidated"
    with pytest.raises(ServiceError, match="不得低于最低限价"):
        services.reconfirm_bid(agency_user, notice, 40_000_00, "方案")
    assert bid.status == "invalidated" and bid.amount_fen == 80_000_00
    assert len(events_for("bid", bid.id, public_only=False)) == 1


def test_reconfirming_through_the_web(app, make):
    notice = make.notice()
    agency_user = make.agency()
    bid = make.bid(agency_user, notice, 80_000_00)
    notice.revision += 1
    bid.status = "invalidated"
    client = login(app, agency_user)
    page = text(client, f"/notices/{notice.id}")
    assert "重新确认报价" in page and 'value="80000.00"' in page
    response = client.post(
        f"/notices/{notice.id}/bid/reconfirm", data={"amount": "79500", "plan": "方案"}
    )
    assert response.status_code == 302
    assert bid.status == "submitted" and bid.amount_fen == 79_500_00
    assert bid.commitment in text(client, f"/notices/{notice.id}")


def test_commitments_stay_sealed_until_the_deadline(app, make):
    notice = make.notice()
    bid = make.bid(make.agency(), notice)
    page = text(app.test_client(), f"/notices/{notice.id}/commitments")
    assert "报价截止后公开承诺值" in page and bid.commitment not in page
    assert bid.agency.name not in page


@pytest.fixture
def opened(app, make):
    notice = make.notice()
    people = [make.agency(), make.agency()]
    bids = [make.bid(people[0], notice, 70_000_00), make.bid(people[1], notice, 75_000_00)]
    make.close_bidding(notice)
    return notice, people, bids


def _checks(page):
    return re.findall(r'class="text-(success|danger) fw-bold">(一致|不一致)', page)


def test_at_the_opening_every_commitment_is_published_with_the_agency_name(app, opened):
    notice, people, bids = opened
    page = text(app.test_client(), f"/notices/{notice.id}/commitments")
    for bid in bids:
        assert bid.commitment in page and bid.agency.name in page
    assert _checks(page) == [] and "¥70,000.00" not in page  # no amounts, no nonce
    assert bids[0].nonce not in page


def test_a_bidder_verifies_its_own_and_the_purchaser_all(app, opened):
    notice, people, bids = opened
    own = text(login(app, people[0]), f"/notices/{notice.id}/commitments")
    assert _checks(own) == [("success", "一致")]
    purchaser = text(login(app, notice.created_by), f"/notices/{notice.id}/commitments")
    assert _checks(purchaser) == [("success", "一致"), ("success", "一致")]


def test_a_bid_changed_in_the_database_shows_not_matching(app, opened, db):
    notice, people, bids = opened
    db.session.execute(update(Bid).where(Bid.id == bids[0].id).values(amount_fen=60_000_00))
    db.session.expire_all()
    page = text(login(app, people[0]), f"/notices/{notice.id}/commitments")
    assert _checks(page) == [("danger", "不一致")] and "报价记录已被改动" in page
    other = text(login(app, people[1]), f"/notices/{notice.id}/commitments")
    assert _checks(other) == [("success", "一致")]
