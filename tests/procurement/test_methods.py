"""Closing the bidding, the minimum responses, the methods' common interface, re-selection."""

import re

import pytest

from market.accounts.models import User
from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.procurement import services
from market.procurement.models import Selection
from market.procurement.selecting import minimum_responses
from market.procurement.selection import registered
from market.procurement.states import transition


def _selections(db):
    return db.session.query(Selection).count()


def _public_actions(notice):
    return [
        e.action if e.action != "transition" else e.to_state
        for e in events_for("notice", notice.id)
    ]


def test_every_method_of_the_notice_form_is_registered_with_a_versioned_algorithm():
    labels = {key: method.label for key, method in registered().items()}
    assert labels == {
        "direct": "直接选取",
        "random": "随机选取",
        "lowest": "竞价选取",
        "mean": "均价优选",
        "scored": "综合评审",
        "credit": "信用择优",
    }
    assert list(labels) == ["direct", "random", "lowest", "mean", "scored", "credit"]
    for key, method in registered().items():
        assert method.key == key and re.search(r"-v\d+(/|$)", method.algorithm)
    automatic = {k for k, m in registered().items() if m.automatic}
    assert automatic == {"random", "lowest", "mean", "credit"}


@pytest.mark.parametrize(
    ("method", "fiscal", "invited", "expected"),
    [
        ("lowest", 0, False, 1),
        ("lowest", 30, False, 3),
        ("credit", 0, False, 2),
        ("credit", 100, False, 3),
        ("direct", 100, True, 1),
    ],
)
def test_minimum_responses_by_funding_and_method(make, method, fiscal, invited, expected):
    invited_org = make.agency().organisation.id if invited else None
    notice = make.method_notice(
        method, fiscal_share_pct=fiscal, invited_org_id=invited_org, ceiling_fen=50_000_00
    )
    assert minimum_responses(notice) == expected


def test_fiscal_notice_with_too_few_responses_fails_publicly_without_a_selection(make, db):
    notice, bids = make.opened_notice(
        "lowest", (60_000_00, 70_000_00), fiscal_share_pct=100, ceiling_fen=100_000_00
    )
    assert notice.state == "failed"
    assert notice.outcome_note == "有效响应不足：财政资金项目需至少 3 家，实际 2 家，流标"
    assert _selections(db) == 0 and notice.selected_bid is None
    assert _public_actions(notice)[-3:] == ["bidding_closed", "commitments_published", "failed"]
    failed = events_for("notice", notice.id)[-1]
    assert failed.data["responses"] == 2 and failed.data["required"] == 3


def test_fiscal_notice_with_three_responses_selects(make):
    notice, bids = make.opened_notice(
        "lowest", (60_000_00, 70_000_00, 65_000_00), fiscal_share_pct=100
    )
    assert notice.state == "publicity" and notice.selected_bid is bids[0]


def test_social_notice_with_one_response_awards_it(make):
    notice, (only,) = make.opened_notice("lowest", (99_000_00,))
    assert notice.state == "publicity" and notice.selected_bid is only


def test_no_bids_fails_the_notice_at_the_deadline(make):
    notice = make.method_notice("mean")
    make.close_bidding(notice)
    assert notice.state == "failed" and notice.outcome_note == "报价截止时无机构报价"


def test_bids_not_reconfirmed_after_an_edit_do_not_count(make, db):
    notice = make.method_notice("lowest")
    stale, fresh = make.quotes(notice, (50_000_00, 70_000_00))
    # What an edit of the published notice does (notices.update_notice): a new revision,
    # submitted bids invalidated. Only `fresh` is confirmed again.
    notice.revision += 1
    stale.status = fresh.status = "invalidated"
    agency_user = db.session.get(User, fresh.submitted_by_id)
    services.reconfirm_bid(agency_user, notice, 70_000_00, "方案")
    make.close_bidding(notice)
    assert notice.selected_bid is fresh and stale.status == "invalidated"
    assert notice.selections[0].candidates[0]["bid_id"] == fresh.id
    assert services.visible_bid_count(notice) == 1


def test_only_stale_bids_fail_the_notice_with_the_reason(make):
    notice = make.method_notice("lowest")
    (stale,) = make.quotes(notice, (50_000_00,))
    notice.revision += 1
    stale.status = "invalidated"
    make.close_bidding(notice)
    assert notice.state == "failed" and "因公告修改失效且未重新确认" in notice.outcome_note


def test_opening_publishes_every_commitment(make):
    notice, bids = make.opened_notice("direct", (60_000_00, 70_000_00))
    event = next(e for e in events_for("notice", notice.id) if e.action == "commitments_published")
    assert event.public and event.occurred_dt == notice.deadline_dt
    assert event.data["commitments"] == sorted(b.commitment for b in bids)
    assert event.data["summary"] == "报价截止，公开报价承诺值"


@pytest.mark.parametrize("method", ["random", "lowest", "mean", "credit"])
def test_automatic_methods_select_at_once_and_start_publicity(make, method, frozen_clock):
    amounts = (None, None) if method in ("random", "credit") else (60_000_00, 70_000_00)
    notice, bids = make.opened_notice(method, amounts, credit_scores=(90, 80))
    assert notice.state == "publicity" and notice.selected_bid in bids
    selection = notice.selections[0]
    assert selection.round == 1 and selection.method == method
    assert selection.winner_bid_id == notice.selected_bid.id
    assert selection.actor_user_id is None and selection.created_dt == notice.deadline_dt
    assert [c["bid_id"] for c in selection.candidates] == sorted(b.id for b in bids)
    assert notice.due_dt == notice.publicity_end_dt > notice.deadline_dt
    actions = _public_actions(notice)
    assert actions[-4:] == ["commitments_published", "selection", "selected", "publicity"]


@pytest.mark.parametrize("method", ["direct", "scored"])
def test_direct_and_scored_wait_for_the_purchaser(make, method, db):
    notice, bids = make.opened_notice(method, (60_000_00, 70_000_00))
    assert notice.state == "bidding_closed" and _selections(db) == 0


def test_select_bid_is_only_for_direct_selection(make):
    notice, bids = make.opened_notice("scored", (60_000_00, 70_000_00))
    with pytest.raises(ServiceError, match="综合评审"):
        services.select_bid(_buyer(notice), notice, bids[0].id, "理由")
    assert notice.state == "bidding_closed" and notice.selected_bid is None


def _buyer(notice):
    return notice.created_by


def test_direct_selection_writes_a_round_with_the_purchasers_reason(make):
    notice, (low, high) = make.opened_notice("direct", (60_000_00, 70_000_00))
    services.select_bid(_buyer(notice), notice, high.id, "技术方案更完整")
    selection = notice.selections[0]
    assert selection.winner_bid_id == high.id and selection.reason == "技术方案更完整"
    assert selection.actor_user_id == _buyer(notice).id
    assert selection.parameters["settings"]["chosen_bid_id"] == high.id
    assert services.verify_selection(selection).ok


def test_direct_selection_of_an_invalidated_bid_is_refused(make):
    notice, (low, high) = make.opened_notice("direct", (60_000_00, 70_000_00))
    low.status = "invalidated"
    with pytest.raises(ServiceError, match="未参与本轮选取"):
        services.select_bid(_buyer(notice), notice, low.id, "理由")
    assert notice.selected_bid is None and notice.selections == []


def _objection_upheld(make, notice):
    """What the objections engineer's decide_objection does before calling reselect."""
    transition(notice, "bidding_closed", make.staff("regulator"))


def test_reselect_runs_an_automatic_method_again_without_the_excluded_winner(make, db):
    notice, (low, middle, high) = make.opened_notice("lowest", (50_000_00, 60_000_00, 70_000_00))
    assert notice.selected_bid is low
    _objection_upheld(make, notice)
    regulator = make.staff("regulator")
    selection = services.reselect(notice, regulator, exclude_bid_id=low.id)
    assert selection.round == 2 and selection.winner_bid_id == middle.id
    assert low.status == "excluded" and middle.status == "selected"
    assert notice.state == "publicity"
    assert [c["bid_id"] for c in selection.candidates] == [middle.id, high.id]
    assert "bid_excluded" in _public_actions(notice)
    assert all(services.verify_selection(s).ok for s in notice.selections)


def test_reselect_without_exclusion_releases_the_winner_and_redraws(make):
    notice, bids = make.opened_notice("random", (None, None, None))
    first = notice.selected_bid
    _objection_upheld(make, notice)
    selection = services.reselect(notice, make.staff("regulator"))
    assert selection.round == 2 and first.status in ("submitted", "selected")
    assert sum(b.status == "selected" for b in bids) == 1
    # A new round has a new seed: the draw is not the same one re-used.
    assert notice.selections[0].seed != selection.seed


def test_reselect_for_direct_selection_waits_for_the_purchaser(make):
    notice, (low, high) = make.opened_notice("direct", (60_000_00, 70_000_00))
    services.select_bid(_buyer(notice), notice, low.id, "报价低")
    _objection_upheld(make, notice)
    assert services.reselect(notice, make.staff("regulator"), exclude_bid_id=low.id) is None
    assert notice.state == "bidding_closed" and notice.selected_bid is None
    with pytest.raises(ServiceError, match="未参与本轮选取"):
        services.select_bid(_buyer(notice), notice, low.id, "理由")
    services.select_bid(_buyer(notice), notice, high.id, "原中选机构被排除")
    assert [s.round for s in notice.selections] == [1, 2]


def test_reselect_fails_the_notice_when_too_few_responses_remain(make):
    notice, (low, high) = make.opened_notice("credit", (None, None), credit_scores=(95, 90))
    _objection_upheld(make, notice)
    assert services.reselect(notice, make.staff("regulator"), exclude_bid_id=low.id) is None
    assert notice.state == "failed"
    assert notice.outcome_note == "有效响应不足：信用择优项目需至少 2 家，实际 1 家，流标"


def test_reselect_needs_the_notice_back_in_selection(make):
    notice, (low,) = make.opened_notice("lowest", (50_000_00,))
    with pytest.raises(ServiceError, match="回到选取阶段"):
        services.reselect(notice, make.staff("regulator"))
    assert notice.state == "publicity" and low.status == "selected"


def test_selecting_on_someone_elses_notice_is_forbidden(make):
    notice, (low, high) = make.opened_notice("direct", (60_000_00, 70_000_00))
    with pytest.raises(NotAllowed):
        services.select_bid(make.purchaser(), notice, low.id, "理由")
    assert notice.selections == []
