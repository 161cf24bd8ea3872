"""remind_due(): one reminder per party that must act before a deadline within one working
day; a second run adds none; `flask market run-due` sends them too."""

from datetime import datetime, timedelta

from market.core.clock import from_local, to_local
from market.procurement import services
from market.procurement.reminders import remind_due

from .helpers import inbox, mailed_to, rows


def test_both_unsigned_parties_are_reminded_once_before_the_signing_deadline(
    db, make, frozen_clock, mail_on_commit
):
    notice, buyer, winner = make.awarded_notice()
    deadline = notice.sign_deadline_dt
    frozen_clock.set(deadline - timedelta(days=3))  # more than a working day ahead
    assert remind_due() == 0

    frozen_clock.set(deadline - timedelta(hours=2))
    db.session.commit()  # the award's own notifications
    mail_on_commit.clear()
    assert remind_due() == 2
    title = f"「{notice.title}」合同签订即将到期"
    assert inbox(buyer)[-1] == title and inbox(winner)[-1] == title
    db.session.commit()
    assert sorted(to for to, _ in mailed_to(mail_on_commit)) == sorted(
        [[buyer.email], [winner.email]]
    )

    frozen_clock.advance(minutes=30)
    assert remind_due() == 0  # the second run (cron every few minutes) repeats nothing
    assert inbox(buyer).count(title) == 1


def test_a_party_that_has_signed_is_not_reminded(db, make, frozen_clock):
    notice, buyer, winner = make.awarded_notice()
    services.sign_contract(buyer, notice, make.contract_pdf())
    frozen_clock.set(notice.sign_deadline_dt - timedelta(hours=2))
    assert remind_due() == 1
    assert inbox(winner)[-1] == f"「{notice.title}」合同签订即将到期"
    assert f"「{notice.title}」合同签订即将到期" not in inbox(buyer)


def test_a_passed_deadline_is_not_reminded(db, make, frozen_clock):
    notice, _, _ = make.awarded_notice()
    frozen_clock.set(notice.sign_deadline_dt + timedelta(minutes=1))
    assert remind_due() == 0


def test_the_purchaser_is_reminded_to_accept_and_both_to_evaluate(db, make, frozen_clock):
    notice, buyer, winner = make.delivered_notice()
    frozen_clock.set(notice.accept_deadline_dt - timedelta(hours=1))
    assert remind_due() == 1
    assert inbox(buyer)[-1] == f"「{notice.title}」验收即将到期"
    deadline = f"{to_local(notice.accept_deadline_dt):%Y-%m-%d %H:%M}"
    assert f"请在 {deadline} 前验收或退回交付成果" in rows(buyer)[-1].body

    services.accept_delivery(buyer, notice)
    services.evaluate(buyer, notice, make.GOOD_SCORES, "成果扎实")
    frozen_clock.set(notice.evaluation_end_dt - timedelta(hours=1))
    assert remind_due() == 1  # the purchaser has rated already
    assert inbox(winner)[-1] == f"「{notice.title}」评价即将截止"


def test_agencies_that_have_not_reconfirmed_are_reminded_before_the_bidding_deadline(
    db, make, frozen_clock
):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    slow, quick = make.agency(), make.agency()
    make.bid(slow, notice)
    make.bid(quick, notice)
    services.update_notice(
        buyer, notice, make.notice_data(deadline=notice.deadline_dt + timedelta(days=1))
    )
    services.reconfirm_bid(quick, notice, 80_000_00, "方案")
    frozen_clock.set(notice.deadline_dt - timedelta(hours=3))
    assert remind_due() == 1
    assert inbox(slow)[-1] == f"「{notice.title}」报价即将截止，请重新确认报价"
    assert not any("报价即将截止" in t for t in inbox(quick))


def test_run_due_sends_the_reminders_and_counts_them(app, db, make, frozen_clock):
    notice, buyer, _ = make.awarded_notice()
    frozen_clock.set(notice.sign_deadline_dt - timedelta(hours=2))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["market", "run-due"])
    assert result.exit_code == 0
    assert "发送期限提醒 2 条" in result.output
    assert "发送期限提醒 0 条" in runner.invoke(args=["market", "run-due"]).output
    assert inbox(buyer)[-1] == f"「{notice.title}」合同签订即将到期"


def test_one_working_day_ahead_spans_the_national_day_holidays(db, make, frozen_clock):
    notice, buyer, _ = make.awarded_notice()
    # Thursday 2026-10-08 is the first working day after the week of 10-01..07.
    notice.sign_deadline_dt = notice.due_dt = from_local(datetime(2026, 10, 8, 9, 0))
    frozen_clock.set(from_local(datetime(2026, 9, 29, 10, 0)))
    assert remind_due() == 0  # two working days before (09-30 is one)
    frozen_clock.set(from_local(datetime(2026, 9, 30, 10, 0)))
    assert remind_due() == 2
