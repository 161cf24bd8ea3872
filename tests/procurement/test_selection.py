"""Direct selection, publicity, award, delivery, acceptance and evaluation."""

from datetime import UTC, datetime, timedelta

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.core.signals import contract_awarded
from market.procurement import services
from market.procurement.runner import apply_due


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


def test_end_of_publicity_creates_the_contract_once(closed, frozen_clock):
    notice, buyer, low, high = closed
    services.select_bid(buyer, notice, low.id, "最低价")
    received = []

    def listener(contract, **_):
        received.append(contract)

    contract_awarded.connect(listener)
    try:
        frozen_clock.set(notice.publicity_end_dt - timedelta(seconds=1))
        assert apply_due(notice) is False and notice.contract is None
        frozen_clock.set(notice.publicity_end_dt)
        assert apply_due(notice) is True
        assert apply_due(notice) is False  # idempotent
    finally:
        contract_awarded.disconnect(listener)
    contract = notice.contract
    assert notice.state == "contracted"
    assert contract.amount_fen == 60_000_00
    assert contract.agency_org_id == low.agency_org_id
    assert contract.purchaser_org_id == buyer.organisation.id
    assert contract.number.startswith("HT2026")
    assert received == [contract]


def test_only_the_contracted_agency_may_deliver(make):
    notice, buyer, winner = make.contracted_notice()
    with pytest.raises(NotAllowed):
        services.mark_delivered(make.agency(), notice, "交付")
    with pytest.raises(NotAllowed):
        services.mark_delivered(buyer, notice, "交付")
    with pytest.raises(ServiceError, match="交付说明"):
        services.mark_delivered(winner, notice, "")
    services.mark_delivered(winner, notice, "报告书5份")
    assert notice.state == "delivered"
    assert notice.contract.delivery_note == "报告书5份"


SCORES = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 3, "conduct": 4}


def test_acceptance_with_ratings_closes_the_notice_and_updates_the_profile(make):
    from market.agencies.services import agency_of

    notice, buyer, winner = make.contracted_notice()
    services.mark_delivered(winner, notice, "报告书5份")
    evaluation = services.accept_and_evaluate(buyer, notice, SCORES, "满意")
    assert notice.state == "evaluated"
    assert notice.contract.accepted_dt is not None
    assert evaluation.scores == SCORES
    agency = agency_of(winner)
    assert agency.rating_count == 1
    assert agency.rating_average("fees") == 3
    assert agency.rating_overall == pytest.approx(4.2)


@pytest.mark.parametrize(
    "scores",
    [
        {**SCORES, "quality": 6},
        {**SCORES, "quality": 0},
        {k: 5 for k in list(SCORES)[:4]},
    ],
)
def test_ratings_must_be_one_to_five_on_all_five_dimensions(make, scores):
    notice, buyer, winner = make.contracted_notice()
    services.mark_delivered(winner, notice, "报告书")
    with pytest.raises(ServiceError, match="1–5"):
        services.accept_and_evaluate(buyer, notice, scores, "")
    assert notice.state == "delivered" and notice.contract.evaluation is None


def test_acceptance_before_delivery_is_refused(make):
    notice, buyer, winner = make.contracted_notice()
    with pytest.raises(ServiceError, match="不能变为「已验收」"):
        services.accept_and_evaluate(buyer, notice, SCORES, "")
    assert notice.state == "contracted"
