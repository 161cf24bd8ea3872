"""The score engine as pure functions: no database, explicit times."""

from datetime import UTC, datetime, timedelta

import pytest

from market.credit.score import (
    RecordFact,
    RedListFact,
    compute,
    evaluation_component,
    grade_of,
    is_active,
    next_change,
)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def record(deduction=5, measure="warning", status="confirmed", age_days=10, months=6, **kw):
    decided = NOW - timedelta(days=age_days)
    values = dict(
        record_id=kw.pop("record_id", 1),
        code=kw.pop("code", "A05"),
        behaviour="中选后未在规定时限内签订合同",
        status=status,
        deduction=deduction,
        measure=measure,
        decided_dt=decided,
        publication_end_dt=decided + timedelta(days=30 * months),
        decision_number="决〔2026〕1号",
    )
    values.update(kw)
    return RecordFact(**values)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (90, "A"), (89, "B"), (80, "B"), (79, "C"), (60, "C"), (59, "D"), (0, "D")],
)
def test_grades(score, grade):
    assert grade_of(score) == grade


def test_a_clean_agency_scores_100_with_one_line():
    standing = compute([], 0, 0, [], NOW)
    assert (standing.score, standing.grade) == (100, "A")
    assert [(line.label, line.points) for line in standing.lines] == [("基础分", 100)]


def test_active_deductions_add_up_and_each_has_a_line():
    standing = compute(
        [
            record(5, record_id=1),
            record(10, "suspend", record_id=2, measure_end_dt=NOW + timedelta(days=60)),
        ],
        0,
        0,
        [],
        NOW,
    )
    assert standing.score == 85 and standing.grade == "B"
    assert [line.points for line in standing.lines] == [100, -5, -10]
    assert standing.suspended_until == NOW + timedelta(days=60)
    assert "A05" in standing.reason
    assert len(standing.warnings) == 1


@pytest.mark.parametrize(
    "status", ["revoked", "repaired", "dismissed_none", "dismissed_evidence", "reported"]
)
def test_records_not_weighing(status):
    assert compute([record(20, status=status)], 0, 0, [], NOW).score == 100


def test_an_appeal_or_repair_request_does_not_suspend_the_deduction():
    for status in ("appealed", "repair_requested"):
        assert compute([record(20, status=status)], 0, 0, [], NOW).score == 80


def test_expiry_at_the_end_of_publication():
    r = record(10, age_days=200, months=6)
    assert not is_active(r, NOW)
    assert is_active(r, r.publication_end_dt - timedelta(seconds=1))
    assert not is_active(r, r.publication_end_dt)


def test_a_record_decided_in_the_future_does_not_count_yet():
    assert not is_active(record(age_days=-1), NOW)


@pytest.mark.parametrize(
    ("count", "total", "points"),
    [(0, 0, 0), (1, 4.0, 0), (2, 10.0, 5), (1, 4.6, 3), (1, 3.0, -5), (3, 3.0, -5), (1, 4.1, 0)],
)
def test_evaluation_component(count, total, points):
    assert evaluation_component(count, total) == points


def test_red_list_bonus_only_while_current_and_clipped_at_100():
    entry = RedListFact(
        1, 5, NOW - timedelta(days=1), NOW + timedelta(days=30), "连续三年无不良记录"
    )
    assert compute([record(10)], 0, 0, [entry], NOW).score == 95
    assert compute([], 0, 0, [entry], NOW).score == 100
    later = NOW + timedelta(days=31)
    assert compute([record(10, age_days=-31 + 10)], 0, 0, [entry], later).score == 90


def test_clipped_at_zero_and_blacklist_until_publication_end():
    records = [record(20, "blacklist", record_id=i, months=36) for i in range(1, 7)]
    standing = compute(records, 0, 0, [], NOW)
    assert (standing.score, standing.grade) == (0, "D")
    assert standing.blacklisted and standing.blacklisted_until == records[0].publication_end_dt


def test_an_ended_suspension_lifts_while_the_record_still_weighs():
    r = record(10, "suspend", measure_end_dt=NOW - timedelta(days=1), months=12)
    standing = compute([r], 0, 0, [], NOW)
    assert standing.score == 90 and standing.suspended_until is None and standing.reason == ""


def test_the_next_change_by_time_alone_is_the_earliest_moment_to_come():
    suspension = record(
        record_id=2,
        code="A04",
        measure="suspend",
        age_days=10,
        months=12,
        measure_end_dt=NOW + timedelta(days=80),
    )
    warning = record(age_days=170)  # its 6-month publication ends in 10 days
    listed = RedListFact(3, 5, NOW + timedelta(days=2), NOW + timedelta(days=180), "守信")
    assert next_change([suspension, warning], [], NOW) == warning.publication_end_dt
    assert next_change([suspension], [], NOW) == NOW + timedelta(days=80)  # the measure's end
    assert next_change([suspension], [listed], NOW) == NOW + timedelta(days=2)  # listing starts
    # The oldest evaluation counted leaves the 12-month window in 1 day.
    leaves = NOW + timedelta(days=1)
    assert next_change([suspension, warning], [listed], NOW, leaves) == leaves
    assert next_change([], [], NOW) is None  # nothing will change by itself


def test_a_measure_names_a_record_only_once_it_is_published():
    published = record(code="A04", measure="suspend", measure_end_dt=NOW + timedelta(days=90))
    pending = record(
        record_id=2,
        code="A03",
        measure="suspend",
        measure_end_dt=NOW + timedelta(days=60),
        disclosed=False,
    )
    assert compute([pending], 0, 0, [], NOW).reason == "已认定、待公示的不良行为"
    reason = compute([published, pending], 0, 0, [], NOW).reason
    assert reason.startswith("A04 ") and "决〔2026〕1号" in reason
    assert "A03" not in reason and "已认定、待公示的不良行为" in reason
