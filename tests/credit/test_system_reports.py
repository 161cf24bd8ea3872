"""Objective facts from procurement become system reports, with their evidence, for a
regulator of the item's department to confirm."""

from datetime import timedelta

from market.agencies.qualifications import reject_qualification
from market.core.signals import payment_overdue
from market.credit.models import ConductRecord
from market.credit.records import services as records
from market.credit.records.listeners import report_overdue_deliveries
from market.procurement import services as procurement
from market.procurement.runner import run_due


def records_of(db, org_id):
    return db.session.scalars(
        db.select(ConductRecord).where(ConductRecord.subject_org_id == org_id)
    ).all()


def test_a_missed_signing_deadline_reports_the_party_that_did_not_sign(make, db, frozen_clock):
    notice, buyer, winner = make.awarded_notice()
    procurement.sign_contract(buyer, notice, make.contract_pdf())
    frozen_clock.set(notice.sign_deadline_dt)
    run_due()
    assert records_of(db, buyer.organisation.id) == []
    (record,) = records_of(db, winner.organisation.id)
    assert (record.criterion.code, record.source, record.status) == ("A05", "system", "reported")
    assert record.department == notice.item.approving_department
    assert record.notice_id == notice.id and record.evidence["fact"] == "contract_not_signed"
    assert record.reported_by_id is None
    run_due()  # the runner again: no second report
    assert len(records_of(db, winner.organisation.id)) == 1


def test_a_purchaser_that_does_not_sign_is_reported_under_p02(make, db, frozen_clock):
    notice, buyer, winner = make.awarded_notice()
    procurement.sign_contract(winner, notice, make.contract_pdf())
    frozen_clock.set(notice.sign_deadline_dt)
    run_due()
    (record,) = records_of(db, buyer.organisation.id)
    assert (record.criterion.code, record.party) == ("P02", "purchaser")


def test_abandoning_a_selection_reports_the_purchaser(make, db):
    notice = make.notice()
    make.bid(make.agency(), notice)
    make.close_bidding(notice)
    procurement.cancel_notice(notice.created_by, notice, "项目资金未落实")
    (record,) = records_of(db, notice.purchaser_org_id)
    assert record.criterion.code == "P04" and record.evidence["reason"] == "项目资金未落实"


def test_cancelling_before_the_deadline_is_not_reported(make, db):
    notice = make.notice()
    procurement.cancel_notice(notice.created_by, notice, "需求变更")
    assert records_of(db, notice.purchaser_org_id) == []


def test_late_delivery_is_reported_on_delivery(make, db, frozen_clock):
    notice, buyer, winner = make.contracted_notice()
    contract = notice.contract
    frozen_clock.advance(days=notice.service_days + 1)
    procurement.mark_delivered(winner, notice, "报告书")
    (record,) = records_of(db, winner.organisation.id)
    assert record.criterion.code == "A06" and record.evidence["fact"] == "delivery_late"
    assert record.dedupe_key == f"A06:contract:{contract.id}"


def test_delivery_in_time_is_not_reported(make, db, frozen_clock):
    notice, buyer, winner = make.contracted_notice()
    frozen_clock.advance(days=notice.service_days - 1)
    procurement.mark_delivered(winner, notice, "报告书")
    assert records_of(db, winner.organisation.id) == []


def test_undelivered_after_the_service_period_is_reported_nightly_once(make, db, frozen_clock):
    notice, buyer, winner = make.contracted_notice()
    frozen_clock.advance(days=notice.service_days - 1)
    assert report_overdue_deliveries() == 0
    frozen_clock.advance(days=2)
    assert report_overdue_deliveries() == 1 and report_overdue_deliveries() == 0
    (record,) = records_of(db, winner.organisation.id)
    assert "仍未交付" in record.facts
    # Delivering late afterwards does not report it twice.
    procurement.mark_delivered(winner, notice, "报告书")
    assert len(records_of(db, winner.organisation.id)) == 1


def test_automatic_acceptance_reports_the_purchaser(make, db, frozen_clock):
    notice, buyer, winner = make.delivered_notice()
    frozen_clock.set(notice.accept_deadline_dt + timedelta(minutes=1))
    run_due()
    (record,) = records_of(db, buyer.organisation.id)
    assert record.criterion.code == "P03" and record.evidence["fact"] == "acceptance_late"


def test_an_evaluation_below_60_is_reported_when_revealed(make, db):
    poor = {"quality": 2, "timeliness": 3, "attitude": 3, "fees": 3, "conduct": 3}  # 56/100
    notice, buyer, winner = make.evaluated_notice(agency_scores=poor)
    (record,) = records_of(db, winner.organisation.id)
    assert record.criterion.code == "A13" and record.evidence["score"] == 56


def test_an_evaluation_of_60_is_not_reported(make, db):
    fair = {"quality": 3, "timeliness": 3, "attitude": 3, "fees": 3, "conduct": 3}  # 60/100
    notice, buyer, winner = make.evaluated_notice(agency_scores=fair)
    assert records_of(db, winner.organisation.id) == []


def test_a_rejected_qualification_is_reported_as_possibly_false(make, db):
    agency_user = make.agency()
    qualification = make.qualification(agency_user)
    regulator = make.staff("regulator", qualification.item.approving_department)
    reject_qualification(regulator, qualification.id, "证书编号查无此证")
    (record,) = records_of(db, agency_user.organisation.id)
    assert record.criterion.code == "A01" and "查无此证" in record.facts


def test_overdue_payment_is_reported(make, db):
    notice, buyer, winner = make.contracted_notice()
    payment_overdue.send(
        notice.contract, purchaser_org_id=buyer.organisation.id, due_dt=notice.state_changed_dt
    )
    (record,) = records_of(db, buyer.organisation.id)
    assert record.criterion.code == "P03" and record.evidence["fact"] == "payment_late"


def test_system_reports_can_be_confirmed_in_bulk_by_the_department(make, db, frozen_clock):
    first, _, a = make.awarded_notice()
    second, _, b = make.awarded_notice()
    frozen_clock.set(max(first.sign_deadline_dt, second.sign_deadline_dt))
    run_due()
    ids = [r.id for org in (a, b) for r in records_of(db, org.organisation.id)]
    assert len(ids) == 2
    frozen_clock.advance(days=7)
    regulator = make.regulator_for(first)
    confirmed, skipped = records.bulk_confirm(regulator, ids, "生环信决〔2026〕20号")
    assert len(confirmed) == 2 and skipped == []
    assert all(r.decision_number == "生环信决〔2026〕20号" for r in confirmed)
