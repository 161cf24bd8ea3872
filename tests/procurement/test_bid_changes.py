"""Replacing and withdrawing a sealed quote before the deadline, quoting again after a
withdrawal, the superseded receipts published at opening, and nothing of it shown to anyone
else before the deadline."""

from datetime import datetime

import pytest
from sqlalchemy import select

from market.core.audit import events_for
from market.core.errors import ServiceError
from market.extensions import db
from market.procurement import services
from market.procurement.models import BidReceipt
from market.supervision.services import audit_query

from .selection_web import login, text


def _receipts(bid):
    return list(
        db.session.scalars(
            select(BidReceipt).where(BidReceipt.bid_id == bid.id).order_by(BidReceipt.id)
        )
    )


@pytest.fixture
def quoted(make, frozen_clock):
    """A notice, an agency that quoted ¥80,000.00 on it, and the bid."""
    notice = make.notice()
    agency_user = make.agency()
    bid = make.bid(agency_user, notice, 80_000_00)
    return notice, agency_user, bid


def test_replacing_gives_a_new_commitment_and_keeps_the_old_receipt(quoted, frozen_clock):
    notice, agency_user, bid = quoted
    old_commitment, old_nonce, old_submitted = bid.commitment, bid.nonce, bid.submitted_dt
    frozen_clock.advance(hours=1)
    services.replace_bid(agency_user, notice, 75_000_00, "新方案")
    assert bid.status == "submitted" and bid.amount_fen == 75_000_00 and bid.plan == "新方案"
    assert bid.commitment != old_commitment and bid.nonce != old_nonce
    assert services.commitment_matches(bid)
    assert bid.submitted_dt == frozen_clock.now
    (receipt,) = _receipts(bid)
    assert (receipt.commitment, receipt.reason) == (old_commitment, "replaced")
    assert receipt.submitted_dt == old_submitted and receipt.superseded_dt == frozen_clock.now
    actions = [e.action for e in events_for("bid", bid.id, public_only=False)]
    assert actions == ["submitted", "bid_replaced"]


def test_replacing_keeps_the_rules_of_quoting(make, quoted):
    notice, agency_user, bid = quoted
    with pytest.raises(ServiceError, match="不得高于最高限价"):
        services.replace_bid(agency_user, notice, 100_000_01, "方案")
    with pytest.raises(ServiceError, match="没有可修改的报价"):
        services.replace_bid(make.agency(), notice, 70_000_00, "方案")
    assert bid.amount_fen == 80_000_00 and _receipts(bid) == []


def test_withdrawing_and_quoting_again(quoted, frozen_clock):
    notice, agency_user, bid = quoted
    first = bid.commitment
    services.withdraw_bid(agency_user, notice)
    assert bid.status == "withdrawn" and bid.commitment == "" and bid.nonce == ""
    assert services.eligible_bids(notice) == []
    (receipt,) = _receipts(bid)
    assert (receipt.commitment, receipt.reason) == (first, "withdrawn")
    with pytest.raises(ServiceError, match="没有可撤回的报价"):
        services.withdraw_bid(agency_user, notice)
    frozen_clock.advance(minutes=5)
    again = services.submit_bid(agency_user, notice, 82_000_00, "再次报价")
    assert again is bid and bid.status == "submitted" and bid.amount_fen == 82_000_00
    assert bid.commitment not in ("", first) and services.commitment_matches(bid)
    assert services.eligible_bids(notice) == [bid]
    actions = [e.action for e in events_for("bid", bid.id, public_only=False)]
    assert actions == ["submitted", "bid_withdrawn", "bid_requoted"]


def test_neither_is_possible_after_the_deadline(make, quoted):
    notice, agency_user, bid = quoted
    make.close_bidding(notice)
    with pytest.raises(ServiceError, match="该公告已截止报价"):
        services.replace_bid(agency_user, notice, 70_000_00, "方案")
    with pytest.raises(ServiceError, match="该公告已截止报价"):
        services.withdraw_bid(agency_user, notice)
    assert bid.status == "submitted" and bid.amount_fen == 80_000_00
    assert _receipts(bid) == []


def test_the_web_refuses_them_after_the_deadline(app, make, quoted):
    notice, agency_user, bid = quoted
    client = login(app, agency_user)
    make.close_bidding(notice)
    client.post(f"/notices/{notice.id}/bid/withdraw")
    response = client.post(
        f"/notices/{notice.id}/bid/replace", data={"amount": "70000", "plan": "方案"}
    )
    assert response.status_code == 422
    assert "该公告已截止报价" in response.get_data(as_text=True)
    assert bid.status == "submitted" and bid.amount_fen == 80_000_00


def test_a_withdrawn_quote_is_no_candidate_and_not_counted(make):
    notice = make.method_notice("lowest")
    users = [make.agency() for _ in range(3)]
    bids = [
        make.bid(u, notice, a)
        for u, a in zip(users, (70_000_00, 80_000_00, 90_000_00), strict=True)
    ]
    services.withdraw_bid(users[0], notice)
    make.close_bidding(notice)
    assert services.visible_bid_count(notice) == 2
    assert services.opened_bids(notice) == [bids[1], bids[2]]
    (selection,) = notice.selections
    assert [c["bid_id"] for c in selection.candidates] == [bids[1].id, bids[2].id]
    assert selection.winner_bid_id == bids[1].id


def test_a_withdrawal_can_leave_a_fiscal_notice_short_of_responses(make):
    notice = make.method_notice("lowest", fiscal_share_pct=100)
    users = [make.agency() for _ in range(3)]
    for u, amount in zip(users, (70_000_00, 80_000_00, 90_000_00), strict=True):
        make.bid(u, notice, amount)
    services.withdraw_bid(users[2], notice)
    make.close_bidding(notice)
    assert notice.state == "failed" and notice.selected_bid is None


def test_only_withdrawn_quotes_fail_the_notice_as_having_no_quotes(make):
    notice = make.notice()
    agency_user = make.agency()
    make.bid(agency_user, notice)
    services.withdraw_bid(agency_user, notice)
    make.close_bidding(notice)
    assert notice.state == "failed"
    assert notice.outcome_note == "报价截止时无机构报价"


def test_the_commitments_page_shows_superseded_receipts_after_opening(app, make, frozen_clock):
    notice = make.notice()
    replacer, withdrawer, other = make.agency(), make.agency(), make.agency()
    first = make.bid(replacer, notice, 80_000_00).commitment
    gone = make.bid(withdrawer, notice, 85_000_00).commitment
    make.bid(other, notice, 90_000_00)
    frozen_clock.set(datetime.fromisoformat("2026-11-24T03:00:00+00:00"))
    bid = services.replace_bid(replacer, notice, 78_000_00, "新方案")
    services.withdraw_bid(withdrawer, notice)
    page = text(app.test_client(), f"/notices/{notice.id}/commitments")
    assert first not in page and gone not in page and bid.commitment not in page
    make.close_bidding(notice)
    page = text(app.test_client(), f"/notices/{notice.id}/commitments")
    assert bid.commitment in page and first in page and gone in page
    assert page.count("已替换") == 2 and page.count("已撤回") == 3  # and 无（报价已撤回…）
    assert "2026-11-24 11:00 提交，2026-11-24 11:00 已替换" not in page
    assert "2026-11-24 10:00 提交，2026-11-24 11:00 已替换" in page
    assert "无（报价已撤回，不参与选取）" in page


def _pages(app, user, notice):
    client = login(app, user)
    paths = [f"/notices/{notice.id}", f"/notices/{notice.id}/commitments", "/workspace"]
    return {p: client.get(p).get_data(as_text=True) for p in paths}


def test_the_purchaser_and_a_regulator_see_nothing_before_the_deadline(app, make, db):
    notice = make.notice()
    agency_user = make.agency()
    regulator = make.regulator_for(notice)
    bid = make.bid(agency_user, notice, 80_000_00)
    people = (notice.created_by, regulator)
    before = [_pages(app, u, notice) for u in people]
    audit_before = db.session.scalars(audit_query()).all()
    services.replace_bid(agency_user, notice, 75_000_00, "新方案")
    services.withdraw_bid(agency_user, notice)
    services.submit_bid(agency_user, notice, 76_000_00, "再报")
    after = [_pages(app, u, notice) for u in people]
    for seen in after:
        for page in seen.values():
            assert bid.commitment not in page and "¥75,000.00" not in page
            assert "已撤回" not in page and "已替换" not in page
    assert [sorted(p) for p in before] == [sorted(p) for p in after]
    assert db.session.scalars(audit_query()).all() == audit_before
    for user in people:
        assert login(app, user).get(f"/notices/{notice.id}/bid/receipt").status_code == 403


def test_replacing_and_withdrawing_through_the_web(app, make, quoted):
    notice, agency_user, bid = quoted
    client = login(app, agency_user)
    page = text(client, f"/notices/{notice.id}")
    assert "修改报价" in page and "撤回报价" in page
    response = client.post(
        f"/notices/{notice.id}/bid/replace", data={"amount": "76000", "plan": "新方案"}
    )
    assert response.status_code == 302 and bid.amount_fen == 76_000_00
    confirm = text(client, f"/notices/{notice.id}/bid/withdraw")
    assert "确认撤回" in confirm and "¥76,000.00" in confirm and bid.status == "submitted"
    assert client.post(f"/notices/{notice.id}/bid/withdraw").status_code == 302
    assert bid.status == "withdrawn"
    page = text(client, f"/notices/{notice.id}")
    assert "本机构已撤回报价" in page and "密封提交" in page


def test_the_audit_packs_verify_script_reports_a_withdrawn_bid_without_checking_it():
    from market.opendata.packverify import Report, check_bids

    lines = []
    pack = {
        "notice.json": {"id": 7},
        "bids.json": {"bids": [{"bid_id": 3, "status": "withdrawn", "commitment": ""}]},
    }
    report = Report(out=lines.append)
    assert check_bids(pack, report) == {}
    assert report.failures == []
    assert lines == ["[未核验 not checked] bid 3: 报价已在截止前撤回，不参与选取 (withdrawn)"]
