"""Online payment with held funds (资金托管) through the real Stripe SDK, against a local
stand-in on 127.0.0.1 and webhooks signed exactly as Stripe signs them: success, a declined
card, duplicate and out-of-order events, a bad signature, a timeout while creating the
Checkout session, partial refunds, the transfer on acceptance once the agency is onboarded,
and reconciliation finding a payment whose webhook never came."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.extensions import db as database
from market.notifications.models import Notification
from market.payments import gateway, services
from market.payments.models import GatewayEvent, Payment, PayoutAccount
from market.payments.reconcile import reconcile

from .stripe_standin import sign, signed_webhook, standin

SECRET = "whsec_test_market"
SPLIT = [("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]


@pytest.fixture
def stripe_server(app, monkeypatch):
    """Online payment configured against a fresh stand-in (its clock: real time, as the
    SDK's signature tolerance is)."""
    with standin(stall_seconds=3) as server:
        monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_market")
        monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", server.url)
        monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", 1)
        app.extensions.pop(gateway.CLIENT_KEY, None)
        yield server
        app.extensions.pop(gateway.CLIENT_KEY, None)
        assert not server.errors, server.errors[0]


def milestones(notice):
    return services.contract_milestones(notice.contract.id)


def pay_online(client, auth, buyer, milestone):
    """The purchaser presses 支付: the attempt is committed, the session made, the browser
    sent to Stripe's Checkout page."""
    auth.login(buyer)
    response = client.post(f"/payments/milestones/{milestone.id}/checkout")
    auth.logout()
    return response


def deliver(client, server, event):
    body, headers = signed_webhook(event, SECRET)
    return client.post("/payments/stripe/webhook", data=body, headers=headers)


def paid(client, auth, server, buyer, milestone):
    """Pay a milestone online end to end: Checkout, the customer pays, the webhook arrives."""
    pay_online(client, auth, buyer, milestone)
    payment = milestone.payments[-1]
    done = server.complete_checkout(payment.checkout_session_id)
    deliver(client, server, server.event("checkout.session.completed", done["session"]))
    return payment, done


def onboarded_agency(server, winner):
    account = services.ensure_payout_account(winner)
    server.onboard(account.account_id)
    services.refresh_account(account)
    assert account.ready
    return account


# --- paying ----------------------------------------------------------------------------------


def test_the_purchaser_pays_by_checkout_and_the_funds_are_held(client, auth, make, stripe_server):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    response = pay_online(client, auth, buyer, advance)
    assert response.status_code == 303
    (payment,) = advance.payments
    assert response.location == payment.checkout_url
    assert response.location.startswith("https://checkout.stripe.test/")
    (create,) = stripe_server.calls("POST", "/v1/checkout/sessions")
    # (as the SDK sends them: form-encoded text)
    # One idempotency key per attempt, kept on the row committed before the call.
    assert create.idempotency_key == payment.idempotency_key
    assert create.params["line_items"][0]["price_data"]["unit_amount"] == "2400000"
    assert create.params["line_items"][0]["price_data"]["currency"] == "cny"
    assert create.params["metadata"]["payment_id"] == str(payment.id)
    assert payment.status == "open" and advance.state == "due"

    done = stripe_server.complete_checkout(payment.checkout_session_id)
    answer = deliver(
        client, stripe_server, stripe_server.event("checkout.session.completed", done["session"])
    )
    assert answer.status_code == 200
    assert payment.status == "succeeded" and advance.state == "held"
    assert payment.payment_intent_id == done["payment_intent"]["id"]
    held = select(Notification).where(
        Notification.org_id == winner.organisation.id, Notification.kind == "payment_held"
    )
    assert "资金由平台托管" in database.session.scalar(held).body
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "预付款（¥24,000.00）：采购人付款，资金由平台托管" in page


def test_a_declined_card_leaves_the_milestone_owed(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    (payment,) = advance.payments
    done = stripe_server.complete_checkout(payment.checkout_session_id, declined=True)
    deliver(
        client,
        stripe_server,
        stripe_server.event("payment_intent.payment_failed", done["payment_intent"]),
    )
    assert payment.status == "failed" and "Your card was declined" in payment.failure_message
    assert advance.state == "due"
    # The purchaser may try again: a new attempt with its own key.
    pay_online(client, auth, buyer, advance)
    first, second = advance.payments
    assert second.status == "open" and second.idempotency_key != first.idempotency_key


def test_a_duplicate_webhook_changes_nothing_the_second_time(client, auth, make, stripe_server, db):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    done = stripe_server.complete_checkout(advance.payments[0].checkout_session_id)
    event = stripe_server.event("checkout.session.completed", done["session"])
    assert deliver(client, stripe_server, event).get_json()["outcome"] == "held"
    assert deliver(client, stripe_server, event).get_json()["outcome"] == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(GatewayEvent)) == 1
    held = [e for e in events_for("contract", notice.contract.id) if e.to_state == "held"]
    assert len(held) == 1


def test_events_in_any_order_settle_the_same(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    (payment,) = advance.payments
    done = stripe_server.complete_checkout(payment.checkout_session_id)
    # The payment intent's success arrives before the session's completion …
    first = deliver(
        client,
        stripe_server,
        stripe_server.event("payment_intent.succeeded", done["payment_intent"]),
    )
    assert first.get_json()["outcome"] == "held"
    then = deliver(
        client, stripe_server, stripe_server.event("checkout.session.completed", done["session"])
    )
    assert then.get_json()["outcome"] == "ignored: already recorded"
    # … and a failure reported late does not undo the success.
    late = dict(done["payment_intent"], status="requires_payment_method")
    failed = deliver(
        client, stripe_server, stripe_server.event("payment_intent.payment_failed", late)
    )
    assert failed.get_json()["outcome"] == "ignored: already settled"
    assert payment.status == "succeeded" and advance.state == "held"


@pytest.mark.parametrize("header", ["t=1,v1=00", None, "garbage"])
def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    client, auth, make, stripe_server, db, header
):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    done = stripe_server.complete_checkout(advance.payments[0].checkout_session_id)
    body, _ = signed_webhook(
        stripe_server.event("checkout.session.completed", done["session"]), SECRET
    )
    headers = {"Stripe-Signature": header} if header else {}
    answer = client.post("/payments/stripe/webhook", data=body, headers=headers)
    assert answer.status_code == 400
    assert advance.state == "due"
    assert db.session.scalar(select(func.count()).select_from(GatewayEvent)) == 0


def test_a_webhook_signed_with_another_secret_is_refused(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    done = stripe_server.complete_checkout(advance.payments[0].checkout_session_id)
    body, _ = signed_webhook(
        stripe_server.event("checkout.session.completed", done["session"]), SECRET
    )
    answer = client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body, "whsec_someone_else")},
    )
    assert answer.status_code == 400 and advance.state == "due"


def test_stripe_timing_out_during_checkout_asks_to_retry_and_leaves_no_open_attempt(
    client, auth, make, stripe_server
):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    stripe_server.fail_next("/v1/checkout/sessions", "timeout", method="POST", stall=2)
    auth.login(buyer)
    response = client.post(f"/payments/milestones/{advance.id}/checkout", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "支付平台暂时无法连接，请稍后重试（未产生扣款）" in page
    (payment,) = advance.payments
    assert payment.status == "failed" and payment.checkout_session_id is None
    assert advance.state == "due"
    # Trying again works, with a new attempt.
    again = client.post(f"/payments/milestones/{advance.id}/checkout")
    assert again.status_code == 303 and advance.payments[-1].status == "open"


# --- releasing and refunding --------------------------------------------------------------------


def test_held_funds_go_to_the_agency_on_acceptance(client, auth, make, stripe_server):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    account = onboarded_agency(stripe_server, winner)
    paid(client, auth, stripe_server, buyer, advance)
    assert advance.state == "held"  # held until acceptance, whatever the onboarding
    make.procurement.mark_delivered(winner, notice, "报告书5份")
    make.procurement.accept_delivery(buyer, notice)
    assert advance.state == "paid"
    (transfer,) = stripe_server.calls("POST", "/v1/transfers")
    assert transfer.params["amount"] == "2400000"
    assert transfer.params["destination"] == account.account_id
    assert transfer.idempotency_key == f"transfer-milestone-{advance.id}"
    assert advance.transfer_id.startswith("tr_")
    # The balance falls due on acceptance; paid then, it goes straight through.
    assert balance.state == "due"
    paid(client, auth, stripe_server, buyer, balance)
    assert balance.state == "paid" and len(stripe_server.calls("POST", "/v1/transfers")) == 2


def test_held_funds_wait_for_the_agencys_onboarding(client, auth, make, stripe_server):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    auth.login(winner)
    started = client.post("/agency/payout-account")
    assert started.status_code == 303 and started.location.startswith(
        "https://connect.stripe.test/"
    )
    auth.logout()
    account = services.payout_account(winner.organisation.id)
    assert account is not None and not account.ready
    paid(client, auth, stripe_server, buyer, advance)
    make.procurement.mark_delivered(winner, notice, "报告书5份")
    make.procurement.accept_delivery(buyer, notice)
    assert advance.state == "held" and stripe_server.calls("POST", "/v1/transfers") == []
    page_as_agency = _page(client, auth, winner, f"/notices/{notice.id}")
    assert "继续完善收款账户" in page_as_agency
    # Onboarding completes at Stripe: account.updated releases what waited.
    onboarded = stripe_server.onboard(account.account_id)
    deliver(client, stripe_server, stripe_server.event("account.updated", onboarded))
    assert account.ready and advance.state == "paid"


def _page(client, auth, user, path):
    auth.login(user)
    page = client.get(path).get_data(as_text=True)
    auth.logout()
    return page


def test_a_regulator_refunds_part_of_held_funds_and_the_rest_goes_to_the_agency(
    client, auth, make, stripe_server
):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    onboarded_agency(stripe_server, winner)
    paid(client, auth, stripe_server, buyer, advance)
    regulator = make.regulator_for(notice)
    with pytest.raises(ServiceError, match="退款金额应在 ¥0.01 至 ¥24,000.00 之间"):
        services.refund_held(regulator, advance, 30_000_00, "服务内容未全部提供")
    services.refund_held(regulator, advance, 10_000_00, "部分成果未提交，按比例退回")
    (refund,) = stripe_server.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "1000000"
    assert advance.state == "refunded" and advance.refunded_fen == 10_000_00
    # charge.refunded arriving afterwards is already recorded.
    charge = stripe_server.get(advance.succeeded_payment.payment_intent_id)["latest_charge"]
    outcome = deliver(
        client, stripe_server, stripe_server.event("charge.refunded", stripe_server.get(charge))
    )
    assert outcome.get_json()["outcome"] == "ignored: already recorded"
    make.procurement.mark_delivered(winner, notice, "报告书5份")
    make.procurement.accept_delivery(buyer, notice)
    (transfer,) = stripe_server.calls("POST", "/v1/transfers")
    assert transfer.params["amount"] == "1400000"


def test_termination_refunds_held_funds_in_full(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, balance = milestones(notice)
    paid(client, auth, stripe_server, buyer, advance)
    make.procurement.terminate_contract(buyer, notice, "项目取消")
    (refund,) = stripe_server.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == "2400000"
    assert advance.state == "refunded" and advance.refunded_fen == 24_000_00
    assert balance.state == "cancelled"


# --- reconciliation -------------------------------------------------------------------------------


def test_reconciliation_finds_a_payment_whose_webhook_never_came(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    stripe_server.complete_checkout(advance.payments[0].checkout_session_id)  # no webhook
    assert advance.state == "due"
    run = reconcile()
    assert run.repaired == 1 and advance.state == "held"
    assert [f["kind"] for f in run.findings] == ["missed_payment"]
    assert reconcile().repaired == 0  # nothing left to repair


def test_reconciliation_closes_an_attempt_interrupted_before_stripe_answered(
    make, stripe_server, frozen_clock
):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    payment = services.open_attempt(buyer, advance)  # committed; the process died here
    frozen_clock.advance(hours=2)
    run = reconcile()
    assert payment.status == "failed"
    assert [f["kind"] for f in run.findings] == ["stale_attempt"]


def test_the_cli_reconciles(app, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    services.open_attempt(buyer, advance)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "核对 1 笔在线付款" in result.output


def test_offline_records_are_refused_when_online_payment_is_on(make, stripe_server, db):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    with pytest.raises(ServiceError, match="请通过在线支付付款"):
        services.record_transfer(
            buyer,
            advance,
            paid_on=advance.created_dt.date(),
            amount_fen=advance.amount_fen,
            bank_reference="31000012345678",
        )
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_nothing_is_paid_twice_when_a_second_payment_succeeds(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    pay_online(client, auth, buyer, advance)  # two tabs
    first, second = advance.payments
    for attempt in (first, second):
        done = stripe_server.complete_checkout(attempt.checkout_session_id)
        deliver(
            client,
            stripe_server,
            stripe_server.event("checkout.session.completed", done["session"]),
        )
    assert advance.state == "held"
    noted = [e.action for e in events_for("contract", notice.contract.id, public_only=False)]
    assert noted.count("payment_unexpected") == 1


def test_payout_accounts_are_for_agencies(make, stripe_server, db):
    with pytest.raises(NotAllowed):
        services.ensure_payout_account(make.purchaser())
    assert db.session.scalar(select(func.count()).select_from(PayoutAccount)) == 0


def test_overdue_online_milestones_are_reported_like_offline_ones(
    make, stripe_server, frozen_clock
):
    notice, _, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    frozen_clock.set(advance.due_dt + timedelta(days=8))
    services.run_due()
    assert advance.state == "overdue" and advance.reported_dt is not None


def test_the_public_timeline_says_how_much_was_refunded(client, auth, make, stripe_server):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    paid(client, auth, stripe_server, buyer, advance)
    services.refund_held(make.regulator_for(notice), advance, 6_000_00, "部分成果未交付")
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "预付款（¥24,000.00）：托管资金退回采购人，退回 ¥6,000.00，其余划转中选机构" in page
    assert "部分成果未交付" not in page  # the reason stays with the parties and regulators


def test_the_agencys_workspace_offers_the_payout_account_until_it_is_ready(
    client, auth, make, stripe_server
):
    winner = make.agency()
    auth.login(winner)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="payout"' in page and "开通收款账户" in page
    assert client.post("/agency/payout-account").status_code == 303
    account = services.payout_account(winner.organisation.id)
    assert "继续完善收款账户" in client.get("/dashboard").get_data(as_text=True)
    stripe_server.onboard(account.account_id)
    back = client.get("/agency/payout-account/return", follow_redirects=True)
    page = back.get_data(as_text=True)
    assert "收款账户已开通，托管资金将在验收后划转至该账户" in page
    assert "收款账户已开通：采购人在线支付的款项由平台托管" in page


def test_offline_the_workspace_says_nothing_of_payout_accounts(client, auth, make):
    auth.login(make.agency())
    assert 'id="payout"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_transfer_whose_answer_was_lost_is_recorded_by_its_webhook(
    client, auth, make, stripe_server
):
    notice, buyer, winner = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    onboarded_agency(stripe_server, winner)
    paid(client, auth, stripe_server, buyer, advance)
    # Stripe makes the transfer, the answer never arrives: the funds stay held here.
    stripe_server.fail_next("/v1/transfers", "timeout", method="POST", processed=True, stall=2)
    make.procurement.mark_delivered(winner, notice, "报告书5份")
    make.procurement.accept_delivery(buyer, notice)
    assert advance.state == "held" and advance.transfer_id is None
    (made,) = stripe_server.transfers.values()
    outcome = deliver(client, stripe_server, stripe_server.event("transfer.created", made))
    assert outcome.get_json()["outcome"] == "paid"
    assert advance.state == "paid" and advance.transfer_id == made["id"]


def test_an_expired_checkout_closes_its_attempt(client, auth, make, stripe_server):
    notice, buyer, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    pay_online(client, auth, buyer, advance)
    (payment,) = advance.payments
    expired = stripe_server.expire_checkout(payment.checkout_session_id)
    deliver(client, stripe_server, stripe_server.event("checkout.session.expired", expired))
    assert payment.status == "expired" and advance.state == "due"


def test_the_worker_reconciles_once_a_day(app, make, stripe_server, frozen_clock):
    from market.core import worker
    from market.payments.models import Reconciliation

    def runs():
        return database.session.scalar(select(func.count()).select_from(Reconciliation))

    worker.run_once(app)
    worker.run_once(app)
    assert runs() == 1
    frozen_clock.advance(hours=23)
    worker.run_once(app)
    assert runs() == 1
    frozen_clock.advance(hours=2)
    worker.run_once(app)
    assert runs() == 2


def test_offline_the_worker_does_not_reconcile(app, db):
    from market.core import worker
    from market.payments.models import Reconciliation

    assert worker.run_once(app)["payments-reconcile"] == 0
    assert db.session.scalar(select(func.count()).select_from(Reconciliation)) == 0


def test_the_cli_applies_due_milestones(app, make, frozen_clock):
    notice, _, _ = make.contracted_notice(payment_plan=SPLIT)
    advance, _ = milestones(notice)
    frozen_clock.set(advance.due_dt + timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["payments", "run-due"])
    assert result.exit_code == 0 and "处理到期付款节点 1 个" in result.output
    assert advance.state == "overdue"
