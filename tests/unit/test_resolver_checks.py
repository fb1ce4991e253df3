"""Bodies are checked before any route runs; validation errors name the field in every surface."""

import base64
import json

import pytest

from panelist.api import jobmojito, relay, xobin
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
