"""Bodies are checked before any route runs; validation errors name the field in every surface."""

import json

import pytest

from panelist.api import jobmojito, relay, xobin
from panelist.api.resolver import MAX_BODY_BYTES, check_body
from panelist.errors import BadRequest, PayloadTooLarge


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
        check_body(_event(body))
    assert caught.value.field == "body"


def test_bodies_over_one_mebibyte_are_refused():
    with pytest.raises(PayloadTooLarge):
        check_body(_event(json.dumps({"x": "a" * MAX_BODY_BYTES})))
    check_body(_event(json.dumps({"x": "a" * (MAX_BODY_BYTES - 100)})))


def test_non_json_uploads_and_bodiless_methods_pass_through():
    check_body(_event("%PDF-1.7", content_type="application/pdf"))
    check_body(_event("anything", method="GET"))
    check_body(_event(None))


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
