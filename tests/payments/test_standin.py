"""The Stripe stand-in speaks well enough for the REAL stripe SDK: objects, errors, timeouts,
idempotency and webhook signatures."""

import time

import pytest
import stripe

from .stripe_standin import client_for, sign, signed_webhook, standin, webhook_body

SECRET = "whsec_standin"


@pytest.fixture
def server():
    with standin(stall_seconds=2) as s:
        yield s
        assert not s.errors, s.errors[0]


@pytest.fixture
def client(server):
    return client_for(server, timeout=0.5)


def session_params(amount=12_000, **extra):
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "cny",
                    "unit_amount": amount,
                    "product_data": {"name": "Milestone 1: survey report"},
                },
                "quantity": 1,
            }
        ],
        "metadata": {"milestone_id": "42"},
        "payment_intent_data": {"metadata": {"milestone_id": "42"}, "transfer_group": "ms_42"},
        "success_url": "https://market.test/pay/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://market.test/pay/cancel",
        "client_reference_id": "milestone-42",
        **extra,
    }


def paid_intent(server, client, amount=12_000):
    session = client.v1.checkout.sessions.create(params=session_params(amount))
    return server.complete_checkout(session.id)["payment_intent"]["id"]


def test_checkout_session_create_replay_complete_retrieve(server, client):
    session = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "milestone-42-pay"}
    )
    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.url.startswith("https://checkout.stripe.test/c/pay/cs_test_")
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open",
        "unpaid",
        None,
    )
    assert (session.amount_total, session.currency) == (12_000, "cny")
    assert session.metadata["milestone_id"] == "42"
    assert session.livemode is False

    again = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "milestone-42-pay"}
    )
    assert again.id == session.id
    assert len(server.sessions) == 1
    posts = server.calls("POST", "/v1/checkout/sessions")
    assert [r.idempotency_key for r in posts] == ["milestone-42-pay"] * 2
    assert posts[0].params["line_items"][0]["price_data"]["unit_amount"] == "12000"
    assert posts[1].replayed

    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            params=session_params(amount=1), options={"idempotency_key": "milestone-42-pay"}
        )

    paid = server.complete_checkout(session.id)
    assert paid["success_url"] == f"https://market.test/pay/done?session={session.id}"
    got = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (got.status, got.payment_status) == ("complete", "paid")
    intent = got.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "succeeded"
    assert (intent.amount, intent.currency, intent.transfer_group) == (12_000, "cny", "ms_42")
    assert intent.metadata["milestone_id"] == "42"
    assert intent.latest_charge.startswith("ch_")
    assert client.v1.payment_intents.retrieve(intent.id).id == intent.id


def test_declined_card_leaves_the_session_open(server, client):
    session = client.v1.checkout.sessions.create(params=session_params())
    declined = server.complete_checkout(session.id, declined=True)
    intent = client.v1.payment_intents.retrieve(declined["payment_intent"]["id"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "card_declined"
    assert intent.last_payment_error.decline_code == "generic_decline"
    got = client.v1.checkout.sessions.retrieve(session.id)
    assert (got.status, got.payment_status) == ("open", "unpaid")

    server.complete_checkout(session.id)  # a second card works
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_list_sessions_newest_first_with_paging_and_created_filter(server, client):
    clock = [1_790_000_000]
    server.now = lambda: clock[0]
    ids = []
    for _ in range(3):
        ids.append(client.v1.checkout.sessions.create(params=session_params()).id)
        clock[0] += 60
    page = client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in page.data] == [ids[2], ids[1]]
    assert page.has_more and page.url == "/v1/checkout/sessions"
    rest = client.v1.checkout.sessions.list(params={"limit": 2, "starting_after": ids[1]})
    assert [s.id for s in rest.data] == [ids[0]] and not rest.has_more
    recent = client.v1.checkout.sessions.list(params={"created": {"gte": 1_790_000_060}})
    assert [s.id for s in recent.data] == [ids[2], ids[1]]
    assert [s.id for s in page.auto_paging_iter()] == ids[::-1]


def test_connect_account_link_onboarding_and_transfer(server, client):
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "CN",
            "email": "provider@example.test",
            "metadata": {"agency_id": "7"},
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "https://market.test/connect/refresh",
            "return_url": "https://market.test/connect/return",
            "type": "account_onboarding",
        }
    )
    assert link.url.startswith("https://connect.stripe.test/setup/")
    assert link.expires_at > link.created

    charge = server.get(paid_intent(server, client))["latest_charge"]
    transfer = {
        "amount": 10_000,
        "currency": "cny",
        "destination": account.id,
        "transfer_group": "ms_42",
        "source_transaction": charge,
        "metadata": {"milestone_id": "42"},
    }
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params=transfer)
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert refused.value.http_status == 400

    server.onboard(account.id)
    assert client.v1.accounts.retrieve(account.id).charges_enabled is True
    made = client.v1.transfers.create(params=transfer, options={"idempotency_key": "payout-42"})
    assert made.id.startswith("tr_") and made.destination == account.id
    listed = client.v1.transfers.list(params={"transfer_group": "ms_42"})
    assert [t.id for t in listed.data] == [made.id]
    assert client.v1.transfers.list(params={"transfer_group": "other"}).data == []


def test_refund_partial_then_beyond(server, client):
    intent = paid_intent(server, client, amount=10_000)
    refund = client.v1.refunds.create(
        params={"payment_intent": intent, "amount": 4_000, "reason": "requested_by_customer"}
    )
    assert refund.id.startswith("re_") and refund.amount == 4_000
    charge = client.v1.charges.retrieve(server.get(intent)["latest_charge"])
    assert (charge.amount_refunded, charge.refunded) == (4_000, False)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent, "amount": 6_001})
    assert too_much.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"payment_intent": intent})
    assert rest.amount == 6_000
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent, "amount": 1})
    assert again.value.code == "charge_already_refunded"


def test_unknown_ids_and_parameters_raise_the_sdk_errors(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    for call in (
        lambda: client.v1.payment_intents.retrieve("pi_nope"),
        lambda: client.v1.accounts.retrieve("acct_nope"),
        lambda: client.v1.refunds.create(params={"payment_intent": "pi_nope"}),
    ):
        with pytest.raises(stripe.InvalidRequestError):
            call()
    typo = session_params()
    typo["payment_intent_data"]["transfer_groupe"] = "ms_42"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.create(params=typo)
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "payment_intent_data[transfer_groupe]"


def test_injected_500_and_timeout(server, client):
    server.fail_next("/v1/checkout/sessions", 500)
    with pytest.raises(stripe.APIError) as failed:
        client.v1.checkout.sessions.create(params=session_params())
    assert failed.value.http_status == 500
    assert not server.sessions

    server.fail_next("/v1/transfers", "timeout", method="GET")
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.transfers.list()
    assert time.monotonic() - started < 2

    # Stripe did the work, the answer was lost: the retry with the same key gets the object.
    server.fail_next("/v1/checkout/sessions", "disconnect", processed=True)
    options = {"idempotency_key": "lost-answer"}
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(params=session_params(), options=options)
    again = client.v1.checkout.sessions.create(params=session_params(), options=options)
    assert list(server.sessions) == [again.id]


def test_webhook_signature_accepted_and_tampering_refused(server, client):
    session = client.v1.checkout.sessions.create(params=session_params())
    paid = server.complete_checkout(session.id)
    event = server.event("checkout.session.completed", paid["session"])
    body = webhook_body(event)
    got = stripe.Webhook.construct_event(body, sign(body, SECRET), SECRET)
    assert got.type == "checkout.session.completed"
    assert got.data.object.id == session.id and got.data.object.payment_status == "paid"

    tampered = body.replace(b'"paid"', b'"unpaid"')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, sign(body, SECRET), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign(body, "whsec_other"), SECRET)
    stale = sign(body, SECRET, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale, SECRET)
    body2, headers = signed_webhook(event, SECRET)
    assert (
        stripe.Webhook.construct_event(body2, headers["Stripe-Signature"], SECRET).id == event["id"]
    )
