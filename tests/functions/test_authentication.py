"""Every bad credential is a 401 in the surface's own error format; a key without the right is a 403."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt

from panelist.api import auth, relay, xobin
from panelist.core import signing
from panelist.core.settings import get_settings


def _probe(app, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    """Resolve a GET through a probe resolver, with the authorizer's verdict on `headers`."""
    event = {
        "version": "2.0",
        "rawPath": path,
        "headers": headers,
        "body": None,
        "requestContext": {
            "http": {"method": "GET", "path": path},
            "stage": "$default",
            "authorizer": {"lambda": auth.authorize({"headers": headers})["context"]},
        },
    }
    reply = app.resolve(event, None)
    return reply["statusCode"], json.loads(reply["body"])


def _expired_token(tenant) -> str:
    ring = signing.key_ring()
    past = datetime.now(UTC) - timedelta(hours=2)
    claims = {
        "sub": tenant.member_key_id,
        "org": tenant.id,
        "role": "member",
        "iss": "panelist",
        "aud": "panelist:access",
        "iat": past,
        "exp": past + timedelta(hours=1),
    }
    return jwt.encode(claims, ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid})


def _tampered_token(api, tenant, other_org: str) -> str:
    token = api("create_access_token", headers=tenant.as_member()).body["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["org"] = other_org
    return ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), signature])


def _bad_credentials(api, tenant_a, tenant_b, platform_admin):
    ring = signing.key_ring()
    now = datetime.now(UTC)
    forged_claims = {
        "sub": tenant_a.admin_key_id,
        "org": tenant_a.id,
        "role": "admin",
        "iss": "panelist",
        "aud": "panelist:access",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    api(
        "revoke_api_key",
        path=f"/api/admin/organizations/{tenant_b.id}/api-keys/{tenant_b.member_key_id}",
        path_params={"id": tenant_b.id, "key_id": tenant_b.member_key_id},
        headers=platform_admin,
    )
    return {
        "missing": {},
        "empty apiKey": {"apikey": ""},
        "malformed scheme": {"authorization": f"Token {tenant_a.member_key}"},
        "empty bearer": {"authorization": "Bearer "},
        "unknown key": {"apikey": "pnl_this-key-does-not-exist"},
        "revoked key": tenant_b.as_member(),
        "expired token": {"authorization": f"Bearer {_expired_token(tenant_a)}"},
        "token with wrong key": {
            "authorization": "Bearer "
            + jwt.encode(
                forged_claims,
                "an-attacker-key-that-is-32-bytes-long",
                algorithm="HS256",
                headers={"kid": ring.active_kid},
            )
        },
        "alg none token": {
            "authorization": "Bearer "
            + jwt.encode(forged_claims, None, algorithm="none", headers={"kid": ring.active_kid})
        },
        "tampered token": {"authorization": f"Bearer {_tampered_token(api, tenant_a, tenant_b.id)}"},
    }


def test_bad_credentials_are_401_in_every_surface_format(api, tenant_a, tenant_b, platform_admin):
    xobin_app = xobin.resolver()
    xobin_app.get("/api/v2/probe")(lambda: {"ok": True})
    for case, headers in _bad_credentials(api, tenant_a, tenant_b, platform_admin).items():
        relay_reply = api("list_organizations", headers=headers)
        assert relay_reply.status == 401, case
        assert relay_reply.body["error"]["code"] == "UNAUTHORIZED", case
        mojito_reply = api("create_access_token", headers=headers)
        assert mojito_reply.status == 401, case
        assert set(mojito_reply.body) == {"error"}, case
        status, body = _probe(xobin_app, "/api/v2/probe", headers)
        assert status == 401, case
        assert set(body) == {"error"}, case


def test_messages_say_what_is_wrong_without_echoing_the_secret(api, tenant_a):
    missing = api("list_organizations", headers={}).body["error"]["message"]
    assert "apiKey" in missing
    assert "Authorization" in missing
    unknown = api("list_organizations", headers={"apikey": "pnl_secret-value-123"}).body["error"]["message"]
    assert unknown == "Invalid API key"
    expired = api("list_organizations", headers={"authorization": f"Bearer {_expired_token(tenant_a)}"})
    assert expired.body["error"]["message"] == "Access token expired"


def test_all_three_credential_forms_identify_the_same_caller(api, tenant_a):
    token = api("create_access_token", headers={"apikey": tenant_a.admin_key}).body["access_token"]
    for headers in (
        {"apikey": tenant_a.admin_key},
        {"authorization": f"Bearer {tenant_a.admin_key}"},
        {"authorization": f"bearer {token}"},
    ):
        reply = api("list_organizations", headers=headers)
        assert reply.status == 403, headers  # authenticated, but not the platform admin


def test_a_member_key_on_an_admin_route_is_403(tenant_a):
    admin_app = relay.resolver(relay.Access.admin)
    admin_app.get("/api/admin/probe")(lambda: {"ok": True})
    status, body = _probe(admin_app, "/api/admin/probe", tenant_a.as_member())
    assert status == 403
    assert body["error"]["code"] == "FORBIDDEN"
    assert _probe(admin_app, "/api/admin/probe", tenant_a.as_admin())[0] == 200


class _Clock:
    """time.time and time.monotonic of the auth module, moved forward by the test."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


def test_a_cached_verdict_never_outlives_the_access_token(tenant_a, monkeypatch):
    """The authorizer keeps verdicts for 30 s, but a token expiring sooner is refused from its exp on."""
    cached_for_30s = get_settings().model_copy(update={"auth_cache_seconds": 30})
    monkeypatch.setattr(auth, "get_settings", lambda: cached_for_30s)
    monkeypatch.setattr(auth, "_cache", {})
    clock = _Clock()
    monkeypatch.setattr(auth, "time", clock)
    token, _ = signing.sign(
        {"sub": tenant_a.member_key_id, "org": tenant_a.id, "role": "member"},
        audience=auth.ACCESS_AUDIENCE,
        ttl=timedelta(seconds=10),
    )
    app = relay.resolver()
    app.get("/api/probe")(lambda: {"ok": True})
    headers = {"authorization": f"Bearer {token}"}
    assert _probe(app, "/api/probe", headers)[0] == 200
    clock.ahead = 5
    assert _probe(app, "/api/probe", headers)[0] == 200
    clock.ahead = 11  # past exp, well inside the 30 s the verdict would otherwise be kept
    status, body = _probe(app, "/api/probe", headers)
    assert (status, body["error"]["message"]) == (401, "Access token expired")
