"""The due-time runner: deadlines apply on read, by CLI, and only once."""

from datetime import timedelta

from market.core.audit import events_for
from market.procurement.runner import run_due
from market.procurement.services import load_notice


def test_notice_without_quotes_fails_at_the_deadline(make, frozen_clock):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt)
    assert run_due() == 1
    assert notice.state == "failed" and notice.outcome_note == "报价截止时无机构报价"
    assert notice.due_dt is None


def test_run_due_is_idempotent(make, frozen_clock):
    notices = [make.notice() for _ in range(3)]
    make.bid(make.agency(), notices[0])
    frozen_clock.set(max(n.deadline_dt for n in notices))
    assert run_due() == 3
    assert run_due() == 0
    assert [n.state for n in notices] == ["bidding_closed", "failed", "failed"]
    closes = [e for e in events_for("notice", notices[0].id) if e.to_state == "bidding_closed"]
    assert len(closes) == 1


def test_nothing_happens_before_the_due_time(make, frozen_clock):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt - timedelta(seconds=1))
    assert run_due() == 0 and notice.state == "published"


def test_reading_an_overdue_notice_applies_it_first(make, frozen_clock):
    notice = make.notice()
    make.bid(make.agency(), notice)
    frozen_clock.set(notice.deadline_dt + timedelta(days=1))
    assert load_notice(notice.id).state == "bidding_closed"


def test_runner_walks_several_due_steps_in_one_pass(make, frozen_clock):
    from market.procurement.services import select_bid

    notice, buyer, winner = make.contracted_notice()
    assert notice.state == "contracted" and notice.due_dt is None
    # A second notice selected and then left alone well past publicity and the signing deadline.
    other = make.notice(buyer)
    bid = make.bid(make.agency(), other)
    make.close_bidding(other)
    select_bid(buyer, other, bid.id, "唯一报价")
    frozen_clock.advance(days=30)
    assert run_due() == 1
    assert other.contract is not None and other.state == "terminated"
    moves = [(e.from_state, e.to_state) for e in events_for("notice", other.id) if e.to_state]
    assert moves[-2:] == [("publicity", "awarded"), ("awarded", "terminated")]
    assert notice.state == "contracted"


def test_cli_run_due_reports_how_many_changed(app, make, frozen_clock):
    notice = make.notice()
    frozen_clock.set(notice.deadline_dt)
    result = app.test_cli_runner().invoke(args=["market", "run-due"])
    assert result.exit_code == 0
    assert "已处理到期公告 1 个" in result.output
    assert notice.state == "failed"


def test_a_deadline_applied_late_is_recorded_at_the_deadline(make, frozen_clock):
    notice = make.notice()
    make.bid(make.agency(), notice)
    frozen_clock.set(notice.deadline_dt + timedelta(days=3))
    run_due()
    closing = next(e for e in events_for("notice", notice.id) if e.to_state == "bidding_closed")
    assert closing.occurred_dt == notice.deadline_dt
    assert closing.created_dt == frozen_clock.now
    assert notice.state_changed_dt == notice.deadline_dt
