"""The Python SDK (sdk/panelist_client) without a server: retries and backoff, errors, pagination, credentials,
webhook verification, and its models being those of the committed OpenAPI document."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from panelist_client import (
    ApiError,
    Client,
    RateLimitedError,
    Response,
    RetryPolicy,
    TokenExchange,
    WebhookVerificationError,
    verify_webhook,
)
from panelist_client.client import retry_after_seconds

from panelist.webhooks import delivery

ROOT = Path(__file__).resolve().parents[2]


class FakeServer:
    """A transport answering from a script of responses, recording every request."""

    def __init__(self, *answers: Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, dict, bytes | None]] = []

    def __call__(self, method, url, headers, body, timeout):
        self.requests.append((method, url, dict(headers), body))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def reply(status: int, body=None, **headers: str) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return Response(status, {k.lower().replace("_", "-"): v for k, v in headers.items()}, raw)


RELAY_429 = {"error": {"code": "RATE_LIMITED", "message": "Rate limit exceeded", "details": {}}}


def client(server: FakeServer, **kwargs) -> tuple[Client, list[float]]:
    slept: list[float] = []
    return Client("https://api.test", api_key="pnl_k", transport=server, sleep=slept.append, **kwargs), slept


def test_a_429_is_retried_after_the_seconds_retry_after_names_even_for_a_post():
    server = FakeServer(reply(429, RELAY_429, retry_after="7"), reply(201, {"id": "p1"}))
    api, slept = client(server)
    assert api.create_project("Research") == {"id": "p1"}
    assert slept == [7.0]
    assert [r[0] for r in server.requests] == ["POST", "POST"]


def test_without_retry_after_the_waits_grow_exponentially_with_jitter_and_then_give_up():
    server = FakeServer(*[reply(429, RELAY_429)] * 4)
    api, slept = client(server, retry=RetryPolicy(max_retries=3, base=1.0, cap=100.0))
    with pytest.raises(RateLimitedError) as raised:
        api.request("GET", "/api/campaigns")
    assert raised.value.code == "RATE_LIMITED"
    assert len(server.requests) == 4
    assert len(slept) == 3
    assert all(0 <= wait <= 2**attempt for attempt, wait in enumerate(slept))


def test_a_retry_after_longer_than_the_client_waits_is_raised_at_once():
    server = FakeServer(reply(429, RELAY_429, retry_after="3600"))
    api, slept = client(server)
    with pytest.raises(RateLimitedError) as raised:
        api.request("GET", "/api/campaigns")
    assert raised.value.retry_after == 3600
    assert slept == []


def test_retry_after_may_be_an_http_date():
    assert retry_after_seconds(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30)
    assert retry_after_seconds("soon") is None


def test_a_5xx_is_retried_for_idempotent_methods_only():
    server = FakeServer(reply(503, {"error": "busy"}), reply(200, {"ok": True}))
    api, slept = client(server)
    assert api.request("GET", "/api/billing/credits") == {"ok": True}
    assert len(slept) == 1
    server = FakeServer(reply(503, {"error": "busy"}))
    api, slept = client(server)
    with pytest.raises(ApiError) as raised:
        api.request("POST", "/api/projects", json_body={"name": "x"})
    assert (raised.value.status, slept) == (503, [])
    server = FakeServer(ConnectionResetError(), reply(202, {"job_id": "j"}))  # an Idempotency-Key makes it safe
    api, slept = client(server)
    assert api.generate_interview("Role", "Text", idempotency_key="k1") == {"job_id": "j"}
    assert server.requests[1][2]["Idempotency-Key"] == "k1"


@pytest.mark.parametrize(
    ("body", "message", "code", "field"),
    [
        ({"error": {"code": "INVALID_PARAMETER", "message": "name: bad", "details": {"field": "name"}}}, "name: bad",
         "INVALID_PARAMETER", "name"),
        ({"error": "Job role is required"}, "Job role is required", None, None),
        ({"error": "expires_in: too big", "name": "expires_in"}, "expires_in: too big", None, "expires_in"),
    ],
)  # fmt: skip
def test_errors_are_read_in_each_surfaces_format(body, message, code, field):
    api, _ = client(FakeServer(reply(400, body)))
    with pytest.raises(ApiError) as raised:
        api.request("GET", "/x")
    assert (raised.value.message, raised.value.code, raised.value.field) == (message, code, field)


def test_pagination_walks_limit_and_offset_to_the_total():
    pages = [
        reply(200, {"campaigns": [{"id": "1"}, {"id": "2"}], "total": 3, "limit": 2, "offset": 0}),
        reply(200, {"campaigns": [{"id": "3"}], "total": 3, "limit": 2, "offset": 2}),
    ]
    server = FakeServer(*pages)
    api, _ = client(server)
    assert [c["id"] for c in api.paginate("/api/campaigns", "campaigns", params={"status": "active"}, page_size=2)] == [
        "1",
        "2",
        "3",
    ]
    assert server.requests[0][1] == "https://api.test/api/campaigns?status=active&limit=2&offset=0"
    assert server.requests[1][1].endswith("offset=2")


def test_the_three_credential_forms():
    for kwargs, expected in (
        ({"api_key": "pnl_k"}, {"apiKey": "pnl_k"}),
        ({"api_key": "pnl_k", "bearer": True}, {"Authorization": "Bearer pnl_k"}),
        ({"access_token": "eyJ.t"}, {"Authorization": "Bearer eyJ.t"}),
    ):
        server = FakeServer(reply(200, {}))
        Client("https://api.test", transport=server, **kwargs).request("GET", "/api/projects")
        sent = server.requests[0][2]
        assert {k: sent[k] for k in expected} == expected
        assert not ({"apiKey", "Authorization"} - set(expected)) & set(sent)


def test_an_exchanged_token_is_fetched_once_and_renewed_before_it_expires():
    token = {"access_token": "eyJ.one", "expires_in": 120, "token_type": "bearer"}
    server = FakeServer(reply(200, token), reply(200, {}), reply(200, {}))
    api = Client("https://api.test", api_key="pnl_k", exchange=True, transport=server)
    api.request("GET", "/api/projects")
    api.request("GET", "/api/projects")
    assert [r[1].rsplit("/", 1)[1] for r in server.requests] == ["token", "projects", "projects"]
    assert server.requests[0][2]["apiKey"] == "pnl_k"
    assert server.requests[2][2]["Authorization"] == "Bearer eyJ.one"
    assert isinstance(api.credentials, TokenExchange)
    api.credentials._expires = time.time() + 30  # within renew_before: the next request fetches a new one
    server.answers += [reply(200, {**token, "access_token": "eyJ.two"}), reply(200, {})]
    api.request("GET", "/api/projects")
    assert server.requests[-1][2]["Authorization"] == "Bearer eyJ.two"


def test_a_webhook_signed_by_the_server_verifies_and_a_tampered_one_does_not():
    old, new = delivery.new_secret(), delivery.new_secret()
    body = json.dumps({"type": "session.completed", "data": {"session_id": "s1"}}).encode()
    now = int(time.time())
    headers = delivery.signed_headers([old, new], "msg_1", now, body, "session.completed")
    assert verify_webhook(new, headers, body)["data"] == {"session_id": "s1"}
    assert verify_webhook([delivery.new_secret(), old], headers, body)["type"] == "session.completed"
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(new, headers, body.replace(b"s1", b"s2"))
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(delivery.new_secret(), headers, body)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(new, headers, body, now=now + 301)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_webhook(new, {k: v for k, v in headers.items() if k != "webhook-id"}, body)


def test_the_models_are_those_of_the_committed_document():
    sys.path.insert(0, str(ROOT / "sdk"))
    try:
        import generate_models
    finally:
        sys.path.remove(str(ROOT / "sdk"))
    rendered = generate_models.render(json.loads((ROOT / "shared/panelist/api/openapi.json").read_text()))
    ruff = [sys.executable, "-m", "ruff", "format", "--stdin-filename", "models.py", "-"]
    formatted = subprocess.run(ruff, input=rendered, capture_output=True, text=True, check=True).stdout
    assert (ROOT / "sdk/panelist_client/models.py").read_text() == formatted, "run `make generate`"
