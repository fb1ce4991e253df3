"""API keys: random secrets shown once, stored only as a SHA-256 hash (see `accounts.store`), revocable."""

from __future__ import annotations

import hashlib
import secrets

from panelist.accounts import store
from panelist.accounts.store import get_organization
from panelist.models.common import new_id, now
from panelist.models.organizations import ApiKey, ApiKeyCreate

KEY_PREFIX = "pnl_"
DISPLAY_PREFIX_LENGTH = 12


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough; a slow KDF would only slow every request.
    return hashlib.sha256(key.encode()).hexdigest()


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
    store.insert_api_key(key, hash_key(secret))
    return key, secret


def list_api_keys(organization_id: str) -> list[ApiKey]:
    get_organization(organization_id)  # 404 for an unknown organization, not an empty list
    return store.list_api_keys(organization_id)


def revoke_api_key(organization_id: str, key_id: str) -> ApiKey:
    """Revoke a key (and every access token issued for it); revoking twice changes nothing."""
    item = store.get_api_key_item(organization_id, key_id)
    if item.get("revoked_at") is None:
        item["revoked_at"] = now().isoformat()
        store.mark_api_key_revoked(organization_id, key_id, item["key_hash"], item["revoked_at"])
    return ApiKey.model_validate(item)
