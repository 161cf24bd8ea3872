"""Standing that changes with time alone, kept up by the worker: expiries every minute, the
nightly run once a day after 01:30 Shanghai time."""

from datetime import UTC, datetime, timedelta

from market.agencies.services import agency_of
from market.core.models import WorkerMark
from market.credit.models import ConductRecord
from market.credit.tasks import nightly, recompute_expired


def test_an_expired_record_lifts_the_agency_within_a_round(make, db, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A04")  # −10, suspended
    assert recompute_expired() == 0  # the first round marks where it starts
    assert agency_of(agency_user).credit_score == 90
    frozen_clock.set(record.measure_end_dt + timedelta(minutes=1))  # suspension over
    assert recompute_expired() == 1
    agency = agency_of(agency_user)
    assert agency.suspended_until is None and agency.credit_score == 90  # still published
    frozen_clock.set(record.publication_end_dt + timedelta(minutes=1))
    assert recompute_expired() == 1
    assert agency_of(agency_user).credit_score == 100
    assert recompute_expired() == 0  # nothing new since the last round


def test_the_nightly_run_starts_after_half_past_one_once_a_day(make, db, frozen_clock):
    notice, buyer, winner = make.contracted_notice()
    # 2027-01-05 01:29 in Shanghai (17:29 UTC the day before): not yet.
    frozen_clock.set(datetime(2027, 1, 4, 17, 29, tzinfo=UTC))
    assert nightly() == 0
    frozen_clock.set(datetime(2027, 1, 4, 17, 31, tzinfo=UTC))  # 01:31
    assert nightly() == 1
    late = db.session.scalar(
        db.select(ConductRecord).where(ConductRecord.subject_org_id == winner.organisation.id)
    )
    assert late.criterion.code == "A06"  # the service period ran out: reported
    frozen_clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))  # 17:00 the same day
    assert nightly() == 0
    frozen_clock.set(datetime(2027, 1, 5, 17, 31, tzinfo=UTC))  # 01:31 the next day
    assert nightly() == 1
    mark = db.session.get(WorkerMark, "credit-nightly")
    assert mark.done_until == datetime(2027, 1, 5, 17, 31, tzinfo=UTC)
