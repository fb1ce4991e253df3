"""API keys: random secrets shown once, stored only as a SHA-256 hash, revocable.

A key is found by its hash through a lookup item (`APIKEY#<hash>`) written in the same transaction
as the key itself, so a new key authenticates at once (no eventually consistent index on the path).
"""

from __future__ import annotations

import hashlib
import secrets

from panelist.accounts.organizations import ORG_SK, get_organization
from panelist.core.errors import NotFound
from panelist.core.storage import ConditionFailed, Item, check_op, org_pk, put_op, table, update_op
from panelist.models.common import new_id, now
from panelist.models.organizations import ApiKey, ApiKeyCreate

KEY_PREFIX = "pnl_"
DISPLAY_PREFIX_LENGTH = 12


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough; a slow KDF would only slow every request.
    return hashlib.sha256(key.encode()).hexdigest()


def lookup_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def create_api_key(organization_id: str, request: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key of the organization and its secret, which is never stored nor shown again."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(),
        organization_id=organization_id,
        name=request.name,
        role=request.role,
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        created_at=now(),
    )
    key_hash = hash_key(secret)
    try:
        table().transact(
            check_op(org_pk(organization_id), ORG_SK),
            put_op(
                {
                    "PK": org_pk(organization_id),
                    "SK": f"APIKEY#{key.id}",
                    "type": "ApiKey",
                    "key_hash": key_hash,
                    **key.model_dump(mode="json"),
                },
                unique=True,
            ),
            put_op(
                {
                    "PK": lookup_pk(key_hash),
                    "SK": "APIKEY",
                    "organization_id": organization_id,
                    "key_id": key.id,
                    "role": key.role.value,
                    "revoked": False,
                },
                unique=True,
            ),
        )
    except ConditionFailed:
        raise NotFound("organization not found", field="id") from None
    return key, secret


def list_api_keys(organization_id: str) -> list[ApiKey]:
    get_organization(organization_id)  # 404 for an unknown organization, not an empty list
    page = table().query(org_pk(organization_id), prefix="APIKEY#", limit=1000)
    return [ApiKey.model_validate(item) for item in page.items]


def get_api_key_item(organization_id: str, key_id: str) -> Item:
    item = table().get(org_pk(organization_id), f"APIKEY#{key_id}")
    if item is None:
        raise NotFound("API key not found", field="key_id")
    return item


def revoke_api_key(organization_id: str, key_id: str) -> ApiKey:
    """Revoke a key (and every access token issued for it); revoking twice changes nothing."""
    item = get_api_key_item(organization_id, key_id)
    if item.get("revoked_at") is None:
        revoked_at = now().isoformat()
        table().transact(
            update_op(org_pk(organization_id), f"APIKEY#{key_id}", "SET revoked_at = :at", at=revoked_at),
            update_op(lookup_pk(item["key_hash"]), "APIKEY", "SET revoked = :yes", yes=True),
        )
        item["revoked_at"] = revoked_at
    return ApiKey.model_validate(item)
