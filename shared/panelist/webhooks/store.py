"""The only writer of the webhooks items: endpoints (`WEBHOOKENDPOINT#`, their URL lookups `WEBHOOKURL#` and
counter), the organization's signing secret (`WEBHOOKSECRET`), delivery attempts (`WEBHOOK#<id>#ATTEMPT#`),
queued webhooks' payloads (`WEBHOOK#<id>#PAYLOAD`) and their index by what they are about
(`WEBHOOKABOUT#<subject>#<id>`, a subject being `candidate:<id>`, `session:<id>` or `invite:<id>`), and each
webhook's delivery record (`WEBHOOK#<id>#DELIVERY`: status and every attempt), listed per endpoint, newest
first, through GSI1 (`WEBHOOKDELIVERIES#<organization>#<endpoint>`, sorted by creation time)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from panelist.core.errors import Conflict, NotFound
from panelist.core.storage import (
    ConditionFailed,
    Item,
    counter_op,
    delete_op,
    org_pk,
    put_op,
    serialize,
    table,
    update_op,
)
from panelist.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint

PREFIX = "WEBHOOKENDPOINT#"
URL_PREFIX = "WEBHOOKURL#"
COUNTER = "WEBHOOKENDPOINTS"
SECRET_SK = "WEBHOOKSECRET"  # noqa: S105 - a sort key
ABOUT_PREFIX = "WEBHOOKABOUT#"
TRANSACTION_ITEMS = 100
MAX_ENDPOINTS = 20


# ------------------------------------------------------------------ endpoints


def insert_endpoint(endpoint: WebhookEndpoint, url_key: str) -> None:
    """Store a new endpoint with its URL lookup and the counter; Conflict for a known URL or past the limit."""
    pk = org_pk(endpoint.organization_id)
    try:
        table().transact(
            put_op(
                {
                    "PK": pk,
                    "SK": PREFIX + endpoint.id,
                    "type": "WebhookEndpoint",
                    "url_key": url_key,
                    **endpoint.model_dump(mode="json"),
                },
                unique=True,
            ),
            put_op(
                {"PK": pk, "SK": URL_PREFIX + url_key, "type": "WebhookUrl", "endpoint_id": endpoint.id}, unique=True
            ),
            counter_op(pk, COUNTER, below=MAX_ENDPOINTS),
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


def find_endpoint(organization_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    item = table().get(org_pk(organization_id), PREFIX + endpoint_id)
    return WebhookEndpoint.model_validate(item) if item else None


def get_endpoint(organization_id: str, endpoint_id: str) -> WebhookEndpoint:
    """An endpoint of the organization; NotFound naming `id` (an endpoint of another organization too)."""
    endpoint = find_endpoint(organization_id, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint not found", field="id")
    return endpoint


def endpoint_url_key(organization_id: str, endpoint_id: str) -> str | None:
    item = table().get(org_pk(organization_id), PREFIX + endpoint_id)
    return str(item["url_key"]) if item else None


def update_endpoint(endpoint: WebhookEndpoint, read_url_key: str, url_key: str) -> None:
    """Write a changed endpoint, conditional on the URL it was read with; a new URL swaps its lookup item in
    the same transaction. Conflict naming `url` for a URL the organization has; NotFound if it went meanwhile."""
    pk = org_pk(endpoint.organization_id)
    fields = endpoint.model_dump(mode="json", include={"url", "events", "description", "enabled", "updated_at"})
    names = {f"#{name}": name for name in fields}
    update = update_op(
        pk,
        PREFIX + endpoint.id,
        "SET " + ", ".join(f"#{name} = :{name}" for name in fields) + ", url_key = :url_key",
        condition="attribute_exists(PK) AND url_key = :read_url_key",
        names=names,
        url_key=url_key,
        read_url_key=read_url_key,
        **fields,
    )
    ops = [update]
    if url_key != read_url_key:
        ops += [
            delete_op(pk, URL_PREFIX + read_url_key),
            put_op(
                {"PK": pk, "SK": URL_PREFIX + url_key, "type": "WebhookUrl", "endpoint_id": endpoint.id}, unique=True
            ),
        ]
    try:
        table().transact(*ops)
    except ConditionFailed as exc:
        if exc.reasons[2:3] == ["ConditionalCheckFailed"]:
            raise Conflict(
                "a webhook endpoint with this url already exists", field="url", expected="a URL not registered yet"
            ) from None
        raise NotFound("webhook endpoint not found (deleted or changed meanwhile)", field="id") from None


def list_endpoints(organization_id: str, *, offset: int = 0, limit: int = MAX_ENDPOINTS) -> list[WebhookEndpoint]:
    """Endpoints [offset, offset + limit), oldest first: one Query reading offset + limit items at most."""
    items = table().query_offset(org_pk(organization_id), prefix=PREFIX, offset=offset, limit=limit)
    return [WebhookEndpoint.model_validate(item) for item in items]


def count_endpoints(organization_id: str) -> int:
    return table().counter(org_pk(organization_id), COUNTER)


def delete_endpoint(organization_id: str, endpoint_id: str) -> None:
    """Remove an endpoint, its URL lookup and its place in the counter together; NotFound naming `id`."""
    pk = org_pk(organization_id)
    item = table().get(pk, PREFIX + endpoint_id)
    if item is None:
        raise NotFound("webhook endpoint not found", field="id")
    try:
        table().transact(
            delete_op(pk, PREFIX + endpoint_id, condition="attribute_exists(PK)"),
            delete_op(pk, URL_PREFIX + str(item["url_key"])),
            counter_op(pk, COUNTER, -1),
        )
    except ConditionFailed:  # deleted by a concurrent request
        raise NotFound("webhook endpoint not found", field="id") from None


# ------------------------------------------------------------------ the signing secret


def get_secret_item(organization_id: str) -> Item | None:
    return table().get(org_pk(organization_id), SECRET_SK)


def insert_secret(organization_id: str, secret: str, at: datetime) -> Item:
    """Store the organization's first secret; a concurrent first writer wins and its item is returned."""
    item = {"PK": org_pk(organization_id), "SK": SECRET_SK, "type": "WebhookSecret", "secret": secret}
    item["created_at"] = at.isoformat()
    try:
        table().put(item, unique=True)
    except ConditionFailed:
        winner = get_secret_item(organization_id)
        if winner is None:
            raise
        return winner
    return item


def replace_secret(organization_id: str, secret: str, at: datetime, previous_until: datetime) -> None:
    """The new current secret; the one it replaces stays as `previous_secret` until `previous_until`."""
    table().update(
        org_pk(organization_id),
        SECRET_SK,
        "SET #prev = #cur, #until = :until, #cur = :new, #rotated = :at",
        condition="attribute_exists(PK)",
        names={"#prev": "previous_secret", "#cur": "secret", "#until": "previous_expires_at", "#rotated": "rotated_at"},
        new=secret,
        until=previous_until.isoformat(),
        at=at.isoformat(),
    )


# ------------------------------------------------------------------ attempts


def record_attempt(organization_id: str, webhook_id: str, attempt: int, expires: datetime, **fields: Any) -> None:
    """Keep one delivery attempt until `expires` (the table's TTL removes it)."""
    table().put(
        {
            "PK": org_pk(organization_id),
            "SK": f"WEBHOOK#{webhook_id}#ATTEMPT#{attempt:03d}",
            "type": "WebhookAttempt",
            "webhook_id": webhook_id,
            "attempt": attempt,
            "ttl": int(expires.timestamp()),
            **fields,
        }
    )


# ------------------------------------------------------------------ payloads


def _payload_sk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}#PAYLOAD"


def _about_sk(subject: str, webhook_id: str) -> str:
    return f"{ABOUT_PREFIX}{subject}#{webhook_id}"


def save_payload(
    organization_id: str, webhook_id: str, body: str, subjects: Sequence[str], *, at: datetime, expires: datetime
) -> None:
    """Keep a webhook's body (the exact JSON sent) until `expires`, indexed under each subject it names.

    The first body saved under an id stays (a repeated enqueue is the same webhook, as SQS deduplicates it):
    its index entries are written with it, in one transaction, or before it when there are too many for one.
    """
    pk, ttl = org_pk(organization_id), int(expires.timestamp())
    index = [
        put_op(
            {"PK": pk, "SK": _about_sk(s, webhook_id), "type": "WebhookSubject", "webhook_id": webhook_id, "ttl": ttl}
        )
        for s in dict.fromkeys(subjects)
    ]
    payload = put_op(
        {
            "PK": pk,
            "SK": _payload_sk(webhook_id),
            "type": "WebhookPayload",
            "webhook_id": webhook_id,
            "body": body,
            "subjects": list(dict.fromkeys(subjects)),
            "created_at": at.isoformat(),
            "ttl": ttl,
        },
        unique=True,
    )
    ops = [*index, payload]
    chunks = [ops[start : start + TRANSACTION_ITEMS] for start in range(0, len(ops), TRANSACTION_ITEMS)]
    for chunk in chunks[:-1]:
        table().transact(*chunk)
    with suppress(ConditionFailed):  # saved by an earlier enqueue of the same webhook, which indexed it
        table().transact(*chunks[-1])


def get_payload(organization_id: str, webhook_id: str) -> Item | None:
    """A webhook's payload item: `body`, or `erased_at` once its subject was erased; None when not kept."""
    return table().get(org_pk(organization_id), _payload_sk(webhook_id))


def webhooks_about(organization_id: str, subject: str) -> list[str]:
    """The ids of the kept webhooks whose payload names `subject` (one Query, paged)."""
    ids: list[str] = []
    partition, cursor = org_pk(organization_id), None
    while True:
        page = table().query(partition, prefix=f"{ABOUT_PREFIX}{subject}#", limit=100, cursor=cursor)
        ids += [str(item["webhook_id"]) for item in page.items]
        if not (cursor := page.cursor):
            return ids


def erase_payload(organization_id: str, webhook_id: str, at: datetime) -> bool:
    """Drop a webhook's body and mark it erased (kept so delivery knows why); False when it is not kept."""
    try:
        table().update(
            org_pk(organization_id),
            _payload_sk(webhook_id),
            "REMOVE #body SET erased_at = if_not_exists(erased_at, :at)",
            condition="attribute_exists(PK)",
            names={"#body": "body"},
            at=at.isoformat(),
        )
    except ConditionFailed:
        return False
    return True


# ------------------------------------------------------------------ deliveries

DELIVERIES_INDEX = "GSI1"
DELIVERIES_PREFIX = "WEBHOOKDELIVERIES#"


def _delivery_sk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}#DELIVERY"


def _deliveries_pk(organization_id: str, endpoint_id: str) -> str:
    return f"{DELIVERIES_PREFIX}{organization_id}#{endpoint_id}"


def insert_delivery(delivery: WebhookDelivery, expires: datetime) -> bool:
    """Keep a new delivery record until `expires`; False when the webhook has one already (published again)."""
    item: Item = {
        "PK": org_pk(delivery.organization_id),
        "SK": _delivery_sk(delivery.id),
        "type": "WebhookDelivery",
        "ttl": int(expires.timestamp()),
        **delivery.model_dump(mode="json"),
    }
    if delivery.endpoint_id:
        item["GSI1PK"] = _deliveries_pk(delivery.organization_id, delivery.endpoint_id)
        item["GSI1SK"] = f"{delivery.created_at.isoformat()}#{delivery.id}"
    try:
        table().put(item, unique=True)
    except ConditionFailed:
        return False
    return True


def get_delivery(organization_id: str, webhook_id: str) -> WebhookDelivery | None:
    item = table().get(org_pk(organization_id), _delivery_sk(webhook_id))
    return WebhookDelivery.model_validate(item) if item else None


def add_delivery_attempt(
    organization_id: str,
    webhook_id: str,
    attempt: dict[str, Any],
    status: DeliveryStatus,
    *,
    at: datetime,
    next_retry_at: datetime | None,
) -> None:
    """Append an attempt to a delivery record and set its status; nothing when there is no record (a webhook
    queued before records were kept)."""
    expression = "SET attempts = list_append(if_not_exists(attempts, :empty), :one)"
    expression += ", #status = :status, updated_at = :at"
    values: dict[str, Any] = {"empty": [], "one": [attempt], "status": status.value, "at": at.isoformat()}
    if next_retry_at is None:
        expression += " REMOVE next_retry_at"
    else:
        expression += ", next_retry_at = :next"
        values["next"] = next_retry_at.isoformat()
    with suppress(ConditionFailed):
        table().update(
            org_pk(organization_id),
            _delivery_sk(webhook_id),
            expression,
            condition="attribute_exists(PK)",
            names={"#status": "status"},
            **values,
        )


def mark_replayed(delivery: WebhookDelivery, *, at: datetime, status: DeliveryStatus = DeliveryStatus.pending) -> None:
    """Set a delivery back to `status` for a replay, conditional on it being as read (no two replays of one
    read); Conflict naming `id` when it changed meanwhile."""
    try:
        table().update(
            org_pk(delivery.organization_id),
            _delivery_sk(delivery.id),
            "SET #status = :status, replays = :replays, updated_at = :at REMOVE next_retry_at",
            condition="attribute_exists(PK) AND #status = :read AND replays = :read_replays",
            names={"#status": "status"},
            status=status.value,
            replays=delivery.replays + 1,
            at=at.isoformat(),
            read=delivery.status.value,
            read_replays=delivery.replays,
        )
    except ConditionFailed:
        raise Conflict("the delivery changed meanwhile; read it again", field="id") from None


def restore_delivery(delivery: WebhookDelivery) -> None:
    """Undo `mark_replayed` when the replay could not be queued."""
    with suppress(ConditionFailed):
        table().update(
            org_pk(delivery.organization_id),
            _delivery_sk(delivery.id),
            "SET #status = :status, replays = :replays",
            condition="attribute_exists(PK)",
            names={"#status": "status"},
            status=delivery.status.value,
            replays=delivery.replays,
        )


def list_deliveries(organization_id: str, endpoint_id: str, *, offset: int, limit: int) -> list[WebhookDelivery]:
    """An endpoint's deliveries [offset, offset + limit), newest first: one Query of GSI1."""
    items = table().query_offset(
        _deliveries_pk(organization_id, endpoint_id), index=DELIVERIES_INDEX, offset=offset, limit=limit, forward=False
    )
    return [WebhookDelivery.model_validate(item) for item in items]


def count_deliveries(organization_id: str, endpoint_id: str) -> int:
    """How many deliveries an endpoint has on record (a COUNT Query of GSI1, paged; no items are returned)."""
    client, total = table()._client, 0
    args: dict[str, Any] = {
        "TableName": table().name,
        "IndexName": DELIVERIES_INDEX,
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": serialize({":pk": _deliveries_pk(organization_id, endpoint_id)}),
        "Select": "COUNT",
    }
    while True:
        response = client.query(**args)
        total += int(response["Count"])
        if not response.get("LastEvaluatedKey"):
            return total
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
