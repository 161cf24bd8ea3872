"""A conduct record through every path of its due process, with the score, grade, measures and
public pages checked at each step (frozen clock)."""

from datetime import timedelta

import pytest

from market.agencies.services import agency_of, can_bid
from market.core.errors import NotAllowed, ServiceError
from market.core.models import AuditEvent
from market.credit.models import ConductRecord
from market.credit.records import appeals
from market.credit.records import services as records
from market.notifications.models import Notification
from tests.factories import PDF_BYTES, Upload

NUMBER = "生环信决〔2026〕7号"


def proof():
    return [Upload("evidence", "整改报告", "rectification.pdf", PDF_BYTES)]


def public_page(client, agency_user):
    return client.get(f"/credit/agencies/{agency_user.organisation.id}").get_data(as_text=True)


def disclosures(client):
    return client.get("/credit/disclosures").get_data(as_text=True)


def actions_of(record, db):
    return [
        e.action
        for e in db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.subject_type == "conduct_record", AuditEvent.subject_id == record.id)
            .order_by(AuditEvent.id)
        )
    ]


def test_report_notifies_the_agency_and_opens_a_three_working_day_window(make, db, frozen_clock):
    record, regulator, agency_user = make.conduct_report(code="A05")
    assert record.status == "reported"
    # Reported Tuesday 2026-11-24 10:00: three working days → Friday 27th, 10:00 (Shanghai).
    assert f"{record.response_due_dt:%Y-%m-%d %H:%M}" == "2026-11-27 02:00"
    notes = db.session.scalars(
        db.select(Notification).where(Notification.org_id == agency_user.organisation.id)
    ).all()
    assert any("陈述申辩" in n.body for n in notes)
    # Nothing counts before a decision.
    assert agency_of(agency_user).credit_score == 100


def test_no_decision_during_the_response_window_unless_the_agency_responded(make, db, frozen_clock):
    record, regulator, agency_user = make.conduct_report()
    with pytest.raises(ServiceError, match="陈述申辩期至"):
        records.decide(regulator, record.id, "confirmed", NUMBER)
    assert record.status == "reported" and record.decided_dt is None

    records.respond(agency_user, record.id, "合同已于次日签订，系系统操作延误", proof())
    records.decide(regulator, record.id, "dismissed_none", NUMBER, "经核实合同已签订")
    assert record.status == "dismissed_none"


def test_the_response_window_closes(make, frozen_clock):
    record, regulator, agency_user = make.conduct_report()
    frozen_clock.advance(days=4)
    with pytest.raises(ServiceError, match="陈述申辩期限已于 2026-11-27 10:00 届满"):
        records.respond(agency_user, record.id, "迟到的申辩")
    assert record.response_text == ""


def test_confirmed_warning_deducts_is_disclosed_and_shown_on_the_profile(
    make, db, client, frozen_clock
):
    record, regulator, agency_user = make.conduct_report(code="A05")
    frozen_clock.advance(days=4)
    with pytest.raises(ServiceError, match="请填写决定书文号"):
        records.decide(regulator, record.id, "confirmed", "  ")
    assert record.status == "reported"

    records.decide(regulator, record.id, "confirmed", NUMBER, "事实清楚")
    db.session.commit()
    agency = agency_of(agency_user)
    assert (agency.credit_score, agency.credit_grade) == (95, "A")
    assert can_bid(agency)[0]  # a warning does not block bidding
    # Decided, not yet disclosed: the public sees the deduction but not the record.
    page = public_page(client, agency_user)
    assert "已认定、待公示的不良行为" in page and "95" in page
    assert NUMBER not in disclosures(client)

    records.publish(regulator, record.id)
    db.session.commit()
    page = public_page(client, agency_user)
    assert "A05" in page and NUMBER in page and "-5" in page
    assert NUMBER in disclosures(client)
    storefront = client.get(f"/agencies/{agency_user.organisation.id}").get_data(as_text=True)
    assert "警示：A05" in storefront
    assert actions_of(record, db) == ["reported", "confirmed", "published"]


def test_dismissed_for_lack_of_evidence_changes_nothing(make, db, client, frozen_clock):
    record, regulator, agency_user = make.conduct_report(code="A07")
    frozen_clock.advance(days=4)
    with pytest.raises(ServiceError, match="不予认定时请说明理由"):
        records.decide(regulator, record.id, "dismissed_evidence", NUMBER, "")
    records.decide(regulator, record.id, "dismissed_evidence", NUMBER, "收费凭证不足以证明")
    db.session.commit()
    assert record.status == "dismissed_evidence"
    assert agency_of(agency_user).credit_score == 100
    with pytest.raises(ServiceError, match="不能再作认定"):
        records.decide(regulator, record.id, "confirmed", NUMBER)
    with pytest.raises(ServiceError):
        records.publish(regulator, record.id)
    assert NUMBER not in disclosures(client)


def test_suspension_blocks_bidding_with_reason_and_end_and_lifts_by_itself(
    make, db, client, frozen_clock
):
    record, regulator, agency_user = make.confirmed_record(code="A04", number=NUMBER)
    db.session.commit()
    agency = agency_of(agency_user)
    assert (agency.credit_score, agency.credit_grade) == (90, "A")
    allowed, reason = can_bid(agency)
    assert not allowed
    assert "A04" in reason and NUMBER in reason and "至 2027-02-27 止" in reason
    notice = make.notice()
    with pytest.raises(ServiceError, match="暂停参与投标"):
        make.bid(agency_user, notice)

    frozen_clock.set(agency.suspended_until + timedelta(minutes=1))
    assert can_bid(agency)[0]  # lifted at its end, before any recompute
    # The record still weighs until its 12-month publication ends; then the score is back.
    frozen_clock.set(record.publication_end_dt + timedelta(days=1))
    from market.credit.standing import recompute_all

    recompute_all()
    db.session.commit()
    agency = agency_of(agency_user)
    assert (agency.credit_score, agency.suspended_until) == (100, None)
    assert NUMBER not in disclosures(client)


def test_blacklist_for_the_publication_period(make, db, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A02")
    agency = agency_of(agency_user)
    assert agency.blacklisted and (agency.credit_score, agency.credit_grade) == (80, "B")
    allowed, reason = can_bid(agency)
    assert not allowed and "严重失信名单" in reason and "A02" in reason
    assert agency.blacklisted_until == record.publication_end_dt
    assert f"{record.publication_end_dt:%Y-%m}" == "2029-11"  # 36 months


def test_appeal_upheld_keeps_the_record(make, db, client, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A05", number=NUMBER)
    appeals.appeal(agency_user, record.id, "情况说明：对方未提供合同文本", proof())
    assert record.status == "appealed"
    assert agency_of(agency_user).credit_score == 95  # an appeal does not suspend it
    assert "复核中" in disclosures(client)
    with pytest.raises(ServiceError, match="请填写复核决定书文号|请填写决定书文号"):
        appeals.decide_appeal(regulator, record.id, "upheld", "", "理由")
    appeals.decide_appeal(regulator, record.id, "upheld", "生环复〔2026〕1号", "维持")
    db.session.commit()
    assert record.status == "confirmed" and record.appeal_result == "upheld"
    assert agency_of(agency_user).credit_score == 95
    with pytest.raises(ServiceError, match="未申请过复核"):
        appeals.appeal(agency_user, record.id, "再次申请")


def test_appeal_revoked_restores_score_and_leaves_the_public_list(make, db, client, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A04", number=NUMBER)
    appeals.appeal(agency_user, record.id, "放弃系因不可抗力")
    appeals.decide_appeal(regulator, record.id, "revoked", "生环复〔2026〕2号", "属不可抗力")
    db.session.commit()
    agency = agency_of(agency_user)
    assert record.status == "revoked"
    assert (agency.credit_score, agency.suspended_until, can_bid(agency)[0]) == (100, None, True)
    assert NUMBER not in disclosures(client)
    assert "A04" not in public_page(client, agency_user)


def test_appeal_out_of_time(make, frozen_clock):
    record, regulator, agency_user = make.confirmed_record()
    frozen_clock.advance(days=30)
    with pytest.raises(ServiceError, match="复核申请期限已于 .* 届满"):
        appeals.appeal(agency_user, record.id, "逾期的复核申请")
    assert record.status == "confirmed" and record.appealed_dt is None


def test_repair_only_after_the_minimum_period_then_out_of_score_and_list(
    make, db, client, frozen_clock
):
    record, regulator, agency_user = make.confirmed_record(code="A05", number=NUMBER)
    with pytest.raises(ServiceError, match="最短公示期至 .* 届满，届满后方可申请信用修复"):
        appeals.request_repair(agency_user, record.id, "已整改", proof())
    assert record.status == "confirmed"

    frozen_clock.set(record.repair_from_dt + timedelta(hours=1))  # 3 months for a general one
    with pytest.raises(ServiceError, match="请上传整改证明材料"):
        appeals.request_repair(agency_user, record.id, "已整改", [])
    appeals.request_repair(agency_user, record.id, "已签订合同并完成服务", proof())
    assert record.status == "repair_requested"
    with pytest.raises(ServiceError, match="不予修复时请说明理由"):
        appeals.decide_repair(regulator, record.id, False, "")
    appeals.decide_repair(regulator, record.id, False, "证明材料不完整")
    assert record.status == "confirmed"

    appeals.request_repair(agency_user, record.id, "补充了证明材料", proof())
    appeals.decide_repair(regulator, record.id, True)
    db.session.commit()
    assert record.status == "repaired"
    assert agency_of(agency_user).credit_score == 100
    assert NUMBER not in disclosures(client)
    assert actions_of(record, db)[-4:] == [
        "repair_requested",
        "repair_refused",
        "repair_requested",
        "repaired",
    ]


def test_another_departments_regulator_cannot_act(make, frozen_clock):
    record, regulator, agency_user = make.conduct_report()
    frozen_clock.advance(days=4)
    other = make.credit_regulator("气象部门")
    with pytest.raises(NotAllowed, match="生态环境部门"):
        records.decide(other, record.id, "confirmed", NUMBER)
    assert record.status == "reported"


def test_records_against_the_wrong_party_are_refused(make, db):
    regulator = make.credit_regulator()
    buyer = make.purchaser()
    with pytest.raises(ServiceError, match="标准 A05 适用于中介机构"):
        records.report(
            regulator,
            records.ReportData(subject_org_id=buyer.organisation.id, code="A05", facts="x"),
        )
    assert db.session.scalar(db.select(db.func.count(ConductRecord.id))) == 0


def test_an_agency_cannot_report(make):
    with pytest.raises(NotAllowed):
        records.report(
            make.agency(),
            records.ReportData(subject_org_id=make.agency().organisation.id, code="A05", facts="x"),
        )


def test_bulk_confirm_confirms_the_ready_and_skips_the_rest(make, db, frozen_clock):
    regulator = make.credit_regulator()
    ready = [make.conduct_report(regulator=regulator)[0] for _ in range(2)]
    frozen_clock.advance(days=4)
    fresh, *_ = make.conduct_report(regulator=regulator)
    confirmed, skipped = records.bulk_confirm(
        regulator, [r.id for r in ready] + [fresh.id], "生环信决〔2026〕9号"
    )
    assert [r.id for r in confirmed] == [r.id for r in ready]
    assert skipped and skipped[0][0] == fresh.id and "陈述申辩期" in skipped[0][1]
    assert fresh.status == "reported"
    with pytest.raises(ServiceError, match="决定书文号"):
        records.bulk_confirm(regulator, [fresh.id], "")


def test_a_record_keeps_the_criterion_version_it_was_judged_under(make, db, frozen_clock):
    from market.credit.criteria import CriterionData, save_criterion

    record, regulator, agency_user = make.confirmed_record(code="A05")
    save_criterion(
        make.staff("regulator", "发展改革部门"),
        CriterionData(
            code="A05",
            party="agency",
            behaviour="中选后未在规定时限内签订合同",
            severity="general",
            deduction=8,
            measure="warning",
            suspend_months=0,
            publish_months=6,
            change_note="提高扣分",
        ),
    )
    db.session.commit()
    assert record.criterion.version == 1 and record.criterion.deduction == 5
    assert agency_of(agency_user).credit_score == 95
    later, *_ = make.confirmed_record(code="A05")
    assert later.criterion.version == 2 and later.criterion.deduction == 8


def test_a_measure_shows_its_reason_only_once_the_record_is_published(
    make, db, client, frozen_clock
):
    """Before 公示 the public sees that a measure applies, never its criterion or number."""
    record, regulator, agency_user = make.confirmed_record(code="A04", number=NUMBER, publish=False)
    db.session.commit()
    storefront = client.get(f"/agencies/{agency_user.organisation.id}").get_data(as_text=True)
    credit = public_page(client, agency_user)
    for page in (storefront, credit):
        assert "暂停" in page and "已认定、待公示的不良行为" in page
        assert NUMBER not in page and "A04" not in page

    records.publish(regulator, record.id)
    db.session.commit()
    storefront = client.get(f"/agencies/{agency_user.organisation.id}").get_data(as_text=True)
    assert "A04" in storefront and NUMBER in storefront
    assert "A04" in public_page(client, agency_user) and NUMBER in public_page(client, agency_user)
