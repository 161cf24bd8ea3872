"""Every deadline the runner applies, in one pass over a mix of notices, and only once."""

from datetime import timedelta

from market.core.audit import events_for
from market.procurement import services
from market.procurement.runner import apply_due, run_due
from market.procurement.states import NOTICE


def test_every_lasting_state_with_a_deadline_has_a_handler():
    due = {s.key: s.due for s in NOTICE if s.due}
    assert due == {
        "published": "deadline_dt",
        "publicity": "publicity_end_dt",
        "awarded": "sign_deadline_dt",
        "delivered": "accept_deadline_dt",
        "accepted": "evaluation_end_dt",
    }
    assert all(NOTICE.due_handler(state) is not None for state in due)


def test_one_pass_applies_every_kind_of_deadline_and_a_second_changes_nothing(make, frozen_clock):
    quiet = make.notice()
    quoted = make.notice()
    make.bid(make.agency(), quoted)
    in_publicity, *_ = make.publicity_notice()
    objected, _, _, rival = make.publicity_notice()
    services.file_objection(rival, objected, "报价异常")
    awarded, _, _ = make.awarded_notice()
    delivered, _, _ = make.delivered_notice()
    accepted, buyer, _ = make.accepted_notice()
    services.evaluate(buyer, accepted, make.GOOD_SCORES, "")
    contracted, _, _ = make.contracted_notice()
    notices = [quiet, quoted, in_publicity, objected, awarded, delivered, accepted, contracted]

    frozen_clock.advance(days=60)
    counts = [len(events_for("notice", n.id, public_only=False)) for n in notices]
    # The held-up notice counts: its due time was cleared (it waits for the decision).
    assert run_due() == 7
    assert [n.state for n in notices] == [
        "failed",
        "bidding_closed",
        "terminated",  # awarded at the publicity end, then nobody signed
        "publicity",  # an open objection holds the award
        "terminated",
        "evaluated",  # accepted automatically, then the evaluation window closed
        "evaluated",
        "contracted",
    ]
    assert in_publicity.contract is not None and delivered.contract.auto_accepted
    assert all(n.due_dt is None for n in notices)

    after = [len(events_for("notice", n.id, public_only=False)) for n in notices]
    assert run_due() == 0
    assert [len(events_for("notice", n.id, public_only=False)) for n in notices] == after
    assert after != counts
    for n in notices:
        assert apply_due(services.load_notice(n.id)) is False


def test_each_step_is_dated_at_its_own_deadline(make, frozen_clock):
    notice, buyer, winner = make.delivered_notice()
    accept_by = notice.accept_deadline_dt
    frozen_clock.advance(days=60)
    run_due()
    moves = {e.to_state: e.occurred_dt for e in events_for("notice", notice.id) if e.to_state}
    assert moves["accepted"] == accept_by
    assert moves["evaluated"] == notice.evaluation_end_dt > accept_by


def test_nothing_is_applied_a_second_before(make, frozen_clock):
    notices = [make.awarded_notice()[0], make.delivered_notice()[0], make.accepted_notice()[0]]
    for notice in notices:
        frozen_clock.set(notice.due_dt - timedelta(seconds=1))
        state = notice.state
        assert apply_due(notice) is False and notice.state == state


def test_a_limited_run_takes_the_most_overdue_first(make, frozen_clock):
    notices = [make.notice() for _ in range(3)]
    frozen_clock.set(max(n.deadline_dt for n in notices))
    assert run_due(limit=2) == 2
    assert [n.state for n in notices] == ["failed", "failed", "published"]
    assert run_due(limit=2) == 1 and run_due(limit=2) == 0
    assert notices[2].state == "failed"
