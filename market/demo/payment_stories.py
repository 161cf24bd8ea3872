"""The demo's payments: among the finished contracts, milestones paid on time, paid late,
disputed by the agency, still unpaid and reported, and held funds partly refunded; every
other milestone as the stories left it (due, or waiting for its event).

The demo runs offline (bank transfers). The refunded milestone is a payment from a period when
online payment (资金托管) was on: its attempt and refund are recorded as the gateway's events
would have recorded them, without calling any gateway."""

from datetime import timedelta

from sqlalchemy import select

from ..agencies.documents import Upload
from ..core.clock import to_local, travel
from ..extensions import db
from ..payments import services as payments
from ..payments.models import Milestone, Payment
from .storefronts import demo_pdf

VOUCHER = "银行电子回单"


def _voucher():
    return Upload("voucher", VOUCHER, "receipt.pdf", demo_pdf("Bank receipt"))


def _record(buyer, milestone, at, reference):
    with travel(at):
        payments.apply_due(milestone)
        payments.record_transfer(
            buyer,
            milestone,
            paid_on=to_local(at).date(),
            amount_fen=milestone.amount_fen,
            bank_reference=reference,
            upload=_voucher(),
        )


def _confirm(winner, milestone, at):
    with travel(at):
        payments.confirm_receipt(winner, milestone)


def _last_milestone(notice):
    """The milestone due at acceptance of an accepted contract."""
    rows = payments.contract_milestones(notice.contract.id)
    return rows[-1] if rows and rows[-1].due_dt is not None else None


def play_payments(b, cast, notices) -> None:
    """Pay, pay late, dispute, leave unpaid and refund one finished contract's milestone each."""
    finished = sorted(
        (n for n in notices if n.contract is not None and n.contract.accepted_dt is not None),
        key=lambda n: n.contract.accepted_dt,
    )
    candidates = [(n, m) for n in finished if (m := _last_milestone(n)) is not None]
    now = b.now
    star = cast.star.organisation.id

    def take(fits):
        for pair in candidates:
            if fits(*pair):
                candidates.remove(pair)
                return pair
        raise RuntimeError("the demo has no finished contract for a payment story")

    agency_users = {u.organisation.id: u for users in cast.offered_by.values() for u in users}

    def winner_of(notice):
        return agency_users[notice.contract.agency_org_id]

    # Paid on time: agency01's, three days after acceptance, confirmed the next day.
    notice, m = take(lambda n, m: m.agency_org_id == star)
    paid_at = notice.contract.accepted_dt + timedelta(days=3)
    _record(notice.created_by, m, paid_at, "31050161360000001234")
    _confirm(winner_of(notice), m, paid_at + timedelta(days=1))

    # Unpaid long past its due date: reminded, then reported under the late-payment criterion.
    notice, m = take(lambda n, m: m.due_dt + timedelta(days=10) < now)
    with travel(now):
        payments.apply_due(m)

    # Paid six days late.
    notice, m = take(lambda n, m: m.due_dt + timedelta(days=8) < now)
    late = m.due_dt + timedelta(days=6)
    _record(notice.created_by, m, late, "50001083600050012345")
    _confirm(winner_of(notice), m, late + timedelta(days=1))

    # Recorded, but the agency says the money never arrived: the regulator decides.
    notice, m = take(lambda n, m: m.contract.accepted_dt + timedelta(days=3) < now)
    recorded = m.contract.accepted_dt + timedelta(days=2)
    _record(notice.created_by, m, recorded, "62170037600012345678")
    with travel(recorded + timedelta(days=1)):
        payments.dispute_payment(
            winner_of(notice), m, "截至今日未收到该笔款项，银行查询无此流水号的入账记录"
        )

    # Held funds partly refunded after the regulator upheld the purchaser's complaint.
    notice, m = take(lambda n, m: m.contract.accepted_dt + timedelta(days=3) < now)
    paid_at = m.contract.accepted_dt + timedelta(days=1)
    with travel(paid_at):
        attempt = Payment(
            milestone=m,
            method="stripe",
            status="open",
            amount_fen=m.amount_fen,
            created_by_id=notice.created_by.id,
            idempotency_key=f"checkout-demo-{m.id}",
            checkout_session_id=f"cs_demo_{m.id}",
        )
        db.session.add(attempt)
        db.session.flush()
        payments.payment_succeeded(attempt, f"pi_demo_{m.id}", paid_at)
    with travel(paid_at + timedelta(days=1)):
        payments.refunded(
            m,
            m.amount_fen * 4 // 10,
            "成果中监测数据部分缺失，经监管部门认定退回 40%",
            paid_at + timedelta(days=1),
        )

    # Every other milestone past its due date was paid on time and confirmed: the demo's
    # purchasers keep their deadlines, but for the stories above.
    rest = db.session.scalars(
        select(Milestone)
        .where(Milestone.state == "due", Milestone.due_dt < now)
        .order_by(Milestone.id)
    ).all()
    buyers = {n.purchaser_org_id: n.created_by for n in notices}
    for number, m in enumerate(rest):
        paid_at = m.due_dt - timedelta(days=1 + number % 5)
        _record(buyers[m.purchaser_org_id], m, paid_at, f"3105016136{m.id:010d}")
        _confirm(agency_users[m.agency_org_id], m, paid_at + timedelta(days=1))
    db.session.flush()
