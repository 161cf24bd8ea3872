"""The payment gateway: Stripe, through its official SDK. The only module that imports
`stripe`; the rest of the platform sees plain values and GatewayError.

Stripe offers no escrow product. Held funds (资金托管) use *separate charges and transfers*:
the purchaser pays a milestone by Checkout into the platform's balance; on acceptance the
platform transfers it to the agency's connected account (Connect, Express), or refunds it.
Every POST carries an idempotency key: one per payment attempt, one per milestone for its
transfer and its refund, so a retry after a crash never moves money twice.
"""

import json

import stripe
from flask import current_app

from ..core.i18n import DEFAULT_LANGUAGE, _l, in_language

CLIENT_KEY = "market_stripe_client"
UNREACHABLE = _l("支付平台暂时无法连接，请稍后重试（未产生扣款）")


class GatewayError(Exception):
    """The gateway refused or could not be reached; `message` is for people (a lazy text,
    shown in the reader's language: `str(err.message)`)."""

    def __init__(self, message, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def stored_message(self) -> str:
        """The message as a payment row keeps it: in Chinese (stored text is never
        translated)."""
        with in_language(DEFAULT_LANGUAGE):
            return str(self.message)


class BadSignature(Exception):
    """A webhook whose signature does not verify with the signing secret."""


def configured() -> bool:
    """Whether online payment is set up (a secret key); otherwise payments are offline."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def currency() -> str:
    return current_app.config["PAYMENT_CURRENCY"].lower()


def client() -> stripe.StripeClient:
    """The app's StripeClient (one per app: it keeps its HTTP connections)."""
    app = current_app._get_current_object()
    made = app.extensions.get(CLIENT_KEY)
    if made is None:
        config = app.config
        base = config.get("STRIPE_API_BASE")
        addresses = {"api": base, "connect": base, "files": base} if base else None
        made = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses=addresses,
            # Retries are ours: an idempotency key per attempt (a timeout is answered with
            # "try again", which makes a new attempt).
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]),
        )
        app.extensions[CLIENT_KEY] = made
    return made


def _call(do):
    """Run one SDK call; its errors become GatewayError with a message for people."""
    try:
        return do()
    except stripe.CardError as err:
        raise GatewayError(
            _l("支付被拒绝：%(reason)s", reason=err.user_message or err.code), err.code or ""
        ) from err
    except stripe.APIConnectionError as err:
        raise GatewayError(UNREACHABLE, "connection") from err
    except stripe.RateLimitError as err:
        raise GatewayError(UNREACHABLE, "rate_limit") from err
    except stripe.StripeError as err:
        current_app.logger.warning("stripe refused: %s", err)
        code = getattr(err, "code", None) or ""
        raise GatewayError(
            _l("支付平台拒绝了该操作（%(code)s）", code=code or err.http_status), code
        ) from err


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


# --- payments -----------------------------------------------------------------------------


def create_checkout(
    *,
    payment_id: int,
    milestone_id: int,
    contract_id: int,
    amount_fen: int,
    description: str,
    idempotency_key: str,
    success_url: str,
    cancel_url: str,
) -> dict:
    """A Checkout session for one milestone, paid into the platform's balance (the charge is
    the platform's; the transfer to the agency comes later). Returns {id, url}."""
    metadata = {
        "payment_id": str(payment_id),
        "milestone_id": str(milestone_id),
        "contract_id": str(contract_id),
    }
    session = _call(
        lambda: client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "client_reference_id": str(payment_id),
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency(),
                            "unit_amount": amount_fen,
                            "product_data": {"name": description},
                        },
                    }
                ],
                "metadata": metadata,
                "payment_intent_data": {
                    "metadata": metadata,
                    "transfer_group": f"contract-{contract_id}",
                },
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": idempotency_key},
        )
    )
    return {"id": session.id, "url": session.url}


def checkout_session(session_id: str) -> dict:
    return _plain(_call(lambda: client().v1.checkout.sessions.retrieve(session_id)))


def recent_checkout_sessions(created_since: int) -> list[dict]:
    """Every Checkout session created since the unix time (all pages)."""

    def fetch():
        listed = client().v1.checkout.sessions.list(
            params={"limit": 100, "created": {"gte": created_since}}
        )
        return [_plain(s) for s in listed.auto_paging_iter()]

    return _call(fetch)


def payment_intent(intent_id: str) -> dict:
    return _plain(_call(lambda: client().v1.payment_intents.retrieve(intent_id)))


def transfer(
    *, milestone_id: int, contract_id: int, amount_fen: int, destination: str, charge_id=None
) -> str:
    """Transfer held funds to the agency's connected account; returns the transfer id. The
    key is the milestone's: a retry returns the same transfer."""
    params = {
        "amount": amount_fen,
        "currency": currency(),
        "destination": destination,
        "transfer_group": f"contract-{contract_id}",
        "metadata": {"milestone_id": str(milestone_id), "contract_id": str(contract_id)},
    }
    if charge_id:
        # Tied to the charge: the transfer waits for its funds to be available.
        params["source_transaction"] = charge_id
    made = _call(
        lambda: client().v1.transfers.create(
            params=params, options={"idempotency_key": f"transfer-milestone-{milestone_id}"}
        )
    )
    return made.id


def refund(*, milestone_id: int, payment_intent_id: str, amount_fen: int, reason: str) -> str:
    """Refund held funds (all or part) to the purchaser; returns the refund id."""
    made = _call(
        lambda: client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "amount": amount_fen,
                "reason": "requested_by_customer",
                "metadata": {"milestone_id": str(milestone_id), "reason": reason[:450]},
            },
            options={"idempotency_key": f"refund-milestone-{milestone_id}"},
        )
    )
    return made.id


# --- Connect --------------------------------------------------------------------------------


def create_account(*, org_id: int, email: str) -> str:
    """A connected (Express) account for an agency; returns its id."""
    made = _call(
        lambda: client().v1.accounts.create(
            params={
                "type": "express",
                "country": current_app.config["STRIPE_CONNECT_COUNTRY"],
                "email": email,
                "metadata": {"org_id": str(org_id)},
                "capabilities": {"transfers": {"requested": True}},
            },
            options={"idempotency_key": f"account-org-{org_id}"},
        )
    )
    return made.id


def onboarding_link(account_id: str, *, refresh_url: str, return_url: str) -> str:
    """A one-time link to Stripe's onboarding for the connected account."""
    made = _call(
        lambda: client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    )
    return made.url


def account_status(account_id: str) -> dict:
    """The connected account's onboarding flags."""
    account = _call(lambda: client().v1.accounts.retrieve(account_id))
    return {
        "charges_enabled": bool(account.charges_enabled),
        "payouts_enabled": bool(account.payouts_enabled),
        "details_submitted": bool(account.details_submitted),
    }


# --- webhooks -------------------------------------------------------------------------------


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The webhook's event if its Stripe-Signature verifies with the signing secret (on the
    raw body, never a re-serialised one), else BadSignature."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not signature:
        raise BadSignature("missing signature or secret")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as err:
        raise BadSignature(str(err)) from err
    return json.loads(payload)
