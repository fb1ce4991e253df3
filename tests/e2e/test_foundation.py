"""The foundation as a client meets it: organizations, keys, tokens, and bad input, over HTTP."""

import urllib.error
import urllib.request

import pytest


def test_a_client_onboards_and_calls_with_each_credential_form(client, platform_admin):
    org = client.request(
        "POST",
        "/api/admin/organizations",
        body={"name": "E2E Corp", "plan": "starter"},
        headers=platform_admin,
    )
    assert org.status == 201, org.raw
    key = client.request(
        "POST",
        f"/api/admin/organizations/{org.json['id']}/api-keys",
        body={"name": "ci", "role": "admin"},
        headers=platform_admin,
    )
    assert key.status == 201
    secret = key.json["key"]
    token = client.request("POST", "/auth/token", body={"expires_in": 300}, headers={"apiKey": secret})
    assert token.status == 200, token.raw
    forms = [
        {"apiKey": secret},
        {"Authorization": f"Bearer {secret}"},
        {"Authorization": f"Bearer {token.json['access_token']}"},
    ]
    for number, headers in enumerate(forms):
        created = client.request("POST", "/api/projects", body={"name": f"P{number}"}, headers=headers)
        assert created.status == 201, (headers, created.raw)
    listing = client.request("GET", "/api/projects", headers=forms[2])
    assert [p["name"] for p in listing.json["projects"]] == ["P0", "P1", "P2"]


def test_a_revoked_key_is_refused(client, platform_admin, served):
    org_id = served["demo"]["organization_id"]
    key = client.request(
        "POST", f"/api/admin/organizations/{org_id}/api-keys", body={"name": "temp"}, headers=platform_admin
    ).json
    revoked = client.request(
        "DELETE", f"/api/admin/organizations/{org_id}/api-keys/{key['id']}", headers=platform_admin
    )
    assert revoked.status == 200
    reply = client.request("GET", "/api/projects", headers={"apiKey": key["key"]})
    assert reply.status == 401
    assert reply.json["error"]["message"] == "API key revoked"


def test_the_demo_organization_keys_work(client, served):
    assert client.request("GET", "/api/projects", headers={"apiKey": served["demo"]["member_key"]}).status == 200
    assert (
        client.request("POST", "/auth/token", headers={"Authorization": f"Bearer {served['demo']['admin_key']}"}).status
        == 200
    )


def test_missing_credentials_are_401_json(client):
    reply = client.request("GET", "/api/projects")
    assert reply.status == 401
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json["error"]["code"] == "UNAUTHORIZED"


def test_every_answer_carries_the_rate_limit_through_the_gateway(client, served):
    demo = {"apiKey": served["demo"]["member_key"]}
    first, second = (client.request("GET", "/api/projects", headers=demo) for _ in range(2))
    assert first.headers["X-RateLimit-Limit"] == "10000"  # the demo organization is on the professional plan
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    assert int(first.headers["X-RateLimit-Reset"]) % 3600 == 0
    for anonymous in (client.request("GET", "/nowhere"), client.request("GET", "/api/projects")):  # by source IP
        assert (anonymous.status, anonymous.headers["X-RateLimit-Limit"]) in ((404, "100"), (401, "100"))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/api/v2/nothing", 404),
        ("PUT", "/api/projects", 405),
        ("GET", "/auth/token", 405),
    ],
)
def test_unknown_routes_and_wrong_methods(client, served, method, path, status):
    reply = client.request(method, path, headers={"apiKey": served["demo"]["member_key"]})
    assert reply.status == status
    assert "error" in reply.json
    if status == 405:
        assert reply.headers["Allow"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"[1,2]", 400),
        (b'"x"', 400),
        (b'{"name": "' + b"x" * (1024 * 1024) + b'"}', 413),
    ],
)
def test_bad_bodies_are_refused_with_a_clear_error(client, served, raw, status):
    reply = client.request("POST", "/api/projects", raw=raw, headers={"apiKey": served["demo"]["member_key"]})
    assert reply.status == status
    assert reply.json["error"]["details"]["field"] == "body"
    assert "Traceback" not in reply.raw.decode()


def test_json_sent_with_a_form_content_type_is_read_as_json(client, served):
    headers = {"apiKey": served["demo"]["member_key"], "Content-Type": "application/x-www-form-urlencoded"}
    reply = client.request("POST", "/auth/token", raw=b'{"expires_in": 5}', headers=headers)
    assert reply.status == 422
    assert reply.json == {"error": "expires_in: Input should be greater than or equal to 60", "name": "expires_in"}
    assert client.request("POST", "/auth/token", raw=b'{"expires_in": 60}', headers=headers).json["expires_in"] == 60


def test_a_demo_session_recording_is_reached_through_its_presigned_redirect(client, served):
    headers = {"apiKey": served["demo"]["member_key"]}
    session_id = served["demo"]["ids"]["sessions"][0]["id"]
    detail = client.request("GET", f"/api/sessions/{session_id}", headers=headers).json
    assert detail["audio_url"].endswith(f"/api/session/{session_id}/audio")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args, **_kwargs):
            return None

    request = urllib.request.Request(detail["audio_url"], headers=headers)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    assert redirect.value.code == 302
    with urllib.request.urlopen(redirect.value.headers["Location"], timeout=10) as recording:
        assert recording.headers["Content-Type"] == "audio/wav"
        assert recording.read(4) == b"RIFF"
