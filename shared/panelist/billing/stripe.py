"""Credits bought through Stripe: the webhook endpoint's signature check, and the payment events that top up.

Signatures (https://docs.stripe.com/webhooks#verify-manually): the `Stripe-Signature` header is
`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the endpoint's signing secret (the whole
`whsec_...` string), with one `v1` per secret while Stripe rolls the secret. A delivery is accepted when any
`v1` matches the exact bytes received and `t` is within TOLERANCE_SECONDS of now, either way; anything else is
a BadRequest and nothing is read or written. The secret is in Secrets Manager (`PANELIST_STRIPE_SECRET_ID`:
`{"webhook_secret": "whsec_..."}`, or the bare `whsec_...`), cached as the other secrets are; a signature the
cached secret does not match is checked once more against the secret read afresh, so a secret just set or
rolled applies at once.

Purchases: a payment's metadata names the organization and the credits bought (`organization_id`, `credits`:
Stripe metadata values are strings, e.g. "1000" or "2.5"). It is credited once per PaymentIntent, under the
ledger reference `topup:<PaymentIntent id>`: the one `POST /api/billing/topups` records for that id as its
`payment_reference`, so both events of one payment, Stripe's retries and an operator recording the payment by
hand add the credits once.

* `checkout.session.completed` and `checkout.session.async_payment_succeeded`, when `payment_status` is
  `paid`: the payment is `payment_intent`, the amount `amount_total`;
* `payment_intent.succeeded`: the payment is the object's `id`, the amount `amount_received`.

Every other event type is acknowledged and ignored (Stripe retries a delivery until it gets a 2xx), and so is a
payment whose metadata has neither `organization_id` nor `credits`: it is not a credit purchase (a Checkout
Session's metadata is not copied to its PaymentIntent, and the account may sell other things). A purchase that
cannot be applied (an unknown organization, `credits` missing or invalid) is a 4xx naming the field, logged,
and nothing is written: Stripe retries it for three days, so it is still credited once the cause is fixed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from panelist.billing import credits
from panelist.billing.pricing import show
from panelist.core import aws
from panelist.core.errors import BadRequest, ConfigurationError, NotFound, PanelistError
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.signing import SECRET_CACHE_SECONDS
from panelist.models.billing import StripeEvent, StripeOutcome, StripePayment, StripeWebhookOut, TopupCreate

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
SIGNATURE_FORMAT = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint\'s signing secret>'
CHECKOUT_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
PAYMENT_INTENT_EVENTS = frozenset({"payment_intent.succeeded"})

# Currencies whose minor unit is not the hundredth (https://docs.stripe.com/currencies#zero-decimal).
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

# What each field a purchase reads should hold, by its name (the last part of its path in the event).
_EXPECTED = {
    "organization_id": "the id of the organization buying the credits",
    "credits": "a number of credits > 0 and at most 10000000, in steps of 0.1",
    "payment_intent": "a PaymentIntent id (a Checkout Session in payment mode)",
    "amount_total": "an amount in the currency's minor unit, >= 0",
    "amount_received": "an amount in the currency's minor unit, >= 0",
    "currency": "a three-letter ISO currency code",
    "metadata": "an object of strings",
    "data": "an object holding the event's object",
    "object": "the event's object",
}

Model = TypeVar("Model", bound=BaseModel)


def clock() -> float:
    """Now, in epoch seconds (tests move it)."""
    return time.time()


# ------------------------------------------------------------------ signatures


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    """The `v1` signature of `payload` sent at `timestamp`, as Stripe computes it."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def signature_header(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` value for `payload`, as Stripe would send it (to try the endpoint locally)."""
    timestamp = int(clock()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, payload)}"


def webhook_secret(*, fresh: bool = False) -> str:
    """The endpoint's signing secret, from the secret this function alone may read (`fresh`: not from the cache)."""
    secret_id = get_settings().stripe_secret_id
    if not secret_id:
        raise ConfigurationError("PANELIST_STRIPE_SECRET_ID is not set: Stripe's signatures cannot be checked")
    value = aws.secrets().get(secret_id, max_age=SECRET_CACHE_SECONDS, force_fetch=fresh)
    text = value.decode() if isinstance(value, bytes) else str(value or "")
    secret: Any = text.strip()
    if secret.startswith("{"):
        try:
            secret = json.loads(secret).get("webhook_secret")
        except (ValueError, AttributeError):
            secret = None
    if not isinstance(secret, str) or not secret:
        logger.error("The Stripe webhook secret holds no signing secret", extra={"secret_id": secret_id})
        raise ConfigurationError('The Stripe webhook secret is not set: put {"webhook_secret": "whsec_..."} in it')
    return secret


def _refused(message: str) -> BadRequest:
    return BadRequest(message, field=SIGNATURE_HEADER, expected=SIGNATURE_FORMAT)


def _parse(header: str | None) -> tuple[int, list[bytes]]:
    """The timestamp and the `v1` signatures of a `Stripe-Signature` value (other schemes, e.g. v0, are not read)."""
    if not header or not header.strip():
        raise _refused(f"Missing {SIGNATURE_HEADER} header: only signed deliveries from Stripe are accepted")
    stamp, offered = "", []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and not stamp:
            stamp = value.strip()
        elif key == "v1" and value.strip():
            offered.append(value.strip().encode())
    if not _TIMESTAMP.fullmatch(stamp) or not offered:
        raise _refused(f"{SIGNATURE_HEADER} needs a t=<unix seconds> and at least one v1 signature")
    return int(stamp), offered


def _matches(secret: str, timestamp: int, payload: bytes, offered: list[bytes]) -> bool:
    expected = signature(secret, timestamp, payload).encode()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def verify(payload: bytes, header: str | None) -> None:
    """Accept a delivery whose `Stripe-Signature` signs exactly `payload`, made at most TOLERANCE_SECONDS from now."""
    timestamp, offered = _parse(header)
    if abs(clock() - timestamp) > TOLERANCE_SECONDS:
        raise _refused(
            f"The {SIGNATURE_HEADER} timestamp is more than {TOLERANCE_SECONDS} seconds from now: "
            "a replayed or delayed delivery"
        )
    if _matches(webhook_secret(), timestamp, payload, offered):
        return
    if _matches(webhook_secret(fresh=True), timestamp, payload, offered):  # the secret was just set or rolled
        return
    logger.warning("A Stripe-Signature matched no signing secret: forged, or the endpoint's secret is not this one")
    raise _refused(
        f"No v1 signature in {SIGNATURE_HEADER} matches the body: it was not signed with this endpoint's "
        "signing secret, or the body was changed on the way"
    )


# ------------------------------------------------------------------ events


def _validated(model: type[Model], value: Any, path: str) -> Model:
    """`value` as `model`, or a BadRequest naming the first field at fault by its path in the event."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        parts = [str(part) for part in error["loc"]]
        field = ".".join([path, *parts] if path else parts) or path or "body"
        name = parts[-1] if parts else path.rsplit(".", 1)[-1]
        raise BadRequest(
            f"{field}: {error['msg']}", field=field, expected=_EXPECTED.get(name, "what Stripe sends there")
        ) from None


def _amount(minor: int | None, currency: str | None) -> float | None:
    """An amount in the currency's minor unit, in its major unit (cents to euros, yen stay yen)."""
    if minor is None:
        return None
    code = (currency or "").lower()
    per_unit = 1 if code in _ZERO_DECIMAL else 1000 if code in _THREE_DECIMAL else 100
    return minor / per_unit


def _purchase(metadata: Mapping[str, str], payment_id: str, amount: int | None, currency: str | None) -> TopupCreate:
    """The top-up a paid payment asks for, checked as `POST /api/billing/topups` checks its body."""
    for name in ("organization_id", "credits"):
        if not metadata.get(name, "").strip():
            raise BadRequest(
                f"metadata.{name} is missing: a credit purchase names the organization and the credits it buys",
                field=f"metadata.{name}",
                expected=_EXPECTED[name],
            )
    fields = {"organization_id": "metadata.organization_id", "credits": "metadata.credits"}
    try:
        return TopupCreate.model_validate(
            {
                "organization_id": metadata["organization_id"],
                "credits": metadata["credits"],  # a number in a string, validated as the number
                "payment_reference": payment_id,
                "amount_paid": _amount(amount, currency),
                "currency": currency,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "metadata"
        field = fields.get(name, f"data.object.{name}")
        raise BadRequest(f"{field}: {error['msg']}", field=field, expected=_EXPECTED.get(name)) from None


def receive(payload: bytes, header: str | None) -> StripeWebhookOut:
    """Verify a delivery of the Stripe webhook, then credit the purchase it reports (once per PaymentIntent)."""
    verify(payload, header)
    try:
        body = json.loads(payload)
    except ValueError:
        raise BadRequest("The body is not JSON", field="body", expected="a Stripe event") from None
    event = _validated(StripeEvent, body, "")
    try:
        return _apply(event)
    except PanelistError as exc:  # a purchase that cannot be applied: Stripe retries it, the operator sees why
        logger.warning(
            "Stripe event not applied",
            extra={"event_id": event.id, "event_type": event.type, "field": exc.field, "reason": exc.message},
        )
        raise


def _ignored(event: StripeEvent, reason: str) -> StripeWebhookOut:
    logger.info("Stripe event ignored", extra={"event_id": event.id, "event_type": event.type, "reason": reason})
    return StripeWebhookOut(event_id=event.id, event_type=event.type, outcome=StripeOutcome.ignored, reason=reason)


def _apply(event: StripeEvent) -> StripeWebhookOut:
    if event.type not in CHECKOUT_EVENTS | PAYMENT_INTENT_EVENTS:
        return _ignored(event, f"{event.type} events do not top up credits")
    payment = _validated(StripePayment, event.data.object, "data.object")
    if event.type in CHECKOUT_EVENTS:
        if payment.payment_status != "paid":
            return _ignored(event, f"the Checkout Session's payment_status is {payment.payment_status}, not paid")
        payment_id, amount = payment.payment_intent, payment.amount_total
    else:
        payment_id, amount = payment.id, payment.amount_received
    metadata = payment.metadata or {}
    if not {"organization_id", "credits"} & metadata.keys():
        return _ignored(event, "the payment's metadata names no organization_id nor credits: not a credit purchase")
    if not payment_id:
        raise BadRequest(
            "The Checkout Session has no payment_intent",
            field="data.object.payment_intent",
            expected=_EXPECTED["payment_intent"],
        )
    try:
        applied = credits.topup(_purchase(metadata, payment_id, amount, payment.currency))
    except NotFound as exc:
        raise NotFound(exc.message, field="metadata.organization_id", expected=_EXPECTED["organization_id"]) from None
    except BadRequest as exc:
        if exc.field != "payment_reference":
            raise
        raise BadRequest(  # recorded before (by the operator, with this id) for another number of credits
            f"The payment {payment_id} was already recorded with a different number of credits",
            field="metadata.credits",
            expected="the credits this payment was recorded with",
        ) from None
    [transaction] = applied.transactions
    logger.info(
        "Stripe payment credited" if not applied.duplicate else "Stripe payment already credited",
        extra={
            "event_id": event.id,
            "event_type": event.type,
            "organization_id": transaction.organization_id,
            "payment_intent_id": payment_id,
            "transaction_id": transaction.id,
        },
    )
    return StripeWebhookOut(
        event_id=event.id,
        event_type=event.type,
        outcome=StripeOutcome.already_credited if applied.duplicate else StripeOutcome.credited,
        organization_id=transaction.organization_id,
        payment_intent_id=payment_id,
        transaction_id=transaction.id,
        credits=show(transaction.amount),
    )
