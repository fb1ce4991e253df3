"""Outbound webhooks: queued, signed per Standard Webhooks, retried with backoff, every attempt recorded.

`enqueue` keeps the payload in the table and puts one message on the webhook queue that only refers to it
(id, organization, URL, event type, time): a payload can hold a candidate's personal data, and a queue
message, in the queue or in its dead-letter queue, can be neither edited nor deleted by an erasure. The
payload item (`WEBHOOK#<id>#PAYLOAD`, kept PAYLOAD_RETENTION) is indexed under every candidate, session
and invite it names (`subjects`); erasing a candidate drops the bodies of those (`erase_about`), and a
message whose payload was erased is not sent: its attempt is recorded as `erased`. A message queued
before payloads were kept carries its payload inline and is delivered as it is.

DeliverWebhooksFunction hands each message to `handle_record`, which vets the URL again (the host is
resolved and the connection pinned to the vetted address), POSTs exactly the payload, and records the
attempt under the organization. A failure that may pass (network, timeout, 408, 429, 3xx, 5xx) delays
the message with exponential backoff and full jitter and leaves it on the queue; after MAX_ATTEMPTS
receives SQS moves it to the dead-letter queue. A refused URL or another 4xx is permanent: recorded,
not retried; so is a payload no longer kept (`expired`) or erased.

Every webhook has a delivery record (`store.insert_delivery`): its status (pending, delivered, failed,
dead-lettered, erased, expired, skipped), every attempt and the next retry's time; `GET /api/webhooks/{id}/deliveries`
lists an endpoint's. A message for an endpoint names it (`endpoint_id`) and goes to the endpoint's current URL;
when the endpoint is disabled or deleted by the time it is received, it is not sent and recorded `skipped`.
`replay` queues a finished delivery again (dead-lettered included): a fresh series of MAX_ATTEMPTS attempts,
numbered on from the earlier ones, with the same webhook-id.

Signatures (https://www.standardwebhooks.com): `webhook-signature` is a space-separated list of
`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one per secret of the
organization: two during the ROTATION_OVERLAP after `rotate_secret`. Receivers check it with `verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from secrets import token_bytes
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from panelist.core import aws, net, queues
from panelist.core.errors import BadRequest, ConfigurationError, Conflict, Gone, NotFound, ServiceUnavailable
from panelist.core.observability import logger, metrics
from panelist.core.settings import get_settings
from panelist.core.storage import Item
from panelist.models.common import now
from panelist.models.webhooks import OUTCOME_STATUS, DeliveryStatus, WebhookDelivery
from panelist.webhooks import store

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format marker, not a secret
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ATTEMPTS = 8  # the WebhookQueue RedrivePolicy maxReceiveCount in template.yaml
BACKOFF_BASE_SECONDS = 2
BACKOFF_CAP_SECONDS = 15 * 60
CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
ATTEMPT_RETENTION = timedelta(days=30)
# A message lives 4 days in WebhookQueue, then up to 14 in its dead-letter queue (a FIFO queue's clock starts
# again there), and 4 more if it is redriven: the payload outlives every message that refers to it.
PAYLOAD_RETENTION = timedelta(days=30)
# A delivery record outlives its payload by a week: a delivery listed then shows as `expired`, not as nothing.
DELIVERY_RETENTION = PAYLOAD_RETENTION + timedelta(days=7)
MAX_REPLAYS = 10
USER_AGENT = "Panelist-Webhooks/1"
TOLERANCE_SECONDS = 300

_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f3c1e-8d0a-4f5e-9a43-6c1f0e2d7b19")


class DeliveryFailed(Exception):
    """This attempt failed and a later one may succeed; the message comes back in `retry_in` seconds."""

    def __init__(self, message: str, *, retry_in: int) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class InvalidSignature(Exception):
    """A received webhook is not signed by any of the given secrets, or is outside the time tolerance."""


class QueuedWebhook(BaseModel):
    """The body of a webhook queue message: a reference to the payload kept in the table.

    `payload` is inline only in messages queued before payloads were kept (they are still delivered).
    """

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    organization_id: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")  # sent as the webhook-event header
    payload: dict[str, Any] | None = None
    created_at: datetime
    endpoint_id: str | None = None  # an endpoint's event: sent to its current URL, skipped once it is disabled
    attempt_offset: int = Field(default=0, ge=0)  # a replay: the attempts recorded before it


# ------------------------------------------------------------------ signatures


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret (its base64 part, decoded)."""
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a webhook secret (whsec_<base64>)") from None


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes, event_type: str) -> dict[str, str]:
    """The headers of one delivery attempt, signed with every secret in `secrets`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret_bytes(s), msg_id, timestamp, body) for s in secrets),
        "webhook-event": event_type,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    *,
    now_seconds: int | None = None,
) -> Any:
    """Check a received webhook (for receivers); its JSON payload, or InvalidSignature.

    Any one valid `v1` signature by any of `secrets` is enough (a receiver keeps both secrets while
    rotating), and the timestamp must be within `tolerance` seconds of now either way.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (lower.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp.isdigit() and signatures):
        raise InvalidSignature("missing or malformed webhook-id, webhook-timestamp or webhook-signature")
    timestamp = int(stamp)
    if abs((now_seconds if now_seconds is not None else int(time.time())) - timestamp) > tolerance:
        raise InvalidSignature("the timestamp is outside the tolerance")
    offered = [s.encode() for s in signatures.split() if s.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret_bytes(secret), msg_id, timestamp, body).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return json.loads(body)
    raise InvalidSignature("no signature matches")


# ------------------------------------------------------------------ secrets


def _secret_item(organization_id: str) -> Item:
    """The organization's secret item, created on first use (the first writer wins a race)."""
    return store.get_secret_item(organization_id) or store.insert_secret(organization_id, new_secret(), now())


def get_signing_secrets(organization_id: str) -> list[str]:
    """The organization's current secret first, then the previous one while its overlap lasts."""
    item = _secret_item(organization_id)
    result = [str(item["secret"])]
    previous, until = item.get("previous_secret"), item.get("previous_expires_at")
    if previous and until and datetime.fromisoformat(until) > now():
        result.append(str(previous))
    return result


def rotate_secret(organization_id: str) -> str:
    """A new current secret; the one it replaces keeps signing (alongside) for ROTATION_OVERLAP.

    Rotating again within the overlap drops the oldest secret at once.
    """
    _secret_item(organization_id)
    secret, at = new_secret(), now()
    store.replace_secret(organization_id, secret, at, at + ROTATION_OVERLAP)
    return secret


# ------------------------------------------------------------------ queueing


def message_id(organization_id: str, idempotency_key: str | None = None) -> str:
    """A fresh id, or the same one for the same organization and idempotency key."""
    if idempotency_key is None:
        return f"msg_{uuid.uuid4().hex}"
    name = f"{organization_id}\n{idempotency_key}"
    return f"msg_{uuid.uuid5(_IDEMPOTENCY_NAMESPACE, name).hex}"


# Fields that name what a payload is about, wherever they are in it; and the events `<resource>.<change>`
# whose `data.id` is that resource's id.
_SUBJECT_FIELDS = {"candidate_id": "candidate", "session_id": "session", "invite_id": "invite"}
_EVENT_RESOURCES = {"session": "session", "invite": "invite"}


def subject(kind: str, resource_id: str) -> str:
    """How a payload's index names a candidate, session or invite: `candidate:<id>`."""
    return f"{kind}:{resource_id}"


def subjects(event_type: str, payload: Mapping[str, Any]) -> list[str]:
    """Every candidate, session and invite the payload names (see `_SUBJECT_FIELDS`), sorted.

    Read from the payload itself, so an event that starts naming a candidate is indexed without its
    publisher having to say so.
    """
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if key in _SUBJECT_FIELDS and isinstance(inner, str) and inner:
                    found.add(subject(_SUBJECT_FIELDS[key], inner))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(payload)
    resource = _EVENT_RESOURCES.get(event_type.split(".", 1)[0])
    data = payload.get("data")
    if resource and isinstance(data, Mapping) and isinstance(data.get("id"), str) and data["id"]:
        found.add(subject(resource, data["id"]))
    return sorted(found)


def _json_body(payload: Mapping[str, Any]) -> str:
    """The exact JSON a receiver gets (and the signature covers)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def enqueue(
    organization_id: str,
    url: str,
    event_type: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    endpoint_id: str | None = None,
) -> str:
    """Queue one webhook; its id (the `webhook-id` receivers deduplicate on).

    The receiver gets exactly `payload` as JSON. It is kept in the table (first, so a message never
    refers to nothing) and the message only refers to it. The same `idempotency_key` gives the same id,
    so a retried caller's duplicate is recognisable (and the payload first kept for it is the one sent).
    `url` gets the checks that need no DNS (BadRequest on field "url"); delivery vets it fully.
    """
    settings = get_settings()
    if not settings.webhook_queue_url:
        raise ConfigurationError("PANELIST_WEBHOOK_QUEUE_URL is not set")
    net.parse(url, field="url", allow_loopback=settings.allow_loopback_webhooks)
    message = QueuedWebhook(
        id=message_id(organization_id, idempotency_key),
        organization_id=organization_id,
        url=url,
        type=event_type,
        created_at=now(),
        endpoint_id=endpoint_id,
    )
    store.save_payload(
        organization_id,
        message.id,
        _json_body(payload),
        subjects(event_type, payload),
        at=message.created_at,
        expires=message.created_at + PAYLOAD_RETENTION,
    )
    store.insert_delivery(
        WebhookDelivery(
            id=message.id,
            organization_id=organization_id,
            endpoint_id=endpoint_id,
            url=url,
            event_type=event_type,
            created_at=message.created_at,
            updated_at=message.created_at,
        ),
        message.created_at + DELIVERY_RETENTION,
    )
    _send(message, message.id)
    logger.info("webhook queued", webhook_id=message.id, organization_id=organization_id, event_type=event_type)
    return message.id


def _send(message: QueuedWebhook, deduplication_id: str) -> None:
    aws.client("sqs").send_message(
        QueueUrl=get_settings().webhook_queue_url,
        MessageBody=message.model_dump_json(exclude={"payload"}, exclude_defaults=True),
        # One group per destination keeps its webhooks in order without one slow receiver holding up others.
        MessageGroupId=hashlib.sha256(f"{message.organization_id}\n{message.url}".encode()).hexdigest(),
        MessageDeduplicationId=deduplication_id,
    )


_NOT_REPLAYABLE = {
    DeliveryStatus.erased: "its payload was erased with the data of a candidate it names",
    DeliveryStatus.expired: "its payload is no longer kept",
}


def replay(organization_id: str, webhook_id: str) -> WebhookDelivery:
    """Queue a finished delivery again: a fresh series of attempts with the same webhook-id.

    NotFound (naming `id`) for no such delivery in the organization; Gone for one whose payload was erased
    or is no longer kept; Conflict for one still pending, replayed MAX_REPLAYS times, or whose endpoint
    is disabled or deleted.
    """
    if not get_settings().webhook_queue_url:
        raise ConfigurationError("PANELIST_WEBHOOK_QUEUE_URL is not set")
    record = store.get_delivery(organization_id, webhook_id)
    if record is None:
        raise NotFound("webhook delivery not found", field="id")
    if record.status in _NOT_REPLAYABLE:
        raise Gone(f"the delivery cannot be replayed: {_NOT_REPLAYABLE[record.status]}", field="id")
    payload = store.get_payload(organization_id, webhook_id)
    if payload is None:
        raise Gone(f"the delivery cannot be replayed: {_NOT_REPLAYABLE[DeliveryStatus.expired]}", field="id")
    if "body" not in payload:
        raise Gone(f"the delivery cannot be replayed: {_NOT_REPLAYABLE[DeliveryStatus.erased]}", field="id")
    if record.status is DeliveryStatus.pending:
        raise Conflict(
            "the delivery is still pending: it is queued or waiting for its next retry",
            field="id",
            expected="a delivery that is delivered, failed, dead-lettered or skipped",
        )
    if record.replays >= MAX_REPLAYS:
        raise Conflict(f"a delivery can be replayed at most {MAX_REPLAYS} times", field="id")
    if record.endpoint_id:
        endpoint = store.find_endpoint(organization_id, record.endpoint_id)
        if endpoint is None:
            raise Conflict("the delivery's webhook endpoint was deleted", field="id")
        if not endpoint.enabled:
            raise Conflict("the delivery's webhook endpoint is disabled; enable it first", field="enabled")
    message = QueuedWebhook(
        id=record.id,
        organization_id=organization_id,
        url=record.url,
        type=record.event_type,
        created_at=now(),
        endpoint_id=record.endpoint_id,
        attempt_offset=len(record.attempts),
    )
    store.mark_replayed(record, at=message.created_at)
    try:
        _send(message, f"{record.id}.replay.{record.replays + 1}")
    except ClientError:
        logger.exception("could not queue the webhook replay", webhook_id=record.id)
        store.restore_delivery(record)
        raise ServiceUnavailable("the delivery could not be queued again; please retry") from None
    logger.info("webhook replayed", webhook_id=record.id, organization_id=organization_id, replay=record.replays + 1)
    replayed = store.get_delivery(organization_id, webhook_id)
    return replayed or record


# ------------------------------------------------------------------ delivery


def backoff(attempt: int, retry_after: int | None = None) -> int:
    """Seconds until the next attempt: full jitter over BASE * 2^(attempt-1), capped; at least Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (max(attempt, 1) - 1))
    delay = random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret
    return int(min(BACKOFF_CAP_SECONDS, max(1.0, delay, retry_after or 0)))


def _record(
    message: QueuedWebhook,
    attempt: int,
    started: datetime,
    outcome: str,
    *,
    retry_in: int | None = None,
    url: str | None = None,
    **result: Any,
) -> None:
    """Keep the attempt for ATTEMPT_RETENTION, and in the delivery record with the status it leads to;
    best effort, so a delivered webhook is not sent again for it."""
    attempt += message.attempt_offset
    kept = {k: v for k, v in result.items() if v is not None}
    try:
        store.record_attempt(
            message.organization_id,
            message.id,
            attempt,
            started + ATTEMPT_RETENTION,
            event_type=message.type,
            url=url or message.url,
            at=started.isoformat(),
            outcome=outcome,
            **kept,
        )
        entry = {"attempt": attempt, "at": started.isoformat(), "outcome": outcome}
        entry |= {"status_code": kept.get("status"), "error": kept.get("error"), "duration_ms": kept.get("duration_ms")}
        store.add_delivery_attempt(
            message.organization_id,
            message.id,
            {k: v for k, v in entry.items() if v is not None},
            OUTCOME_STATUS[outcome],
            at=now(),
            next_retry_at=started + timedelta(seconds=retry_in) if retry_in is not None else None,
        )
    except ClientError:
        logger.exception("could not record the webhook attempt", webhook_id=message.id, attempt=attempt)
    logger.info("webhook attempt", webhook_id=message.id, attempt=attempt, outcome=outcome, **result)
    metrics.add_metric(name=f"Webhook{outcome.capitalize()}", unit=MetricUnit.Count, value=1)


def _permanent(status: int) -> bool:
    return 400 <= status < 500 and status not in (408, 429)


def _kept_body(message: QueuedWebhook) -> tuple[bytes | None, str]:
    """The bytes to send, or None and why not: `erased` (its candidate's data) or `expired` (not kept)."""
    if message.payload is not None:  # queued before payloads were kept
        return _json_body(message.payload).encode(), ""
    item = store.get_payload(message.organization_id, message.id)
    if item is None:
        return None, "expired"
    if "body" not in item:
        return None, "erased"
    return str(item["body"]).encode(), ""


_NOT_SENT = {
    "erased": "not sent: the data of a candidate it names was erased",
    "expired": "not sent: its payload is no longer kept",
    "disabled": "not sent: its webhook endpoint is disabled",
    "deleted": "not sent: its webhook endpoint was deleted",
}


def _destination(message: QueuedWebhook) -> tuple[str | None, str]:
    """Where to send: the endpoint's current URL (or the message's, for a job notification); None and why
    not for an endpoint disabled or deleted since."""
    if message.endpoint_id is None:
        return message.url, ""
    endpoint = store.find_endpoint(message.organization_id, message.endpoint_id)
    if endpoint is None:
        return None, "deleted"
    if not endpoint.enabled:
        return None, "disabled"
    return endpoint.url, ""


def payload_of(message_body: Mapping[str, Any]) -> Any:
    """The payload a queued message carries or refers to; None once erased or no longer kept."""
    body, _ = _kept_body(QueuedWebhook.model_validate(message_body))
    return json.loads(body) if body is not None else None


def erase_about(organization_id: str, about: Iterable[str], *, at: datetime) -> int:
    """Drop the body of every kept webhook whose payload names one of the subjects `about`; how many.

    A message still queued for one of them (or parked in the dead-letter queue) is then not sent.
    """
    ids = {webhook_id for one in about for webhook_id in store.webhooks_about(organization_id, one)}
    return sum(store.erase_payload(organization_id, webhook_id, at) for webhook_id in sorted(ids))


def deliver(message_body: Mapping[str, Any], receive_count: int) -> None:
    """One delivery attempt of a queued webhook (`receive_count` is its attempt number), recorded.

    Returns when delivered or permanently refused, or when its payload was erased or is no longer kept
    (not sent: recorded as such); raises DeliveryFailed when it should be retried.
    """
    message = QueuedWebhook.model_validate(message_body)
    attempt = max(receive_count, 1)
    started, clock = now(), time.monotonic()
    try:
        body, why_not = _kept_body(message)
    except ClientError as exc:  # the table did not answer: like a network error, tried again later
        logger.exception("could not read the webhook payload", webhook_id=message.id)
        unread = f"the payload could not be read: {exc.response.get('Error', {}).get('Code', 'error')}"
        retry_in = backoff(attempt)
        last = attempt >= MAX_ATTEMPTS
        _record(
            message,
            attempt,
            started,
            "exhausted" if last else "retrying",
            error=unread,
            retry_in=None if last else retry_in,
        )
        raise DeliveryFailed(f"attempt {attempt} failed: {unread}", retry_in=retry_in) from None
    if body is None:
        _record(message, attempt, started, why_not, error=_NOT_SENT[why_not])
        return
    try:
        url, why_not = _destination(message)
    except ClientError as exc:
        logger.exception("could not read the webhook endpoint", webhook_id=message.id)
        unread = f"the endpoint could not be read: {exc.response.get('Error', {}).get('Code', 'error')}"
        retry_in = backoff(attempt)
        last = attempt >= MAX_ATTEMPTS
        _record(
            message,
            attempt,
            started,
            "exhausted" if last else "retrying",
            error=unread,
            retry_in=None if last else retry_in,
        )
        raise DeliveryFailed(f"attempt {attempt} failed: {unread}", retry_in=retry_in) from None
    if url is None:
        _record(message, attempt, started, "skipped", error=_NOT_SENT[why_not])
        return
    status: int | None = None
    error: str | None = None
    retry_after: int | None = None
    try:
        pinned = net.pin(url, allow_loopback=get_settings().allow_loopback_webhooks, field="url")
    except net.Unresolvable as exc:  # DNS may come back: retried like a network error
        error = exc.message
    except BadRequest as exc:
        _record(message, attempt, started, "refused", error=exc.message, url=url)
        return
    else:
        headers = signed_headers(
            get_signing_secrets(message.organization_id), message.id, int(time.time()), body, message.type
        )
        try:
            response = net.post(pinned, body, headers, connect_timeout=CONNECT_TIMEOUT, timeout=TOTAL_TIMEOUT)
            status, retry_after = response.status, response.retry_after
        except net.TransportError as exc:
            error = str(exc)
    duration_ms = int((time.monotonic() - clock) * 1000)
    if status is not None and 200 <= status < 300:
        _record(message, attempt, started, "delivered", status=status, duration_ms=duration_ms, url=url)
        return
    if status is not None and _permanent(status):
        _record(message, attempt, started, "rejected", status=status, duration_ms=duration_ms, url=url)
        return
    last = attempt >= MAX_ATTEMPTS  # the last: next stop, the dead-letter queue
    retry_in = backoff(attempt, retry_after)
    _record(
        message,
        attempt,
        started,
        "exhausted" if last else "retrying",
        status=status,
        error=error,
        duration_ms=duration_ms,
        url=url,
        retry_in=None if last else retry_in,
    )
    raise DeliveryFailed(f"attempt {attempt} failed: {error or f'HTTP {status}'}", retry_in=retry_in)


def _postpone(record: SQSRecord, seconds: int) -> None:
    queues.postpone(record, seconds, configured_url=get_settings().webhook_queue_url)


def handle_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """The batch record handler of DeliverWebhooksFunction: deliver, or fail the record and delay it."""
    attempt = int(record.attributes.approximate_receive_count or 1)
    if lambda_context is not None and lambda_context.get_remaining_time_in_millis() < (TOTAL_TIMEOUT + 5) * 1000:
        _postpone(record, 1)  # not attempted: no time left in this invocation for a full attempt
        raise DeliveryFailed("not attempted: the invocation is out of time", retry_in=1)
    try:
        deliver(json.loads(record.body), attempt)
    except DeliveryFailed as exc:
        _postpone(record, exc.retry_in)
        raise
    except ValueError:  # not a webhook message: kept, so that it ends up in the dead-letter queue
        logger.exception("malformed webhook message", message_id=record.message_id)
        raise
