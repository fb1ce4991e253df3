"""Webhook endpoints: URLs an organization registers to receive its events, and publishing to them.

An endpoint lives under the organization (`WEBHOOKENDPOINT#<id>`), next to a lookup item named after
its URL (`WEBHOOKURL#<sha256>`) and a counter, all written in one transaction: two requests
registering the same URL at once cannot both succeed, and the limit of MAX_ENDPOINTS holds under
concurrency too; a change of URL (`update_endpoint`) swaps the lookup item in the same way. `publish` hands
one event to every enabled endpoint subscribed to it through `delivery.enqueue` (queued, signed, retried
there); it never fails the caller, whose change is already committed. `send_test` queues a `ping`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from panelist.core import net
from panelist.core.errors import BadRequest, Conflict, NotFound
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.models.common import new_id, now
from panelist.models.webhooks import (
    PingData,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookEvent,
)
from panelist.webhooks import delivery, store
from panelist.webhooks.store import (
    MAX_ENDPOINTS,
    count_deliveries,
    count_endpoints,
    delete_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
)

# Every event type an endpoint can subscribe to: the one place they are named.
__all__ = [
    "EVENTS",
    "MAX_ENDPOINTS",
    "count_deliveries",
    "count_endpoints",
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "publish",
    "send_test",
    "update_endpoint",
]

EVENTS = (
    "session.started",
    "session.completed",
    "invite.opened",
    "campaign.completed",
    "credits.low",
    "session.scored",
    "analysis.failed",
    "session.decided",
    "accommodation.requested",
)
PING = "ping"  # the test event: sent on request to one endpoint, never published


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


def create_endpoint(organization_id: str, request: WebhookEndpointCreate) -> WebhookEndpoint:
    """Register a URL for the organization's events (by default, every event type)."""
    created = now()
    endpoint = WebhookEndpoint(
        id=new_id(),
        organization_id=organization_id,
        url=request.url,
        events=_events(request.events),
        description=request.description,
        created_at=created,
        updated_at=created,
    )
    return save_new_endpoint(endpoint)


def save_new_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Store a new endpoint; BadRequest for a refused URL, Conflict for a known URL or past the limit."""
    store.insert_endpoint(endpoint, _url_key(endpoint.url))
    return endpoint


def update_endpoint(organization_id: str, endpoint_id: str, request: WebhookEndpointUpdate) -> WebhookEndpoint:
    """Change an endpoint's url, events, description or enabled; BadRequest, NotFound or Conflict (a URL the
    organization has) as on create. Only the fields given change; a URL goes through the same checks."""
    given = request.model_fields_set
    if not given:
        raise BadRequest(
            "nothing to change: give url, events, description or enabled",
            field="body",
            expected="at least one of url, events, description, enabled",
        )
    for name in ("url", "events", "enabled"):
        if name in given and getattr(request, name) is None:
            raise BadRequest(f"{name} cannot be null", field=name)
    current = get_endpoint(organization_id, endpoint_id)
    read_key = store.endpoint_url_key(organization_id, endpoint_id) or ""
    changes: dict[str, Any] = {name: getattr(request, name) for name in given}
    if "events" in changes:
        changes["events"] = _events(changes["events"])
    url_key = _url_key(changes["url"]) if "url" in changes else read_key
    updated = current.model_copy(update={**changes, "updated_at": now()})
    store.update_endpoint(updated, read_key, url_key)
    return updated


def send_test(organization_id: str, endpoint_id: str) -> WebhookDelivery:
    """Queue a signed `ping` to an endpoint, delivered like any event; Conflict for a disabled endpoint."""
    endpoint = get_endpoint(organization_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the webhook endpoint is disabled; enable it first", field="enabled", expected="true")
    data = PingData(endpoint_id=endpoint.id, message="A test event from Panelist: your endpoint is reachable.")
    payload = WebhookEvent(type=PING, timestamp=now(), data=data.model_dump(mode="json")).model_dump(mode="json")
    webhook_id = delivery.enqueue(organization_id, endpoint.url, PING, payload, endpoint_id=endpoint.id)
    record = store.get_delivery(organization_id, webhook_id)
    if record is None:  # written by enqueue before the message: only a concurrent TTL could take it
        raise NotFound("webhook delivery not found", field="id")
    return record


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
        if event_type not in endpoint.events or not endpoint.enabled:
            continue
        try:
            queued.append(
                delivery.enqueue(
                    organization_id,
                    endpoint.url,
                    event_type,
                    payload,
                    idempotency_key=f"{idempotency_key}:{endpoint.id}",
                    endpoint_id=endpoint.id,
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
