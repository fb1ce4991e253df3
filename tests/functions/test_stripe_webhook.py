"""POST /api/billing/stripe/webhook: Stripe's signed payment events top up credits, once per PaymentIntent."""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from datetime import timedelta

import boto3
import pytest

from panelist.api import ratelimits
from panelist.billing import credits, stripe
from panelist.core.settings import get_settings
from panelist.models.billing import CreditTransaction, TransactionType
from panelist.models.common import new_id, now
from panelist_local import iam
from tests.functions.harness import STRIPE_WEBHOOK_SECRET, Reply, invoke, sample_event

PAYMENT_INTENT = "pi_3QtestPayment0000000001"


def _total(organization_id: str) -> int:
    balance = credits.get_credits(organization_id)
    assert balance is not None
    return balance.total


def _purchases(organization_id: str) -> list[CreditTransaction]:
    today = now().date()
    entries = credits.ledger(organization_id, today - timedelta(days=1), today + timedelta(days=1))
    return [e for e in entries if e.type is TransactionType.purchase]


def _event(kind: str, payment: dict) -> dict:
    return {
        "id": f"evt_{new_id().replace('-', '')[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": payment},
    }


def checkout_completed(organization_id: str | None, *, credits_bought: str | None = "1000", **fields) -> dict:
    kind = fields.pop("type", "checkout.session.completed")
    metadata = {}
    if organization_id is not None:
        metadata["organization_id"] = organization_id
    if credits_bought is not None:
        metadata["credits"] = credits_bought
    session = {
        "id": f"cs_test_{new_id().replace('-', '')}",
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": PAYMENT_INTENT,
        "amount_total": 4900,
        "currency": "eur",
        "metadata": metadata,
        **fields,
    }
    return _event(kind, session)


def payment_intent_succeeded(organization_id: str, *, credits_bought: str = "1000", **fields) -> dict:
    intent = {
        "id": PAYMENT_INTENT,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 4900,
        "amount_received": 4900,
        "currency": "eur",
        "metadata": {"organization_id": organization_id, "credits": credits_bought},
        **fields,
    }
    return _event("payment_intent.succeeded", intent)


def signed(event: dict, *, secret: str = STRIPE_WEBHOOK_SECRET, at: float | None = None) -> tuple[bytes, str]:
    """The delivery's body, pretty-printed as Stripe sends it, and its Stripe-Signature."""
    payload = json.dumps(event, indent=2).encode()
    return payload, stripe.signature_header(secret, payload, int(at if at is not None else time.time()))


def deliver(api, event: dict | None = None, *, payload: bytes | None = None, header: str | None = None, **signing):
    if payload is None:
        assert event is not None
        payload, made = signed(event, **signing)
        header = made if header is None else header
    headers = {"Stripe-Signature": header} if header is not None else {}
    return api("stripe_webhook", raw_body=payload.decode(), headers=headers)


def _refused(reply, message: str) -> None:
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "INVALID_PARAMETER"
    assert message in reply.body["error"]["message"]
    assert reply.body["error"]["details"]["field"] == "Stripe-Signature"
    assert reply.body["error"]["details"]["expected"].startswith("t=<unix seconds>,v1=")


# ------------------------------------------------------------------ crediting


def test_a_paid_checkout_credits_the_organization_in_its_metadata(api, tenant_a, tenant_b, platform_admin):
    before, other = _total(tenant_a.id), _total(tenant_b.id)
    event = checkout_completed(tenant_a.id)
    reply = deliver(api, event)
    assert reply.status == 200, reply.body
    [purchase] = _purchases(tenant_a.id)
    assert reply.body == {
        "received": True,
        "event_id": event["id"],
        "event_type": "checkout.session.completed",
        "outcome": "credited",
        "reason": None,
        "organization_id": tenant_a.id,
        "payment_intent_id": PAYMENT_INTENT,
        "transaction_id": purchase.id,
        "credits": 1000,
    }
    assert _total(tenant_a.id) == before + 10_000  # tenths
    assert _total(tenant_b.id) == other
    assert purchase.payment_intent_id == PAYMENT_INTENT
    assert purchase.reference_id == f"topup:{PAYMENT_INTENT}"
    assert purchase.description == "Credit top-up: 1,000 credits (49.00 EUR)"
    # the operator's summary shows the payment
    summary = api("get_credit_summary", headers=platform_admin).body
    [shown] = [t for t in summary["recentTransactions"] if t["transactionType"] == "purchase"]
    assert (shown["organizationId"], shown["paymentIntentId"], shown["amountCredits"]) == (
        tenant_a.id,
        PAYMENT_INTENT,
        1000,
    )
    # and the organization its balance
    balance = api("get_credits", headers=tenant_a.as_member()).body
    assert balance["total_credits"] == (before + 10_000) / 10


@pytest.mark.parametrize("order", ["checkout first", "payment intent first"])
def test_both_events_of_one_payment_credit_it_once(api, tenant_a, order):
    before = _total(tenant_a.id)
    events = [checkout_completed(tenant_a.id), payment_intent_succeeded(tenant_a.id)]
    if order == "payment intent first":
        events.reverse()
    first, second = (deliver(api, event) for event in events)
    assert (first.status, first.body["outcome"]) == (200, "credited")
    assert (second.status, second.body["outcome"]) == (200, "already_credited")
    assert second.body["transaction_id"] == first.body["transaction_id"]
    assert _total(tenant_a.id) == before + 10_000
    assert len(_purchases(tenant_a.id)) == 1


def test_a_replayed_delivery_is_acknowledged_without_a_second_credit(api, tenant_a):
    before = _total(tenant_a.id)
    payload, header = signed(checkout_completed(tenant_a.id))
    assert deliver(api, payload=payload, header=header).body["outcome"] == "credited"
    again = deliver(api, payload=payload, header=header)  # Stripe's retry: the same bytes, the same signature
    assert (again.status, again.body["outcome"]) == (200, "already_credited")
    assert _total(tenant_a.id) == before + 10_000


def test_a_payment_the_operator_recorded_by_hand_is_not_credited_again(api, tenant_a, platform_admin):
    body = {"organization_id": tenant_a.id, "credits": 1000, "payment_reference": PAYMENT_INTENT}
    assert api("create_topup", body=body, headers=platform_admin).status == 201
    before = _total(tenant_a.id)
    reply = deliver(api, payment_intent_succeeded(tenant_a.id))
    assert (reply.status, reply.body["outcome"]) == (200, "already_credited")
    assert _total(tenant_a.id) == before
    other = deliver(api, payment_intent_succeeded(tenant_a.id, credits_bought="5000"))
    assert other.status == 400  # the same payment, recorded for other credits: the operator must look
    assert other.body["error"]["details"]["field"] == "metadata.credits"
    assert _total(tenant_a.id) == before


def test_a_delayed_payment_is_credited_when_it_succeeds_not_when_the_checkout_completes(api, tenant_a):
    before = _total(tenant_a.id)
    pending = deliver(api, checkout_completed(tenant_a.id, payment_status="unpaid"))
    assert pending.status == 200
    assert pending.body["outcome"] == "ignored"
    assert "payment_status is unpaid" in pending.body["reason"]
    assert _total(tenant_a.id) == before
    paid = deliver(api, checkout_completed(tenant_a.id, type="checkout.session.async_payment_succeeded"))
    assert (paid.status, paid.body["outcome"]) == (200, "credited")
    assert _total(tenant_a.id) == before + 10_000


def test_amounts_are_read_in_the_currencys_minor_unit(api, tenant_a):
    deliver(api, payment_intent_succeeded(tenant_a.id, amount_received=5000, currency="jpy"))
    [purchase] = _purchases(tenant_a.id)
    assert purchase.description == "Credit top-up: 1,000 credits (5000.00 JPY)"  # yen have no minor unit


def test_a_base64_encoded_body_is_verified_as_the_bytes_it_decodes_to(emulated, tenant_a):
    before = _total(tenant_a.id)
    payload, header = signed(checkout_completed(tenant_a.id))
    event = copy.deepcopy(sample_event("stripe_webhook"))
    event["headers"]["stripe-signature"] = header
    event["body"], event["isBase64Encoded"] = base64.b64encode(payload).decode(), True
    result = invoke("stripe_webhook", event)
    assert result["statusCode"] == 200, result["body"]
    assert json.loads(result["body"])["outcome"] == "credited"
    assert _total(tenant_a.id) == before + 10_000


# ------------------------------------------------------------------ what is ignored


def test_other_event_types_are_acknowledged_and_change_nothing(api, tenant_a):
    before = _total(tenant_a.id)
    event = _event("customer.created", {"id": "cus_123", "object": "customer", "metadata": {}})
    reply = deliver(api, event)
    assert reply.status == 200
    assert reply.body["outcome"] == "ignored"
    assert reply.body["reason"] == "customer.created events do not top up credits"
    refund = _event("charge.refunded", {"id": "ch_1", "metadata": {"organization_id": tenant_a.id, "credits": "9"}})
    assert deliver(api, refund).body["outcome"] == "ignored"
    assert _total(tenant_a.id) == before
    assert _purchases(tenant_a.id) == []


def test_a_payment_that_is_not_a_credit_purchase_is_ignored(api, tenant_a):
    reply = deliver(api, checkout_completed(None, credits_bought=None, metadata={"order": "t-shirt"}))
    assert (reply.status, reply.body["outcome"]) == (200, "ignored")
    assert "not a credit purchase" in reply.body["reason"]


# ------------------------------------------------------------------ purchases that cannot be applied


@pytest.mark.parametrize(
    ("credits_bought", "expected"),
    [
        (None, "metadata.credits is missing"),
        ("", "metadata.credits is missing"),
        ("lots", "metadata.credits: Input should be a valid number"),
        ("0", "metadata.credits: Input should be greater than 0"),
        ("1.25", "metadata.credits: Input should be a multiple of 0.1"),
    ],
)
def test_a_purchase_without_valid_credits_is_a_400_naming_the_field(api, tenant_a, caplog, credits_bought, expected):
    before = _total(tenant_a.id)
    with caplog.at_level(logging.INFO):
        reply = deliver(api, checkout_completed(tenant_a.id, credits_bought=credits_bought))
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "INVALID_PARAMETER"
    assert reply.body["error"]["message"].startswith(expected)
    assert reply.body["error"]["details"] == {
        "field": "metadata.credits",
        "expected": "a number of credits > 0 and at most 10000000, in steps of 0.1",
    }
    assert _total(tenant_a.id) == before
    assert _purchases(tenant_a.id) == []
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "Stripe event not applied" in logged
    assert STRIPE_WEBHOOK_SECRET not in logged


def test_a_purchase_without_its_organization_is_a_400_naming_the_field(api, tenant_a):
    reply = deliver(api, checkout_completed(None))
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == "metadata.organization_id"


def test_a_purchase_for_an_unknown_organization_is_a_404_and_writes_nothing(api, emulated):
    missing = new_id()
    reply = deliver(api, checkout_completed(missing))
    assert reply.status == 404
    assert reply.body["error"] == {
        "code": "NOT_FOUND",
        "message": f"No organization {missing}",
        "details": {"field": "metadata.organization_id", "expected": "the id of the organization buying the credits"},
    }
    assert credits.get_credits(missing) is None


def test_a_paid_checkout_without_a_payment_intent_names_the_field(api, tenant_a):
    reply = deliver(api, checkout_completed(tenant_a.id, payment_intent=None))
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == "data.object.payment_intent"
    assert _purchases(tenant_a.id) == []


# ------------------------------------------------------------------ signatures


def test_a_delivery_signed_with_another_secret_is_refused_and_changes_nothing(api, tenant_a):
    before = _total(tenant_a.id)
    reply = deliver(api, checkout_completed(tenant_a.id), secret="whsec_someone_elses_secret")
    _refused(reply, "No v1 signature in Stripe-Signature matches the body")
    assert _total(tenant_a.id) == before


def test_a_changed_body_is_refused(api, tenant_a):
    before = _total(tenant_a.id)
    payload, header = signed(checkout_completed(tenant_a.id))
    tampered = payload.replace(b'"credits": "1000"', b'"credits": "1000000"')
    assert tampered != payload
    _refused(deliver(api, payload=tampered, header=header), "matches the body")
    reformatted = json.dumps(json.loads(payload)).encode()  # the same event, other bytes: not what was signed
    _refused(deliver(api, payload=reformatted, header=header), "matches the body")
    assert _total(tenant_a.id) == before


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_a_timestamp_outside_five_minutes_either_way_is_refused(api, tenant_a, offset):
    before = _total(tenant_a.id)
    reply = deliver(api, checkout_completed(tenant_a.id), at=time.time() + offset)
    _refused(reply, "more than 300 seconds from now")
    assert _total(tenant_a.id) == before


@pytest.mark.parametrize("offset", [-290, 290])
def test_a_timestamp_within_five_minutes_is_accepted(api, tenant_a, offset):
    assert deliver(api, checkout_completed(tenant_a.id), at=time.time() + offset).status == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Missing Stripe-Signature header"),
        ("", "Missing Stripe-Signature header"),
        ("t=abc,v1=00", "needs a t=<unix seconds> and at least one v1 signature"),
        ("v1=00", "needs a t=<unix seconds> and at least one v1 signature"),
        ("t={now}", "needs a t=<unix seconds> and at least one v1 signature"),
        ("t={now},v0=00", "needs a t=<unix seconds> and at least one v1 signature"),
        ("t={now},v1=é", "matches the body"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused(api, tenant_a, header, message):
    # the time is put in here, not in the parameters: every xdist worker must collect the same test ids
    header = header.replace("{now}", str(int(time.time()))) if header else header
    payload, _ = signed(checkout_completed(tenant_a.id))
    if header is None:  # the sample's own header taken out
        event = copy.deepcopy(sample_event("stripe_webhook"))
        del event["headers"]["stripe-signature"]
        event["body"] = payload.decode()
        result = invoke("stripe_webhook", event)
        reply = Reply(result["statusCode"], json.loads(result["body"]), result["headers"])
    else:
        reply = deliver(api, payload=payload, header=header)
    _refused(reply, message)
    assert _purchases(tenant_a.id) == []


def test_any_v1_signature_may_match_while_stripe_rolls_the_secret(api, tenant_a):
    at = int(time.time())
    payload, _ = signed(checkout_completed(tenant_a.id))
    old = stripe.signature("whsec_the_rolled_out_secret", at, payload)
    new = stripe.signature(STRIPE_WEBHOOK_SECRET, at, payload)
    reply = deliver(api, payload=payload, header=f"t={at},v1={old},v1={new},v0=ignored")
    assert (reply.status, reply.body["outcome"]) == (200, "credited")


def test_a_secret_set_in_secrets_manager_applies_at_once(api, tenant_a):
    assert deliver(api, _event("customer.created", {"id": "cus_1"})).status == 200  # the secret is now cached
    fresh = "whsec_just_set_by_the_operator"
    boto3.client("secretsmanager").put_secret_value(
        SecretId=get_settings().stripe_secret_id, SecretString=json.dumps({"webhook_secret": fresh})
    )
    reply = deliver(api, checkout_completed(tenant_a.id), secret=fresh)
    assert (reply.status, reply.body["outcome"]) == (200, "credited")
    _refused(deliver(api, checkout_completed(tenant_a.id), secret=STRIPE_WEBHOOK_SECRET), "matches the body")


# ------------------------------------------------------------------ the deployment


def test_the_webhook_is_counted_per_source_ip_as_the_public_pages(api, tenant_a):
    reply = deliver(api, checkout_completed(tenant_a.id))
    assert reply.headers["X-RateLimit-Limit"] == str(ratelimits.PAGE_LIMIT)
    assert reply.headers["X-RateLimit-Remaining"] == str(ratelimits.PAGE_LIMIT - 1)


def test_only_the_webhook_function_may_read_the_stripe_secret(stack, emulated):
    readers = [
        logical_id
        for logical_id, role in stack.roles.by_owner.items()
        if role.allows("secretsmanager:GetSecretValue", stack.provisioned.secrets["StripeWebhookSecret"])
    ]
    assert readers == ["StripeWebhookFunction"]


def test_a_secret_the_role_may_not_read_is_a_500_in_relay_format_and_credits_nothing(api, tenant_a, revoke):
    revoke("stripe_webhook", iam.granting("secretsmanager:GetSecretValue"))
    before = _total(tenant_a.id)
    reply = deliver(api, checkout_completed(tenant_a.id))
    assert reply.status == 500
    assert reply.body["error"]["code"] == "INTERNAL_ERROR"
    assert "permission" in reply.body["error"]["message"]
    assert "arn:" not in json.dumps(reply.body)
    assert _total(tenant_a.id) == before
