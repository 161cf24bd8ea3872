"""Reconciliation with the gateway (`flask payments reconcile`, and the worker once a day):
local payments are compared with Stripe's records of the same period and drift is repaired
where the gateway's record settles it, or reported where it does not.

- a Checkout session paid at Stripe whose attempt is not recorded as paid (a webhook missed
  or not yet delivered): recorded now, the milestone's funds held;
- a session expired at Stripe whose attempt is still open: the attempt expires;
- an attempt left open without a session (a crash between its commit and the gateway's
  answer, or a timeout) for longer than an hour: failed, unless Stripe has its session;
- held funds of an accepted contract whose agency can be paid: transferred now;
- a payment recorded as succeeded that Stripe does not know: reported, never changed.
"""

from datetime import timedelta

from sqlalchemy import select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.i18n import DEFAULT_LANGUAGE, in_language
from ..extensions import db
from . import gateway, services
from .models import Milestone, Payment, Reconciliation
from .states import MILESTONE

#: how far back each run looks at the gateway's sessions
WINDOW = timedelta(days=35)
#: an attempt still without its session after this long was interrupted
STALE_ATTEMPT = timedelta(hours=1)


def reconcile(now=None) -> Reconciliation:
    """One run; returns its record (the caller commits). Raises gateway.GatewayError when the
    gateway cannot be read (nothing is changed then)."""
    now = now or utcnow()
    since = now - WINDOW
    sessions = gateway.recent_checkout_sessions(int(since.timestamp()))
    run = Reconciliation(started_dt=now, findings=[])
    findings, repaired = [], 0
    by_payment = {}
    for session in sessions:
        payment_id = (session.get("metadata") or {}).get("payment_id")
        if payment_id:
            by_payment[str(payment_id)] = session
    local = db.session.scalars(
        select(Payment).where(Payment.method == "stripe", Payment.created_dt >= since)
    ).all()
    for payment in local:
        session = by_payment.pop(str(payment.id), None)
        if session is None:
            if payment.status == "succeeded":
                text = "本地记录已支付，支付平台无此会话"  # i18n: data
                findings.append(_finding("unknown_at_gateway", payment, text))
            elif payment.status == "open" and now - payment.created_dt > STALE_ATTEMPT:
                payment.status = "failed"
                payment.failure_message = "支付会话未创建成功（已由对账关闭）"  # i18n: data
                repaired += 1
                text = "未创建支付会话的尝试已关闭"  # i18n: data
                findings.append(_finding("stale_attempt", payment, text))
            continue
        if payment.checkout_session_id is None:
            payment.checkout_session_id = session["id"]
            payment.checkout_url = session.get("url") or ""
        if session.get("payment_status") == "paid" and payment.status != "succeeded":
            services.payment_succeeded(payment, session.get("payment_intent"), now)
            repaired += 1
            text = "支付平台已收款，补记为资金托管"  # i18n: data
            findings.append(_finding("missed_payment", payment, text))
        elif session.get("status") == "expired" and payment.status == "open":
            payment.status = "expired"
            repaired += 1
    for payment_id, session in by_payment.items():
        if session.get("payment_status") == "paid":
            findings.append(
                {
                    "kind": "unknown_locally",
                    "session": session.get("id"),
                    "payment_id": payment_id,
                    "text": "支付平台有已付款会话，本地无对应付款",  # i18n: data
                }
            )
    repaired += _release_waiting(findings)
    run.checked = len(local)
    run.repaired = repaired
    run.findings = findings
    db.session.add(run)
    db.session.flush()
    record_event(
        "payment_reconciliation",
        run.id,
        "reconciled",
        public=False,
        data={"checked": run.checked, "repaired": repaired, "findings": len(findings)},
    )
    return run


def _finding(kind: str, payment: Payment, text: str) -> dict:
    # The findings are stored with the run (data, in Chinese; `flask payments reconcile`
    # prints them as they are).
    return {
        "kind": kind,
        "payment_id": payment.id,
        "milestone_id": payment.milestone_id,
        "session": payment.checkout_session_id,
        "text": text,
    }


def _release_waiting(findings: list) -> int:
    """Held funds of accepted contracts not yet transferred (a failed or interrupted call)."""
    count = 0
    with in_language(DEFAULT_LANGUAGE):  # the findings are stored: in Chinese
        paid = str(MILESTONE.label("paid"))
    held = db.session.scalars(
        select(Milestone).where(
            Milestone.state.in_(("held", "refunded")), Milestone.transfer_id.is_(None)
        )
    ).all()
    for milestone in held:
        if milestone.contract.accepted_dt is not None and services.release(milestone):
            count += 1
            findings.append(
                {
                    "kind": "released",
                    "milestone_id": milestone.id,
                    "text": f"补办划转：{paid}",  # i18n: data
                }
            )
    return count


def last_run() -> Reconciliation | None:
    return db.session.scalar(
        select(Reconciliation).order_by(Reconciliation.started_dt.desc()).limit(1)
    )
