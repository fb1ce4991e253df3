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
from panelist.core.errors import BadRequest
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.models.common import new_id, now
from panelist.models.webhooks import WebhookEndpoint, WebhookEndpointCreate, WebhookEvent
from panelist.webhooks import delivery, store
from panelist.webhooks.store import MAX_ENDPOINTS, count_endpoints, delete_endpoint, list_endpoints

# Every event type an endpoint can subscribe to: the one place they are named.
__all__ = [
    "EVENTS",
    "MAX_ENDPOINTS",
    "count_endpoints",
    "create_endpoint",
    "delete_endpoint",
    "list_endpoints",
    "publish",
]

EVENTS = (
    "session.started",
    "session.completed",
    "invite.opened",
    "campaign.completed",
    "credits.low",
)


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
    endpoint = WebhookEndpoint(
        id=new_id(),
        organization_id=organization_id,
        url=request.url,
        events=_events(request.events),
        description=request.description,
        created_at=now(),
    )
    return save_new_endpoint(endpoint)


def save_new_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Store a new endpoint; BadRequest for a refused URL, Conflict for a known URL or past the limit."""
    store.insert_endpoint(endpoint, _url_key(endpoint.url))
    return endpoint


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
