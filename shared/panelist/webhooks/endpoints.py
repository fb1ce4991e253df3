"""Webhook endpoints: URLs an organization registers to receive its events, and publishing to them.

An endpoint lives under the organization (`WEBHOOKENDPOINT#<id>`), next to a lookup item named after
its URL (`WEBHOOKURL#<sha256>`) and a counter, all written in one transaction: two requests
registering the same URL at once cannot both succeed, and the limit of MAX_ENDPOINTS holds under
concurrency too. `publish` hands one event to every subscribed endpoint through `delivery.enqueue`
(queued, signed, retried there); it never fails the caller, whose change is already committed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from panelist.core import net
from panelist.core.errors import BadRequest, Conflict, NotFound
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed, Item, counter_op, org_pk, put_op, serialize, table, update_op
from panelist.models.common import new_id, now
from panelist.models.webhooks import WebhookEndpoint, WebhookEndpointCreate, WebhookEvent
from panelist.webhooks import delivery

# Every event type an endpoint can subscribe to: the one place they are named.
EVENTS = (
    "session.started",
    "session.completed",
    "invite.opened",
    "campaign.completed",
    "credits.low",
)

MAX_ENDPOINTS = 20
PREFIX = "WEBHOOKENDPOINT#"
URL_PREFIX = "WEBHOOKURL#"
COUNTER = "WEBHOOKENDPOINTS"  # the counter item is COUNTER#WEBHOOKENDPOINTS (storage.counter_op)


def _url_key(url: str) -> str:
    """The hash two spellings of one URL share (host case, default port); BadRequest naming `url` if refused.

    Only https is accepted, except plain http to a loopback receiver where loopback receivers are
    allowed (`panelist serve`). A host name that already resolves must resolve to public addresses only.
    """
    allow_loopback = get_settings().allow_loopback_webhooks
    parsed = net.parse(url, field="url", allow_loopback=allow_loopback)
    loopback = (
        parsed.address.is_loopback
        if parsed.address is not None
        else parsed.host == "localhost" or parsed.host.endswith(".localhost")
    )
    if parsed.scheme != "https" and not (allow_loopback and loopback):
        raise BadRequest("url must use https", field="url", expected="a public https URL")
    net.check_url(url, resolve=False, allow_loopback=allow_loopback, field="url")
    canonical = f"{parsed.scheme}://{parsed.host}:{parsed.port}{parsed.target}"
    return hashlib.sha256(canonical.encode()).hexdigest()


def _events(requested: list[str] | None) -> list[str]:
    if requested is None:
        return list(EVENTS)
    unknown = [name for name in requested if name not in EVENTS]
    if unknown:
        raise BadRequest(
            f"events: unknown event type {', '.join(map(repr, unknown))}; use {', '.join(EVENTS)}",
            field="events",
            expected=f"event types among {', '.join(EVENTS)}",
        )
    return requested


def endpoint_item(endpoint: WebhookEndpoint, url_key: str) -> Item:
    return {
        "PK": org_pk(endpoint.organization_id),
        "SK": PREFIX + endpoint.id,
        "type": "WebhookEndpoint",
        "url_key": url_key,
        **endpoint.model_dump(mode="json"),
    }


def save_new_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Store a new endpoint with its URL lookup and the counter; Conflict for a known URL or past the limit."""
    url_key = _url_key(endpoint.url)
    pk = org_pk(endpoint.organization_id)
    try:
        table().transact(
            put_op(endpoint_item(endpoint, url_key), unique=True),
            put_op(
                {"PK": pk, "SK": URL_PREFIX + url_key, "type": "WebhookUrl", "endpoint_id": endpoint.id}, unique=True
            ),
            update_op(
                pk,
                f"COUNTER#{COUNTER}",
                "ADD #v :one",
                condition="attribute_not_exists(#v) OR #v < :max",
                names={"#v": "value"},
                one=1,
                max=MAX_ENDPOINTS,
            ),
        )
    except ConditionFailed as exc:
        if exc.reasons[1:2] == ["ConditionalCheckFailed"]:
            raise Conflict(
                "a webhook endpoint with this url already exists", field="url", expected="a URL not registered yet"
            ) from None
        if exc.reasons[2:3] == ["ConditionalCheckFailed"]:
            raise Conflict(
                f"an organization can have at most {MAX_ENDPOINTS} webhook endpoints; delete one first",
                expected=f"at most {MAX_ENDPOINTS} webhook endpoints per organization",
            ) from None
        raise
    return endpoint


def create_endpoint(organization_id: str, request: WebhookEndpointCreate) -> WebhookEndpoint:
    """Register a URL for the organization's events (by default, every event type)."""
    endpoint = WebhookEndpoint(
        id=new_id(),
        organization_id=organization_id,
        url=request.url,
        events=_events(request.events),
        description=request.description,
        created_at=now(),
    )
    return save_new_endpoint(endpoint)


def list_endpoints(organization_id: str, *, offset: int = 0, limit: int = MAX_ENDPOINTS) -> list[WebhookEndpoint]:
    """Endpoints [offset, offset + limit), oldest first: one Query reading offset + limit items at most."""
    items = table().query_offset(org_pk(organization_id), prefix=PREFIX, offset=offset, limit=limit)
    return [WebhookEndpoint.model_validate(item) for item in items]


def count_endpoints(organization_id: str) -> int:
    return table().counter(org_pk(organization_id), COUNTER)


def _delete_op(pk: str, sk: str, *, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"Key": serialize({"PK": pk, "SK": sk})}
    if condition:
        op["ConditionExpression"] = condition
    return {"Delete": op}


def delete_endpoint(organization_id: str, endpoint_id: str) -> None:
    """Remove an endpoint, its URL lookup and its place in the counter together; NotFound naming `id`."""
    pk = org_pk(organization_id)
    item = table().get(pk, PREFIX + endpoint_id)
    if item is None:
        raise NotFound("webhook endpoint not found", field="id")
    try:
        table().transact(
            _delete_op(pk, PREFIX + endpoint_id, condition="attribute_exists(PK)"),
            _delete_op(pk, URL_PREFIX + str(item["url_key"])),
            counter_op(pk, COUNTER, -1),
        )
    except ConditionFailed:  # deleted by a concurrent request
        raise NotFound("webhook endpoint not found", field="id") from None


def publish(organization_id: str, event_type: str, data: dict[str, Any], *, idempotency_key: str) -> list[str]:
    """Queue `event_type` for every endpoint of the organization subscribed to it; the webhook ids queued.

    Each endpoint gets `{"type", "timestamp", "data"}`, with the idempotency key `<key>:<endpoint id>`, so
    publishing the same event again gives the same webhook-id. Nothing here raises for a failure to
    read the endpoints or to queue one of them: it is logged, and the other endpoints still get theirs.
    """
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event type {event_type!r}; add it to EVENTS first")
    try:
        endpoints = list_endpoints(organization_id)
    except Exception:
        logger.exception("could not read the webhook endpoints", organization_id=organization_id, event_type=event_type)
        return []
    payload = WebhookEvent(type=event_type, timestamp=now(), data=data).model_dump(mode="json")
    queued: list[str] = []
    for endpoint in endpoints:
        if event_type not in endpoint.events:
            continue
        try:
            queued.append(
                delivery.enqueue(
                    organization_id,
                    endpoint.url,
                    event_type,
                    payload,
                    idempotency_key=f"{idempotency_key}:{endpoint.id}",
                )
            )
        except Exception:  # the URL is left out of the log: it may carry a receiver's token
            logger.exception(
                "could not queue the webhook",
                organization_id=organization_id,
                endpoint_id=endpoint.id,
                event_type=event_type,
            )
    return queued
