"""Offline payment, the embedded default: the notice's payment plan becomes the contract's
milestones in fen, each falls due some working days after its event, the purchaser records
its bank transfers, the agency confirms or disputes them, a regulator decides disputes, and a
purchaser who does not pay is reminded and then reported."""

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from market.agencies.documents import Upload
from market.core.clock import local_today, to_local
from market.core.errors import NotAllowed, ServiceError
from market.credit.models import ConductRecord
from market.extensions import db as database
from market.notifications.models import Notification
from market.payments import services
from market.payments.models import Payment
from market.procurement import services as procurement
from market.procurement.models import Notice
from tests.factories import PDF_BYTES

SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


def milestones(notice):
    return services.contract_milestones(notice.contract.id)


def inbox(org_id, kind):
    return list(
        database.session.scalars(
            select(Notification).where(Notification.org_id == org_id, Notification.kind == kind)
        )
    )


def record(buyer, milestone, make, **overrides):
    """The purchaser records the transfer in full today, uploading its voucher."""
    values = {"document_id": None, "upload": uploaded_voucher(), **overrides}
    return make.bank_transfer(buyer, milestone, **values)


def uploaded_voucher():
    return Upload("voucher", "银行回单", "receipt.pdf", PDF_BYTES)


# --- the plan ---------------------------------------------------------------------------------


def test_a_notice_without_a_plan_pays_everything_ten_working_days_after_acceptance(make):
    notice, _, _ = make.contracted_notice(amount_fen=80_000_00)
    (only,) = milestones(notice)
    assert (only.label, only.percent, only.event, only.due_working_days) == (
        "服务费",
        100,
        "acceptance",
        10,
    )
    assert only.amount_fen == 80_000_00 and only.state == "scheduled"


def test_the_plan_splits_the_amount_in_fen_that_add_up(make):
    notice, _, _ = make.contracted_notice(amount_fen=80_000_01, payment_plan=SPLIT)
    advance, balance = milestones(notice)
    # 30% of ¥80,000.01 is ¥24,000.003: whole fen, the rest goes to the last milestone.
    assert advance.amount_fen == 24_000_00 and balance.amount_fen == 56_000_01
    assert advance.amount_fen + balance.amount_fen == notice.contract.amount_fen


@pytest.mark.parametrize(
    "plan, message",
    [
        (
            [("预付款", 30, "signing", 10), ("尾款", 60, "acceptance", 10)],
            "合计应为 100%，现为 90%",
        ),
        ([("", 100, "acceptance", 10)], "第 1 个付款节点：请填写名称"),
        ([("尾款", 100, "acceptance", 61)], "付款期限应为 1–60 个工作日"),
        ([("尾款", 100, "delivery", 10)], "请选择付款条件"),
        ([("款", 0, "acceptance", 10), ("尾款", 100, "acceptance", 10)], "比例应为 1–100"),
    ],
)
def test_a_plan_that_does_not_add_up_is_refused_with_what_is_wrong(make, plan, message):
    buyer = make.purchaser()
    with pytest.raises(ServiceError, match=message):
        procurement.create_notice(buyer, make.notice_data(payment_plan=plan))


def test_every_bidder_reads_the_plan_on_the_notice(client, make):
    notice = make.notice(payment_plan=SPLIT)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "预付款 30%，合同签订后 10 个工作日内支付" in page
    assert "尾款 70%，验收通过后 10 个工作日内支付" in page


def test_the_notice_form_takes_the_plan(client, auth, make):
    buyer = make.purchaser()
    auth.login(buyer)
    data = {
        "item_id": make.item().id,
        "title": "环评服务采购",
        "scope": "编制报告书",
        "service_days": 30,
        "method": "direct",
        "ceiling": "100000",
        "deadline": "2026-12-10T10:00",
        "contact_name": "王五",
        "contact_phone": "023-67001234",
        "milestones-0-title": "预付款",
        "milestones-0-percent": "40",
        "milestones-0-event": "signing",
        "milestones-0-days": "5",
        "milestones-1-title": "尾款",
        "milestones-1-percent": "50",
        "milestones-1-event": "acceptance",
        "milestones-1-days": "15",
    }
    refused = client.post("/notices/new", data=data)
    assert refused.status_code == 200  # the form again, with the reason
    assert "各付款节点比例合计应为 100%，现为 90%" in refused.get_data(as_text=True)
    data["milestones-1-percent"] = "60"
    assert client.post("/notices/new", data=data).status_code == 302
    notice = database.session.scalar(
        select(Notice).where(Notice.purchaser_org_id == buyer.organisation.id)
    )
    assert notice.payment_plan == [
        {"label": "预付款", "percent": 40, "event": "signing", "days": 5},
        {"label": "尾款", "percent": 60, "event": "acceptance", "days": 15},
    ]


# --- deadlines, reminders, the late-payment report -------------------------------------------


def test_signing_makes_the_advance_due_ten_working_days_later(make, frozen_clock):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    signed = to_local(notice.contract.agency_signed_dt)
    # No holiday in December 2026: ten working days are two calendar weeks.
    assert to_local(advance.due_dt) == signed + timedelta(days=14)
    assert advance.state == "due" and balance.state == "scheduled"
    (told,) = inbox(buyer.organisation.id, "payment_due")
    assert "预付款" in told.title and f"{to_local(advance.due_dt):%Y-%m-%d}" in told.body


def test_an_unpaid_milestone_is_reminded_then_reported_once(make, frozen_clock, db):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    frozen_clock.set(advance.due_dt - timedelta(seconds=1))
    assert services.run_due() == 0
    frozen_clock.set(advance.due_dt + timedelta(minutes=1))
    assert services.run_due() == 1
    assert advance.state == "overdue"
    (reminder,) = inbox(buyer.organisation.id, "payment_overdue")
    assert "逾期付款记入本单位信用记录" in reminder.body
    # Five more working days (one calendar week) before the report.
    assert to_local(advance.report_dt) == to_local(advance.due_dt) + timedelta(days=7)
    frozen_clock.set(advance.report_dt + timedelta(minutes=1))
    assert services.run_due() == 1
    assert services.run_due() == 0
    reports = db.session.scalars(
        select(ConductRecord).where(ConductRecord.subject_org_id == buyer.organisation.id)
    ).all()
    assert len(reports) == 1
    (report,) = reports
    assert report.criterion.code == "P03" and report.status == "reported"
    assert report.evidence["milestone_id"] == advance.id and "预付款" in report.facts
    assert advance.state == "overdue" and advance.reported_dt is not None


def test_the_late_payment_report_follows_the_credit_mapping(make, frozen_clock, db):
    from market.credit import criteria

    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    regulator = make.staff("regulator", "发展改革部门")
    criteria.remap_fact(regulator, "payment_late", "P02", "逾期付款按不签合同同等处理")
    frozen_clock.set(advance.due_dt + timedelta(days=30))
    services.run_due()
    (report,) = db.session.scalars(
        select(ConductRecord).where(ConductRecord.subject_org_id == buyer.organisation.id)
    ).all()
    assert report.criterion.code == "P02"


# --- recording, confirming, disputing -----------------------------------------------------------


def test_a_recorded_transfer_confirmed_by_the_agency_is_paid_on_time(make, frozen_clock):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    frozen_clock.advance(days=3)
    payment = record(buyer, advance, make)
    assert advance.state == "recorded" and payment.status == "recorded"
    assert payment.document.kind == "voucher"
    (told,) = inbox(winner.organisation.id, "payment_recorded")
    assert "31000012345678" in told.body
    with pytest.raises(NotAllowed):
        services.confirm_receipt(buyer, advance)
    services.confirm_receipt(winner, advance)
    assert advance.state == "paid" and advance.days_late == 0
    assert to_local(advance.paid_dt).date() == local_today()


def test_a_transfer_paid_after_the_due_date_counts_its_days_late(make, frozen_clock):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    frozen_clock.set(advance.due_dt + timedelta(days=4))
    services.run_due()
    record(buyer, advance, make)
    services.confirm_receipt(winner, advance)
    assert advance.state == "paid" and advance.days_late == 4


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"amount_fen": 1}, "amount", "转账金额应为该付款节点的金额 ¥24,000.00"),
        ({"paid_on": date(2027, 1, 1)}, "paid_on", "转账日期不能晚于今天"),
        ({"paid_on": date(2020, 1, 1)}, "paid_on", "转账日期不能早于合同成立日期"),
        ({"bank_reference": "12"}, "bank_reference", "请填写银行流水号"),
        ({"upload": None}, "file", "请上传付款凭证"),
    ],
)
def test_a_wrong_transfer_record_is_refused_and_writes_nothing(make, change, field, message, db):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    with pytest.raises(ServiceError, match=message) as refused:
        record(buyer, advance, make, **change)
    assert refused.value.field == field
    assert advance.state == "due"
    assert db.session.scalar(select(Payment.id)) is None


def test_only_the_purchaser_records_and_only_when_owed(make):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    with pytest.raises(NotAllowed):
        record(winner, advance, make)
    with pytest.raises(NotAllowed):
        record(make.purchaser(), advance, make)
    with pytest.raises(ServiceError, match="尾款当前为「未到付款条件」，不能登记付款"):
        record(buyer, balance, make)


def test_a_dispute_goes_to_the_regulator_who_decides_it_unpaid(make, frozen_clock, db):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    record(buyer, advance, make)
    with pytest.raises(ServiceError, match="请写明异议理由"):
        services.dispute_payment(winner, advance, "无")
    services.dispute_payment(winner, advance, "截至今日未到账")
    assert advance.state == "disputed"
    regulator = make.regulator_for(notice)
    visible = db.session.scalars(services.disputes_query("生态环境部门")).all()
    assert visible == [advance]
    other = make.staff("regulator", "住房城乡建设部门")
    assert db.session.scalars(services.disputes_query("住房城乡建设部门")).all() == []
    with pytest.raises(NotAllowed):
        services.decide_dispute(other, advance, paid=False, note="经核实未到账")
    frozen_clock.set(advance.due_dt + timedelta(days=2))
    services.decide_dispute(regulator, advance, paid=False, note="经核实银行未到账")
    assert advance.state == "overdue" and advance.paid_dt is None
    assert advance.report_dt is not None  # reported later if still unpaid
    # The purchaser records it again; this time the agency confirms it.
    record(buyer, advance, make, bank_reference="31000099990000")
    services.confirm_receipt(winner, advance)
    assert advance.state == "paid" and advance.days_late == 2


def test_the_regulator_may_find_a_disputed_transfer_paid(make):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    record(buyer, advance, make)
    services.dispute_payment(winner, advance, "金额与登记不符")
    services.decide_dispute(make.regulator_for(notice), advance, paid=True, note="银行回单为证")
    assert advance.state == "paid"


# --- acceptance, termination ----------------------------------------------------------------------


def test_acceptance_makes_the_balance_due(make):
    notice, buyer, _ = make.accepted_notice(payment_plan=SPLIT)
    _, balance = milestones(notice)
    assert balance.state == "due"
    accepted = to_local(notice.contract.accepted_dt)
    assert to_local(balance.due_dt) == accepted + timedelta(days=14)


def test_termination_cancels_what_is_not_owed_yet(make, frozen_clock):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    procurement.terminate_contract(buyer, notice, "项目取消")
    assert advance.state == "cancelled" and balance.state == "cancelled"


def test_an_overdue_milestone_stays_owed_after_termination(make, frozen_clock):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    frozen_clock.set(advance.due_dt + timedelta(days=1))
    services.run_due()
    procurement.terminate_contract(buyer, notice, "项目取消")
    assert advance.state == "overdue" and balance.state == "cancelled"


# --- pages ---------------------------------------------------------------------------------


def test_the_public_timeline_shows_payment_facts_without_bank_details(client, make, frozen_clock):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    record(buyer, advance, make)
    services.confirm_receipt(winner, advance)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "预付款（¥24,000.00）：中选机构确认收款" in page
    assert "预付款（¥24,000.00）：采购人登记银行转账" in page
    assert "31000012345678" not in page  # the bank reference stays with the parties
    assert 'id="milestones"' in page and "已付款" in page


def test_the_parties_record_and_confirm_through_the_pages(client, auth, make):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    auth.login(buyer)
    page = client.get(f"/payments/milestones/{advance.id}").get_data(as_text=True)
    assert "登记银行转账" in page
    refused = client.post(
        f"/payments/milestones/{advance.id}/transfer",
        data={"paid_on": "2026-11-24", "amount": "1e309", "bank_reference": "310000123456"},
    )
    assert refused.status_code == 422
    assert "金额不能超过 ¥10,000,000,000.00" in refused.get_data(as_text=True)
    sent = client.post(
        f"/payments/milestones/{advance.id}/transfer",
        data={
            "paid_on": f"{local_today():%Y-%m-%d}",
            "amount": "24000",
            "bank_reference": "310000123456",
            "file": (io.BytesIO(uploaded_voucher().content), "回单.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    assert advance.state == "recorded"
    auth.logout()
    auth.login(winner)
    page = client.get(f"/payments/milestones/{advance.id}").get_data(as_text=True)
    assert "确认已收到 ¥24,000.00" in page and "310000123456" in page
    assert client.post(f"/payments/milestones/{advance.id}/confirm").status_code == 302
    assert advance.state == "paid"
    receipt = client.get(f"/payments/milestones/{advance.id}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages)
    assert "付款凭证" in text and "¥24,000.00" in text and "310000123456" in text
    assert notice.contract.number in text
    assert "网上中介超市 · 付款凭证 1/1" in text  # the page footer

    # the same receipt for someone who reads English, footer included
    client.get("/language/en")
    receipt = client.get(f"/payments/milestones/{advance.id}/receipt.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages)
    assert "Payment receipt" in text and "¥24,000.00" in text and "付款凭证" not in text
    assert "Online Intermediary Marketplace · payment receipt 1/1" in text


def test_outsiders_do_not_see_a_milestone(client, auth, make):
    notice, _, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    auth.login(make.agency())
    assert client.get(f"/payments/milestones/{advance.id}").status_code in (403, 404)
    assert client.get(f"/payments/milestones/{advance.id}/receipt.pdf").status_code in (403, 404)


def test_a_purchasers_public_record_shows_its_share_on_time_and_median_days_late(
    client, make, frozen_clock
):
    buyer = make.purchaser()
    plan = [("服务费", 100, "signing", 10)]
    first, second, third = (
        milestones(make.contracted_notice(payment_plan=plan)[0])[0] for _ in range(3)
    )
    due = frozen_clock.now + timedelta(days=1)
    for m in (first, second, third):  # one purchaser's three milestones, due together
        m.purchaser_org_id = buyer.organisation.id
        m.due_dt = due
    record(buyer, first, make)  # on time
    frozen_clock.set(due + timedelta(days=4))
    services.run_due()
    record(buyer, second, make)  # 4 days late
    frozen_clock.set(due + timedelta(days=6))  # the third: unpaid, 6 days late so far
    page = client.get(f"/purchasers/{buyer.organisation.id}").get_data(as_text=True)
    assert 'id="on-time-share">33%' in page
    assert 'id="overdue-count">1 个' in page
    assert 'id="median-late">5 天' in page


def test_the_departments_regulators_see_the_dispute_on_their_workspace(client, auth, make):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    record(buyer, advance, make)
    services.dispute_payment(winner, advance, "截至今日未到账")
    auth.login(make.regulator_for(notice))
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="payment-disputes"><span class="fs-4 fw-bold">1</span>', page)
    listed = client.get("/payments?state=disputed").get_data(as_text=True)
    assert f"/payments/milestones/{advance.id}" in listed
    auth.logout()
    auth.login(make.staff("regulator", "住房城乡建设部门"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="payment-disputes"><span class="fs-4 fw-bold">0</span>', page)
    assert f"/payments/milestones/{advance.id}" not in client.get("/payments").get_data(
        as_text=True
    )


def test_a_voucher_is_chosen_among_the_purchasers_vouchers_only(make, db):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    other = make.document(buyer, kind="other", title="项目说明")
    with pytest.raises(ServiceError, match="请选择资料库中的付款凭证") as refused:
        record(buyer, advance, make, upload=None, document_id=other.id)
    assert refused.value.field == "document_id"
    voucher = make.document(buyer, kind="voucher", title="银行回单")
    payment = record(buyer, advance, make, upload=None, document_id=voucher.id)
    assert payment.document == voucher
    from market.agencies.documents import can_read

    assert can_read(winner, voucher) and not can_read(make.agency(), voucher)


def test_the_payments_csv_follows_the_filter_in_a_few_queries(client, auth, make, db):
    from tests.sql import statements_of

    rows = [make.contracted_notice(payment_plan=SPLIT)[0] for _ in range(3)]
    first = milestones(rows[0])[0]
    record(rows[0].created_by, first, make)
    auth.login(make.staff("operator", "平台运营中心"))
    db.session.flush()
    db.session.expunge_all()  # rows read afresh, as in a request of their own
    statements, response = statements_of(db, lambda: client.get("/payments.csv?state=due"))
    body = response.data.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("合同编号,项目,采购人,中选机构,付款节点")
    assert len(lines) == 1 + 2  # the two advances still due, not the recorded one
    assert all(",预付款,30," in line and ",待支付," in line for line in lines[1:])
    every = client.get("/payments.csv").data.decode("utf-8-sig").strip().splitlines()
    assert len(every) == 1 + 6
    # the login, then the milestones, their contracts, notices, purchasers, agencies and
    # payments a statement each: as many for 2 rows as for 50,000
    assert statements == 7


def test_a_host_without_pdf_libraries_says_so_instead_of_failing(client, auth, make, monkeypatch):
    import builtins

    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    record(buyer, advance, make)
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    auth.login(buyer)
    response = client.get(f"/payments/milestones/{advance.id}/receipt.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert "暂时无法生成 PDF 付款凭证" in response.get_data(as_text=True)


def test_a_purchasers_page_lists_its_published_notices_not_its_drafts(client, make):
    buyer = make.purchaser()
    make.notice(buyer, title="礼嘉智慧公园环评服务采购")
    make.notice(buyer, publish=False, title="尚未发布的草稿")
    page = client.get(f"/purchasers/{buyer.organisation.id}").get_data(as_text=True)
    assert "礼嘉智慧公园环评服务采购" in page and "尚未发布的草稿" not in page
    assert "尚无到期的付款节点" in page
    assert client.get(f"/purchasers/{make.agency().organisation.id}").status_code == 404
