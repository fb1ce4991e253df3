"""Property-based fuzzing of every route of template.yaml: whatever arrives, never a 5xx (issue 14).

Each route gets requests drawn by hypothesis: its sample event's body mutated (fields dropped, replaced
by any JSON, unknown fields added), bodies that are not JSON at all (text, bytes, a byte order mark,
nesting thousands deep, forms), path ids that exist (the tenant's own and another's) or are any text,
query strings, each credential form and none, and any Content-Type. Every answer must be below 500,
and every JSON error must be in its surface's format. The examples are derandomized, so CI sees the
same requests every run; `PANELIST_FUZZ_EXAMPLES` draws more of them (e.g. 500) when hunting locally.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import sys
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panelist.models.common import new_id
from panelist_local.handlers import load_handler
from panelist_local.template import Template
from tests.functions.harness import PLATFORM_ADMIN_KEY, ROOT, authorize, invoke, make_tenant, sample_event
from tests.functions.test_interview_flow import _interview, _invite, _start, _token

EXAMPLES = int(os.environ.get("PANELIST_FUZZ_EXAMPLES", "25"))
TEMPLATE = Template.load(ROOT / "template.yaml", {"Stage": "test"}, local=True)
ROUTES = [route for route in TEMPLATE.routes if route.path != "$default"]
_PARAM = re.compile(r"{(\w+)\+?}")

# Control characters and separators are what a decoded path segment or query value can carry.
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-16",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/octet-stream",
        "\u00ff/\u00ff",
    ]
)
QUERY_NAMES = st.sampled_from(
    ["limit", "offset", "status", "start_date", "end_date", "campaign_id", "project_id", "page", "lang"]
) | st.text(max_size=12)


def _function_dir(route) -> str:
    return TEMPLATE.function(route.function).code_dir.name


def _surface(function: str) -> str:
    """The error format of the function's resolver (its module's `app`)."""
    load_handler(ROOT / "functions" / function)
    file = str(ROOT / "functions" / function / "app.py")
    module = next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == file)
    return str(module.app.surface.name)


@pytest.fixture
def world(api, tenant_a, tenant_b):
    """Ids that exist, so requests reach past the lookups: tenant A's, and tenant B's to cross into."""
    project = api("create_project", body={"name": "Fuzzed"}, headers=tenant_a.as_admin()).body["id"]
    interview = _interview(tenant_a.id)
    invite = _invite(tenant_a.id, interview)
    session_token = _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Sam Lee"}))
    other = make_tenant("Cross Tenant")
    return {
        "ids": [tenant_a.id, tenant_b.id, project, interview.id, invite.token, session_token, new_id()],
        "credentials": [
            {},
            tenant_a.as_admin(),
            tenant_a.as_member(),
            {"apikey": other.admin_key},
            {"authorization": f"Bearer {PLATFORM_ADMIN_KEY}"},
            {"authorization": "Bearer pnl_not-a-key"},
            {"authorization": "Bearer a.b.c"},
        ],
    }


def _fields(sample: dict[str, Any]) -> dict[str, Any]:
    """The fields of a sample event's body, JSON or a form."""
    body = sample.get("body") or ""
    if body.startswith("{"):
        return dict(json.loads(body))
    return dict(parse_qsl(body, keep_blank_values=True))


def _bodies(sample: Any) -> st.SearchStrategy[tuple[str | None, bool]]:
    """(body, isBase64Encoded): mutations of the sample's valid body, and bodies that are not JSON objects."""
    valid = sample if isinstance(sample, dict) else {}

    @st.composite
    def mutated(draw: st.DrawFn) -> tuple[str | None, bool]:
        body = copy.deepcopy(valid)
        for key in draw(st.lists(st.sampled_from(sorted(body)), unique=True)) if body else []:
            if draw(st.booleans()):
                del body[key]
            else:
                body[key] = draw(JSON_VALUES)
        body.update(draw(st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=3)))
        if draw(st.booleans()):  # as the candidate pages' forms send it
            return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}), False
        return json.dumps(body), False

    text = json.dumps(valid)
    return st.one_of(
        mutated(),
        st.just((None, False)),
        st.tuples(ANY_TEXT, st.just(False)),
        st.binary(max_size=300).map(lambda raw: (base64.b64encode(raw).decode(), True)),
        st.just(("\ufeff" + text, False)),
        st.just((base64.b64encode(b"\xef\xbb\xbf" + text.encode()).decode(), True)),
        st.just(("\ufeff" + urlencode({k: str(v) for k, v in valid.items()}), False)),
        st.integers(1, 60_000).map(lambda depth: ("[" * depth + "]" * depth, False)),
        JSON_VALUES.map(lambda value: (json.dumps(value), False)),
    )


def _error_format(surface: str, body: Any) -> bool:
    if surface == "relay":
        error = body.get("error") if isinstance(body, dict) else None
        return isinstance(error, dict) and {"code", "message", "details"} <= set(error)
    if surface == "jobmojito":
        return isinstance(body, dict) and isinstance(body.get("error"), str) and set(body) <= {"error", "name"}
    return isinstance(body, dict) and isinstance(body.get("error"), str)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_no_request_is_answered_with_a_5xx(route, world):
    function = _function_dir(route)
    surface = _surface(function)
    sample = sample_event(function)
    sample_body = _fields(sample)
    params = _PARAM.findall(route.path)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        path_params=st.fixed_dictionaries({p: st.sampled_from(world["ids"]) | ANY_TEXT for p in params}),
        query=st.none() | st.dictionaries(QUERY_NAMES, ANY_TEXT, max_size=4),
        body=_bodies(sample_body),
        credentials=st.sampled_from(world["credentials"]),
        content_type=CONTENT_TYPES,
        headers=st.dictionaries(st.from_regex(r"\A[a-z][a-z0-9-]{0,20}\Z"), ANY_TEXT, max_size=3),
        source_ip=st.ip_addresses(v=4).map(str),  # each its own page and IP rate-limit bucket
    )
    def check(path_params, query, body, credentials, content_type, headers, source_ip):
        event = copy.deepcopy(sample)
        path = route.path
        for name, value in path_params.items():
            path = path.replace(f"{{{name}}}", value).replace(f"{{{name}+}}", value)
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = route.method
        event["requestContext"]["http"]["sourceIp"] = source_ip
        event["pathParameters"] = path_params or None
        event["queryStringParameters"] = query
        event["rawQueryString"] = urlencode(query or {})
        event["headers"] = {**headers, **credentials}
        if content_type is not None:
            event["headers"]["content-type"] = content_type
        event["body"], event["isBase64Encoded"] = body
        if route.authorizer is not None:
            event["requestContext"]["authorizer"] = {"lambda": authorize(event["headers"])["context"]}
        else:
            event["requestContext"].pop("authorizer", None)

        result = invoke(function, event)

        status = result["statusCode"]
        assert status < 500, (status, result.get("body"))
        content = (result.get("headers") or {}).get("Content-Type", "")
        if status >= 400 and content.startswith("application/json"):
            assert _error_format(surface, json.loads(result["body"])), result["body"]

    check()


BODY_ROUTES = [route for route in ROUTES if route.method in ("POST", "PATCH", "PUT")]
MALFORMED = {
    "byte order mark before JSON": lambda fields: ("\ufeff" + json.dumps(fields), False),
    "byte order mark before a form": lambda fields: ("\ufeff" + urlencode(fields), False),
    "JSON 50,000 deep": lambda fields: ("[" * 50_000 + "]" * 50_000, False),
    "UTF-16 JSON": lambda fields: (base64.b64encode(json.dumps(fields).encode("utf-16")).decode(), True),
}


@pytest.mark.parametrize("malformed", MALFORMED)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=[f"{r.method} {r.path}" for r in BODY_ROUTES])
def test_a_malformed_body_is_a_4xx_in_the_surface_format(route, malformed, world):
    """Issue 14, item 4: on every route that takes a body, before or after authentication."""
    function = _function_dir(route)
    event = copy.deepcopy(sample_event(function))
    event["body"], event["isBase64Encoded"] = MALFORMED[malformed]({k: str(v) for k, v in _fields(event).items()})
    event["headers"] = {**event["headers"], **world["credentials"][1]}
    if route.authorizer is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorize(event["headers"])["context"]}

    result = invoke(function, event)

    assert 400 <= result["statusCode"] < 500, (result["statusCode"], result.get("body"))
    if (result.get("headers") or {}).get("Content-Type", "").startswith("application/json"):
        assert _error_format(_surface(function), json.loads(result["body"])), result["body"]
