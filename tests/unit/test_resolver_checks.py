"""Bodies are checked before any route runs; validation errors name the field in every surface."""

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from panelist.api import jobmojito, relay, xobin
from panelist.api import resolver as resolver_module
from panelist.api.ratelimits import Allowance
from panelist.api.resolver import MAX_BODY_BYTES, json_request
from panelist.core.errors import BadRequest, PayloadTooLarge


def _event(body, method="POST", content_type="application/json", b64=False):
    return {
        "body": body,
        "isBase64Encoded": b64,
        "headers": {"Content-Type": content_type},
        "requestContext": {"http": {"method": method}},
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
        ('"text"', "must be a JSON object, not str"),
        ("null", "must be a JSON object, not NoneType"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused_naming_the_problem(body, problem):
    with pytest.raises(BadRequest, match=problem) as caught:
        json_request(_event(body))
    assert caught.value.field == "body"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\xef\xbb\xbf" + b'{"a": 1}', "Unexpected UTF-8 BOM"),
        ('{"a": 1}'.encode("utf-16"), "codec can't decode"),
        (b'{"a": "\xff"}', "codec can't decode"),
    ],
    ids=["byte order mark", "utf-16", "invalid utf-8"],
)
def test_bodies_that_are_not_utf_8_json_are_400s_not_500s(raw, problem):
    """Every route's handler reads the body as UTF-8 text: anything else is refused up front (issue 14, item 4)."""
    with pytest.raises(BadRequest, match=problem) as caught:
        json_request(_event(base64.b64encode(raw).decode(), b64=True))
    assert caught.value.field == "body"


def test_an_empty_body_is_validated_as_a_missing_json_body_whatever_its_type():
    """Not Powertools' own 415 outside the surface's format: the route's validation names the body."""
    checked = json_request(_event(None, content_type="text/plain"))
    assert checked["headers"] == {"content-type": "application/json"}
    assert json_request(_event(None, method="GET", content_type="text/plain"))["headers"] == {
        "Content-Type": "text/plain"
    }


def test_bodies_over_one_mebibyte_are_refused():
    with pytest.raises(PayloadTooLarge):
        json_request(_event(json.dumps({"x": "a" * MAX_BODY_BYTES})))
    json_request(_event(json.dumps({"x": "a" * (MAX_BODY_BYTES - 100)})))


def test_json_bodies_are_json_whatever_the_content_type_says():
    form = json_request(_event('{"expires_in": 600}', content_type="application/x-www-form-urlencoded"))
    assert form["headers"] == {"content-type": "application/json"}
    encoded = json_request(_event(base64.b64encode(b'{"a": 1}').decode(), b64=True))
    assert (encoded["body"], encoded["isBase64Encoded"]) == ('{"a": 1}', False)
    with pytest.raises(BadRequest, match="not valid JSON"):
        json_request(_event("oops", content_type="application/x-www-form-urlencoded"))


def test_bodies_of_other_methods_are_only_size_checked():
    assert json_request(_event("anything", method="GET"))["body"] == "anything"
    assert json_request(_event(None))["body"] is None


def test_each_surface_renders_the_same_error_in_its_own_format():
    error = BadRequest("limit: too big", field="limit", expected="<= 100")
    assert xobin.SURFACE.error_body(error) == {"error": "limit: too big"}
    assert jobmojito.SURFACE.error_body(error) == {"error": "limit: too big", "name": "limit"}
    assert relay.SURFACE.error_body(error) == {
        "error": {
            "code": "INVALID_PARAMETER",
            "message": "limit: too big",
            "details": {"field": "limit", "expected": "<= 100"},
        }
    }
    assert jobmojito.SURFACE.validation_status == 422
    assert relay.SURFACE.validation_status == xobin.SURFACE.validation_status == 400


def test_a_request_keeps_its_own_caller_while_another_is_authenticated_on_the_same_resolver(monkeypatch):
    """Two organizations on one resolver at once: the route still sees its own caller (issue 14, item 7).

    Request A's route waits until request B, on another thread, has been authenticated (and so has
    replaced whatever the resolver holds), then reads the tenant.
    """
    monkeypatch.setattr(resolver_module.ratelimits, "count", lambda *_a, **_k: Allowance(100, 1, 0, 0.0))
    app = relay.resolver(relay.Access.member)
    b_authenticated, seen = threading.Event(), {}
    checked = resolver_module.json_request

    def signal_b(event):
        if event["requestContext"]["authorizer"]["lambda"]["organization_id"] == "org_b":
            b_authenticated.set()
        return checked(event)

    monkeypatch.setattr(resolver_module, "json_request", signal_b)

    @app.get("/api/whoami")
    def whoami():
        first = app.tenant
        if first == "org_a":
            assert b_authenticated.wait(5)
        seen[first] = app.tenant
        return {}

    def call(org):
        event = {
            "version": "2.0",
            "routeKey": "GET /api/whoami",
            "rawPath": "/api/whoami",
            "rawQueryString": "",
            "headers": {},
            "requestContext": {
                "http": {"method": "GET", "path": "/api/whoami", "sourceIp": "192.0.2.1"},
                "authorizer": {"lambda": {"kind": "api_key", "organization_id": org, "role": "member"}},
                "stage": "$default",
            },
            "isBase64Encoded": False,
        }
        return app.resolve(event, None)["statusCode"]

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(call, "org_a")
        second = pool.submit(call, "org_b")
        assert (first.result(10), second.result(10)) == (200, 200)
    assert seen == {"org_a": "org_a", "org_b": "org_b"}
