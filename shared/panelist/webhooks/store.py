"""The only writer of the webhooks items: endpoints (`WEBHOOKENDPOINT#`, their URL lookups `WEBHOOKURL#` and
counter), the organization's signing secret (`WEBHOOKSECRET`), delivery attempts (`WEBHOOK#<id>#ATTEMPT#`),
queued webhooks' payloads (`WEBHOOK#<id>#PAYLOAD`) and their index by what they are about
(`WEBHOOKABOUT#<subject>#<id>`, a subject being `candidate:<id>`, `session:<id>` or `invite:<id>`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from panelist.core.errors import Conflict, NotFound
from panelist.core.storage import ConditionFailed, Item, counter_op, delete_op, org_pk, put_op, table
from panelist.models.webhooks import WebhookEndpoint

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
