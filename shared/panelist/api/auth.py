"""Who is calling: API keys, access tokens (JWTs) and the platform-admin key.

The HttpApi authorizer runs `authorize` and always lets the request through with a context saying
who the caller is or why they are not authenticated: HTTP APIs cannot shape an authorizer's refusal,
and each surface must answer 401 in its own error format. The surface resolver turns that context
back into a `Principal` or the 401 (`principal_from_context`).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from panelist.accounts.api_keys import hash_key
from panelist.accounts.organizations import get_organization
from panelist.accounts.store import find_api_key, get_api_key_item
from panelist.core import aws, signing
from panelist.core.errors import ConfigurationError, Forbidden, NotFound, Unauthorized
from panelist.core.settings import get_settings
from panelist.models.organizations import AccessTokenOut, Role

ACCESS_AUDIENCE = "panelist:access"
PLATFORM_ADMIN = "platform_admin"


@dataclass(frozen=True)
class Principal:
    kind: str  # "api_key", "access_token" or "platform_admin"
    organization_id: str = ""
    role: str = ""
    key_id: str = ""
    plan: str = ""
    parent_id: str = ""
    rate_limit_per_hour: int = 0  # the organization's own limit (enterprise); 0: its plan's
    expires_at: int = 0  # an access token's `exp` (Unix seconds); 0: the credential does not expire

    @property
    def is_platform_admin(self) -> bool:
        return self.kind == PLATFORM_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


class AuthFailure(Exception):
    """Why a request is not authenticated; the message is safe to show the caller."""


def credential(headers: dict[str, str]) -> str:
    """The API key or token of a request: `apiKey: <key>` or `Authorization: Bearer <key or token>`."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if "apikey" in headers:
        if api_key := headers["apikey"].strip():
            return api_key
        raise AuthFailure("Invalid API key: the apiKey header is empty")
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise AuthFailure("Missing credentials: send the header `apiKey: <key>` or `Authorization: Bearer <key>`")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthFailure("Invalid Authorization header: expected `Bearer <API key or access token>`")
    return value.strip()


def _principal_for_key(organization_id: str, key_id: str, role: str, kind: str, expires_at: int = 0) -> Principal:
    try:
        org = get_organization(organization_id)
    except NotFound:
        raise AuthFailure("Invalid API key") from None
    return Principal(
        kind=kind,
        organization_id=org.id,
        role=role,
        key_id=key_id,
        plan=org.plan.value,
        parent_id=org.parent_id or "",
        rate_limit_per_hour=org.rate_limit_per_hour or 0,
        expires_at=expires_at,
    )


def authenticate(secret: str) -> Principal:
    if secret.count(".") == 2:  # a JWT
        try:
            claims = signing.verify(secret, audience=ACCESS_AUDIENCE)
        except signing.ExpiredToken:
            raise AuthFailure("Access token expired") from None
        except signing.InvalidToken:
            raise AuthFailure("Invalid access token") from None
        try:
            key = get_api_key_item(claims["org"], claims["sub"])
        except NotFound:
            raise AuthFailure("Invalid access token") from None
        if key.get("revoked_at"):
            raise AuthFailure("Access token revoked: its API key was revoked")
        return _principal_for_key(claims["org"], claims["sub"], key["role"], "access_token", int(claims["exp"]))
    admin_key = platform_admin_key()
    if admin_key and hmac.compare_digest(secret.encode(), admin_key.encode()):
        return Principal(kind=PLATFORM_ADMIN)
    lookup = find_api_key(hash_key(secret))
    if lookup is None:
        raise AuthFailure("Invalid API key")
    if lookup.get("revoked"):
        raise AuthFailure("API key revoked")
    return _principal_for_key(lookup["organization_id"], lookup["key_id"], lookup["role"], "api_key")


def platform_admin_key() -> str:
    """The platform-admin key, from its own secret; empty where this function is not given it."""
    secret_id = get_settings().admin_secret_id
    if not secret_id:
        return ""
    value = aws.secrets().get(secret_id, transform="json", max_age=signing.SECRET_CACHE_SECONDS)
    key = value.get("platform_admin_key") if isinstance(value, dict) else None
    if not isinstance(key, str) or len(key) < 32:
        raise ConfigurationError("the platform-admin secret has no platform_admin_key of at least 32 characters")
    return key


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_CACHE_LIMIT = 4096


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """The authorizer's simple response for an HttpApi REQUEST event (payload 2.0)."""
    try:
        secret = credential(event.get("headers") or {})
    except AuthFailure as exc:
        return {"isAuthorized": True, "context": {"error": str(exc)}}
    cache_key = hash_key(secret)
    cached = _cache.get(cache_key)
    if cached and cached[0] > time.monotonic():
        return {"isAuthorized": True, "context": cached[1]}
    try:
        principal = authenticate(secret)
    except AuthFailure as exc:
        return {"isAuthorized": True, "context": {"error": str(exc)}}
    context: dict[str, Any] = asdict(principal)
    ttl = float(get_settings().auth_cache_seconds)
    if principal.expires_at:  # a verdict never outlives the token it is about
        ttl = min(ttl, principal.expires_at - time.time())
    if ttl > 0:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[cache_key] = (time.monotonic() + ttl, context)
    return {"isAuthorized": True, "context": context}


def principal_from_context(context: dict[str, Any] | None) -> Principal:
    """The caller the authorizer identified, or Unauthorized saying why there is none."""
    context = context or {}
    if context.get("error") or not context.get("kind"):
        raise Unauthorized(context.get("error") or "Missing credentials")
    numbers = {"rate_limit_per_hour", "expires_at"}
    fields: dict[str, Any] = {
        k: int(context.get(k) or 0) if k in numbers else str(context.get(k) or "")
        for k in Principal.__dataclass_fields__
    }
    principal = Principal(**fields)
    if principal.expires_at and time.time() >= principal.expires_at:  # also when a cache kept the verdict
        raise Unauthorized("Access token expired")
    return principal


def issue_access_token(principal: Principal, expires_in: int) -> AccessTokenOut:
    """A short-lived JWT standing for the API key the caller authenticated with."""
    if principal.kind != "api_key":
        raise Forbidden("Access tokens are issued in exchange for an organization API key only")
    token, expires_at = signing.sign(
        {"sub": principal.key_id, "org": principal.organization_id, "role": principal.role},
        audience=ACCESS_AUDIENCE,
        ttl=timedelta(seconds=expires_in),
    )
    return AccessTokenOut(
        access_token=token,
        expires_in=expires_in,
        expires_at=expires_at,
        organization_id=principal.organization_id,
        role=Role(principal.role),
    )
