"""JWTs signed with a rotating key ring kept in Secrets Manager.

The secret holds `{"active_kid", "signing_keys": [{"kid", "secret", "created_at"}], "ip_hash_key"}`.
Tokens carry the `kid` of the key that signed them; rotation adds a key and makes it active while
older keys keep verifying until every token they could have signed has expired. `ip_hash_key` keys
the hashes of viewers' IPs (reports.shares) and never changes. The platform-admin key is in a secret
of its own (api.auth), readable only by the authorizer.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from panelist.core import aws
from panelist.core.errors import ConfigurationError, Forbidden, Gone
from panelist.core.settings import get_settings

ALGORITHM = "HS256"
ALGORITHMS = [ALGORITHM]  # the only algorithm ever accepted: no `none`, no confusion with RS*/ES*
ISSUER = "panelist"
MAX_TOKEN_LIFETIME = timedelta(days=30)  # no token outlives this; retired keys are kept as long
SECRET_CACHE_SECONDS = 300


class InvalidToken(Exception):
    """Forged, tampered, malformed, or signed by an unknown key."""


class ExpiredToken(InvalidToken):
    pass


@dataclass(frozen=True)
class KeyRing:
    active_kid: str
    keys: dict[str, str]
    ip_hash_key: str

    @classmethod
    def from_secret(cls, value: dict[str, Any]) -> KeyRing:
        keys = {k["kid"]: k["secret"] for k in value.get("signing_keys", [])}
        active = value.get("active_kid", "")
        if active not in keys or not value.get("ip_hash_key"):
            raise ConfigurationError("the signing secret has no active signing key or no ip_hash_key: rotate it once")
        return cls(active, keys, value["ip_hash_key"])


def new_signing_key(now: datetime) -> dict[str, str]:
    return {
        "kid": f"k{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
        "secret": secrets.token_urlsafe(48),
        "created_at": now.isoformat(),
    }


def rotated(value: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The secret after one rotation: a new active key; keys retired too long ago are dropped.

    A key is retired when the next one is created; it is kept while a token it signed may still be
    valid (MAX_TOKEN_LIFETIME after its retirement).
    """
    now = now or datetime.now(UTC)
    keys = sorted(value.get("signing_keys", []), key=lambda k: k["created_at"])
    retired_at = [datetime.fromisoformat(k["created_at"]) for k in keys[1:]]  # a key retires when its successor is born
    kept = [key for key, retired in zip(keys, retired_at, strict=False) if retired > now - MAX_TOKEN_LIFETIME]
    kept += keys[-1:]
    fresh = new_signing_key(now)
    ip_hash_key = value.get("ip_hash_key") or secrets.token_urlsafe(36)  # made once, by the first rotation
    return {**value, "signing_keys": [*kept, fresh], "active_kid": fresh["kid"], "ip_hash_key": ip_hash_key}


def new_secret_value(value: dict[str, Any] | None = None) -> str:
    """The secret as its first rotation leaves it (the local runtime creates the secret with this)."""
    return json.dumps(rotated(dict(value or {})))


def key_ring(*, refresh: bool = False) -> KeyRing:
    # AWSCURRENT is the default on AWS; naming it keeps moto (whose default lags a rotation) in step.
    value = aws.secrets().get(
        get_settings().secret_id,
        transform="json",
        max_age=SECRET_CACHE_SECONDS,
        force_fetch=refresh,
        VersionStage="AWSCURRENT",
    )
    if not isinstance(value, dict):
        raise ConfigurationError("the signing secret is not a JSON object")
    return KeyRing.from_secret(value)


def sign(claims: dict[str, Any], *, audience: str, ttl: timedelta) -> tuple[str, datetime]:
    """A token for `audience` valid for `ttl`, and the moment it expires."""
    if ttl <= timedelta(0) or ttl > MAX_TOKEN_LIFETIME:
        raise ValueError(f"token lifetime must be within (0, {MAX_TOKEN_LIFETIME}]")
    ring = key_ring()
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + ttl
    payload = {
        **claims,
        "iss": ISSUER,
        "aud": audience,
        "iat": now,
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(payload, ring.keys[ring.active_kid], algorithm=ALGORITHM, headers={"kid": ring.active_kid})
    return token, expires


def verify(token: str, *, audience: str) -> dict[str, Any]:
    """The claims of a token signed by one of our keys for `audience`; InvalidToken otherwise."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("malformed token") from exc
    ring = key_ring()
    if kid not in ring.keys:
        ring = key_ring(refresh=True)  # a key rotated in since this process cached the secret
        if kid not in ring.keys:
            raise InvalidToken("token signed by an unknown key")
    try:
        return jwt.decode(
            token,
            ring.keys[kid],
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredToken("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(str(exc)) from exc


def link_claims(token: str, *, audience: str, required: Sequence[str], expired: str, invalid: str) -> dict[str, Any]:
    """The claims of a public link's token, each of `required` a non-empty string.

    Gone (410, saying `expired`) once it expired; Forbidden (403, saying `invalid`) for anything else:
    forged, tampered, truncated, signed for another audience or missing a claim.
    """
    try:
        claims = verify(token, audience=audience)
    except ExpiredToken:
        raise Gone(expired) from None
    except InvalidToken:
        raise Forbidden(invalid) from None
    if not all(isinstance(claims.get(name), str) and claims[name] for name in required):
        raise Forbidden(invalid)
    return claims


def rotation_step(step: str, secret_id: str, token: str) -> None:
    """One step of the Secrets Manager rotation protocol for the key ring.

    createSecret stages the rotated ring as AWSPENDING; testSecret checks it is usable; finishSecret
    makes it AWSCURRENT. Nothing outside the secret holds the keys, so setSecret has nothing to do.
    """
    from panelist.core import aws

    manager = aws.client("secretsmanager")
    stages = manager.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    if token not in stages:
        raise ValueError(f"version {token} is not a version of this secret")
    if "AWSCURRENT" in stages[token]:
        return  # this rotation already finished
    if step == "createSecret":
        current = json.loads(manager.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")["SecretString"])
        try:
            pending = manager.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
            if json.loads(pending.get("SecretString") or "{}").get("active_kid") not in (
                None,
                current.get("active_kid"),
            ):
                return  # a retried createSecret: the rotated ring is already staged
        except manager.exceptions.ResourceNotFoundException:
            pass
        manager.put_secret_value(
            SecretId=secret_id,
            ClientRequestToken=token,
            SecretString=json.dumps(rotated(current)),
            VersionStages=["AWSPENDING"],
        )
    elif step == "testSecret":
        pending = manager.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
        KeyRing.from_secret(json.loads(pending["SecretString"]))
    elif step == "finishSecret":
        current = next(version for version, names in stages.items() if "AWSCURRENT" in names)
        manager.update_secret_version_stage(
            SecretId=secret_id, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )
    elif step != "setSecret":
        raise ValueError(f"unknown rotation step {step!r}")
