"""Direct selection and publicity (the award, contract and evaluation: test_contracts.py,
test_evaluations.py)."""

from datetime import UTC, datetime

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.procurement import services


@pytest.fixture
def closed(make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    low = make.bid(make.agency(), notice, 60_000_00)
    high = make.bid(make.agency(), notice, 90_000_00)
    make.close_bidding(notice)
    return notice, buyer, low, high


def test_purchaser_may_select_any_quote_with_a_reason(closed, frozen_clock):
    notice, buyer, low, high = closed
    services.select_bid(buyer, notice, high.id, "技术方案更完整")
    assert notice.state == "publicity"
    assert notice.selected_bid is high and low.status == "submitted"
    assert notice.selection_reason == "技术方案更完整"


def test_publicity_lasts_three_working_days(make, frozen_clock):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    bid = make.bid(make.agency(), notice)
    # Close and select on Friday 2026-12-04 10:00; publicity ends Wednesday 12-09 10:00.
    frozen_clock.set(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    services.select_bid(buyer, services.load_notice(notice.id), bid.id, "唯一报价")
    assert notice.publicity_end_dt == datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
    assert notice.due_dt == notice.publicity_end_dt


def test_selection_before_the_deadline_is_refused(make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    bid = make.bid(make.agency(), notice)
    with pytest.raises(ServiceError, match="报价截止后"):
        services.select_bid(buyer, notice, bid.id, "理由")
    assert bid.status == "submitted" and notice.state == "published"


def test_selecting_on_someone_elses_notice_is_forbidden(closed, make):
    notice, buyer, low, high = closed
    with pytest.raises(NotAllowed, match="只能操作本单位"):
        services.select_bid(make.purchaser(), notice, low.id, "理由")
    assert notice.state == "bidding_closed" and notice.selected_bid is None


def test_selecting_a_quote_of_another_notice_is_refused(closed, make):
    notice, buyer, low, high = closed
    stranger = make.bid(make.agency(), make.notice(), 10_00)
    with pytest.raises(ServiceError, match="不属于该公告"):
        services.select_bid(buyer, notice, stranger.id, "理由")
    assert notice.selected_bid is None


def test_selection_needs_a_reason(closed):
    notice, buyer, low, high = closed
    with pytest.raises(ServiceError, match="选取理由"):
        services.select_bid(buyer, notice, low.id, "")
    assert notice.selected_bid is None


def test_second_selection_is_refused(closed):
    notice, buyer, low, high = closed
    services.select_bid(buyer, notice, low.id, "最低价")
    with pytest.raises(ServiceError):
        services.select_bid(buyer, notice, high.id, "改主意")
    assert notice.selected_bid is low
