"""The gateway's webhook events: verified, stored by id before anything is done (a duplicate
is recognised and ignored), then applied. Events arrive in any order and more than once:
every handler looks at what is already recorded and changes only what is still missing (a
refund before the payment's own event records the payment first; a failure after a success
is ignored)."""

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from ..core.audit import record_event
from ..core.clock import utcnow
from ..extensions import db
from . import services
from .models import GatewayEvent, Milestone

HANDLED = (
    "checkout.session.completed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "transfer.created",
    "account.updated",
)


def _when(event: dict) -> datetime:
    created = event.get("created")
    return datetime.fromtimestamp(created, UTC) if isinstance(created, int) else utcnow()


def store(event: dict) -> bool:
    """Store the event's id before acting on it (flushed in a savepoint); False if it was
    received before (a duplicate delivery)."""
    if db.session.get(GatewayEvent, event["id"]) is not None:
        return False
    row = GatewayEvent(id=event["id"], type=str(event.get("type", ""))[:64], payload=event)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False  # the same event, delivered twice at once
    return True


def handle(event: dict) -> str:
    """Apply one stored event; returns what it did (kept on the event's row)."""
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    at = _when(event)
    if kind not in HANDLED:
        outcome = "ignored: not a type the platform uses"
    elif kind.startswith("checkout.session."):
        outcome = _checkout(kind, obj, at)
    elif kind.startswith("payment_intent."):
        outcome = _intent(kind, obj, at)
    elif kind == "charge.refunded":
        outcome = _refund(obj, at)
    elif kind == "transfer.created":
        outcome = _transfer(obj, at)
    else:
        outcome = _account(obj)
    row = db.session.get(GatewayEvent, event["id"])
    if row is not None:
        row.outcome = outcome
    return outcome


def _metadata(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _checkout(kind: str, obj: dict, at) -> str:
    payment = services.find_payment(
        session_id=obj.get("id"), payment_id=_metadata(obj).get("payment_id")
    )
    if payment is None:
        return "ignored: no such payment"
    if payment.checkout_session_id is None and obj.get("id"):
        payment.checkout_session_id = obj["id"]  # the crash between commit and answer
    if kind == "checkout.session.expired":
        if payment.status == "open":
            payment.status = "expired"
            return "expired"
        return "ignored: already settled"
    if obj.get("payment_status") != "paid":
        return "ignored: not paid yet"
    changed = services.payment_succeeded(payment, obj.get("payment_intent"), at)
    return "held" if changed else "ignored: already recorded"


def _intent(kind: str, obj: dict, at) -> str:
    payment = services.find_payment(
        intent_id=obj.get("id"), payment_id=_metadata(obj).get("payment_id")
    )
    if payment is None:
        return "ignored: no such payment"
    if kind == "payment_intent.succeeded":
        changed = services.payment_succeeded(payment, obj.get("id"), at)
        return "held" if changed else "ignored: already recorded"
    error = obj.get("last_payment_error") or {}
    # stored as the attempt's failure message (data: never translated)
    message = error.get("message") or "支付未成功"  # i18n: data
    changed = services.payment_failed(payment, f"支付被拒绝：{message}")  # i18n: data
    return "failed" if changed else "ignored: already settled"


def _refund(charge: dict, at) -> str:
    payment = services.find_payment(
        intent_id=charge.get("payment_intent"), payment_id=_metadata(charge).get("payment_id")
    )
    if payment is None:
        return "ignored: no such payment"
    # A refund implies the payment went through, whatever arrived first.
    services.payment_succeeded(payment, charge.get("payment_intent"), at)
    milestone = payment.milestone
    amount = int(charge.get("amount_refunded") or 0)
    reason = milestone.refund_reason or "支付平台退款"  # i18n: data (the stored refund reason)
    changed = services.refunded(milestone, amount, reason, at)
    return "refunded" if changed else "ignored: already recorded"


def _transfer(transfer: dict, at) -> str:
    try:
        milestone_id = int(_metadata(transfer).get("milestone_id"))
    except (TypeError, ValueError):
        return "ignored: no milestone"
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        return "ignored: no such milestone"
    changed = services.transferred(milestone, transfer.get("id"), at)
    return "paid" if changed else "ignored: already recorded"


def _account(account: dict) -> str:
    known = services.account_updated(account.get("id"), account)
    return "account updated" if known else "ignored: not our account"


def receive(event: dict) -> str:
    """Store and apply one verified event (the view commits); a duplicate does nothing."""
    if not isinstance(event.get("id"), str) or not event["id"]:
        return "ignored: no id"
    if not store(event):
        return "duplicate"
    outcome = handle(event)
    record_event(
        "payment_gateway",
        0,
        "webhook",
        public=False,
        data={"event": event["id"], "type": event.get("type"), "outcome": outcome},
    )
    return outcome
