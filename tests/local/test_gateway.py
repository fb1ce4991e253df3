"""API Gateway behaviour without sockets: routing, events, authorizers, responses, CORS."""

import base64
from datetime import UTC, datetime

import pytest

from panelist_local.gateway import (
    MAX_BODY_BYTES,
    ApiGateway,
    HttpRequest,
    Match,
    Router,
    authorizer_decision,
    authorizer_event,
    http_event,
    http_response,
)
from panelist_local.template import Authorizer, Cors, Route

GATE = Authorizer("Gate", "GateFunction", simple_responses=True)


def route(key: str, function: str = "Fn", authorizer: Authorizer | None = None) -> Route:
    method, _, path = key.partition(" ")
    return Route(method, path, function, "Api", authorizer)


ROUTES = [
    route(k)
    for k in (
        "GET /items/{id}",
        "GET /items/special",
        "ANY /items/{id}",
        "GET /files/{proxy+}",
        "ANY /{proxy+}",
        "GET /a/{x}/c",
        "GET /a/b/{y}",
        "GET /",
    )
]


@pytest.mark.parametrize(
    ("method", "path", "key", "params"),
    [
        ("GET", "/items/special", "GET /items/special", {}),
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("DELETE", "/items/42", "ANY /items/{id}", {"id": "42"}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("GET", "/files/x/y.txt", "GET /files/{proxy+}", {"proxy": "x/y.txt"}),
        ("GET", "/a/b/c", "GET /a/b/{y}", {"y": "c"}),
        ("POST", "/files/x", "ANY /{proxy+}", {"proxy": "files/x"}),
        ("GET", "/", "GET /", {}),
    ],
)
def test_the_most_specific_route_wins(method, path, key, params):
    match = Router(ROUTES).match(method, path)
    assert match is not None
    assert (match.route.key, match.path_parameters) == (key, params)


def test_unmatched_requests_go_to_default_or_nowhere():
    assert Router(ROUTES[:2]).match("GET", "/items") is None
    assert Router(ROUTES[:2]).match("GET", "/items/1/extra") is None
    default = Route("ANY", "$default", "Fallback", "Default", None)
    match = Router(ROUTES[:2], default).match("POST", "/items/1")
    assert match is not None
    assert match.route is default


@pytest.mark.parametrize("path", ["/items/special/", "/items/42/", "/a/b/c/", "/items/"])
def test_a_trailing_slash_matches_no_route_without_it_as_on_http_api(path):
    """Route keys are matched exactly: `/items/42/` is not `GET /items/{id}` (HTTP API sends it to `$default`)."""
    default = Route("ANY", "$default", "Fallback", "Default", None)
    match = Router(ROUTES[:2] + ROUTES[5:7], default).match("GET", path)
    assert match is not None
    assert match.route is default


def test_a_greedy_variable_takes_the_trailing_slash_with_the_rest():
    match = Router(ROUTES).match("GET", "/files/x/")
    assert match is not None
    assert (match.route.key, match.path_parameters) == ("GET /files/{proxy+}", {"proxy": "x/"})


def test_the_template_refuses_a_route_key_http_api_cannot_hold(tmp_path):
    from panelist_local.template import Template, TemplateError

    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: fn/\n"
        "      Events:\n"
        '        Api: {Type: HttpApi, Properties: {Method: GET, Path: "/items/{id}/"}}\n'
    )
    with pytest.raises(TemplateError, match="ends with '/'"):
        _ = Template.load(tmp_path / "template.yaml").all_routes


def test_the_event_has_the_payload_2_0_shape():
    request = HttpRequest(
        method="POST",
        raw_path="/items/42",
        raw_query="a=1&a=2&b=&c=x%20y",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "curl/8"),
            ("Host", "127.0.0.1:8787"),
            ("X-Amzn-Trace-Id", "Root=1-x"),
        ],
        body=b'{"k": 1}',
        source_ip="127.0.0.9",
        host="127.0.0.1:8787",
    )
    now = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    event = http_event(request, Match(route("ANY /items/{id}"), {"id": "42"}), request_id="rid", now=now)
    assert event == {
        "version": "2.0",
        "routeKey": "ANY /items/{id}",
        "rawPath": "/items/42",
        "rawQueryString": "a=1&a=2&b=&c=x%20y",
        "cookies": ["s=1", "t=2"],
        "headers": {
            "content-type": "application/json",
            "x-multi": "1,2",
            "user-agent": "curl/8",
            "host": "127.0.0.1:8787",
            "x-amzn-trace-id": "Root=1-x",
            "x-forwarded-for": "127.0.0.9",
            "x-forwarded-proto": "http",
            "x-forwarded-port": "8787",
        },
        "queryStringParameters": {"a": "1,2", "b": "", "c": "x y"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1:8787",
            "domainPrefix": "127",
            "http": {
                "method": "POST",
                "path": "/items/42",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.9",
                "userAgent": "curl/8",
            },
            "requestId": "rid",
            "routeKey": "ANY /items/{id}",
            "stage": "$default",
            "time": "23/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795428000000,
        },
        "body": '{"k": 1}',
        "isBase64Encoded": False,
        "pathParameters": {"id": "42"},
    }


def test_optional_event_fields_are_omitted_and_binary_bodies_are_base64():
    plain = http_event(HttpRequest("GET", "/"), Match(route("GET /"), {}))
    assert {"cookies", "queryStringParameters", "pathParameters", "body"}.isdisjoint(plain)
    assert plain["isBase64Encoded"] is False
    binary = http_event(
        HttpRequest("POST", "/", headers=[("content-type", "image/png")], body=b"\x89\x00"), Match(route("POST /"), {})
    )
    assert (binary["body"], binary["isBase64Encoded"]) == (base64.b64encode(b"\x89\x00").decode(), True)
    untyped = http_event(HttpRequest("POST", "/", body=b"hi"), Match(route("POST /"), {}))
    assert untyped["isBase64Encoded"] is True


def test_the_authorizer_event_is_a_request_event_of_the_route():
    request = HttpRequest("GET", "/items/7", "q=1", [("Authorization", "Bearer k")])
    event = http_event(request, Match(route("GET /items/{id}"), {"id": "7"}))
    gate = Authorizer("Gate", "GateFunction", True, identity_headers=("authorization",))
    auth = authorizer_event(event, gate)
    assert auth["type"] == "REQUEST"
    assert auth["routeArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/items/7"
    assert auth["identitySource"] == ["Bearer k"]
    assert (auth["routeKey"], auth["rawPath"], auth["rawQueryString"]) == ("GET /items/{id}", "/items/7", "q=1")
    assert auth["pathParameters"] == {"id": "7"}
    assert auth["queryStringParameters"] == {"q": "1"}
    assert auth["requestContext"] == event["requestContext"]
    assert "body" not in auth


def test_authorizer_decisions():
    assert authorizer_decision({"isAuthorized": True, "context": {"a": 1}}, simple=True) == (True, {"a": 1})
    assert authorizer_decision({"isAuthorized": False}, simple=True) == (False, {})
    allow = {"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Allow"}]}, "context": {"u": 1}}
    assert authorizer_decision(allow, simple=False) == (True, {"u": 1})
    assert authorizer_decision({"policyDocument": {"Statement": [{"Effect": "Deny"}]}}, simple=False)[0] is False
    with pytest.raises(ValueError, match="isAuthorized"):
        authorizer_decision({"isAuthorized": "yes"}, simple=True)


def test_function_results_become_responses_as_on_api_gateway():
    structured = http_response(
        {"statusCode": 201, "headers": {"X-A": 1, "X-B": True}, "cookies": ["a=1", "b=2"], "body": "created"}
    )
    assert (structured.status, structured.body) == (201, b"created")
    assert structured.headers == [("X-A", "1"), ("X-B", "true"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    binary = http_response({"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True})
    assert binary.body == b"\x00\xff"
    inferred = http_response({"hello": "world"})
    assert (inferred.status, inferred.header("content-type"), inferred.body) == (
        200,
        "application/json",
        b'{"hello": "world"}',
    )
    assert http_response("text").body == b'"text"'
    assert http_response({"statusCode": 204}).body == b""
    with pytest.raises(ValueError, match="body must be a string"):
        http_response({"statusCode": 200, "body": {"not": "a string"}})


class Functions:
    """Fake invoke: records events and answers per function."""

    def __init__(self, **answers):
        self.answers = answers
        self.events: dict[str, dict] = {}

    def __call__(self, function: str, event: dict):
        self.events[function] = event
        answer = self.answers[function]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_no_default_route_is_a_plain_404_and_oversized_bodies_are_413():
    gateway = ApiGateway([route("GET /x")], None, Functions(Fn={"statusCode": 200}))
    missing = gateway.handle(HttpRequest("GET", "/y"))
    assert (missing.status, missing.body) == (404, b'{"message": "Not Found"}')
    assert missing.header("apigw-requestid")
    large = gateway.handle(HttpRequest("GET", "/x", body=b"x" * (MAX_BODY_BYTES + 1)))
    assert (large.status, large.body) == (413, b'{"message": "Request Entity Too Large"}')


def test_authorizer_context_deny_and_errors():
    functions = Functions(GateFunction={"isAuthorized": True, "context": {"who": "me"}}, Fn={"statusCode": 200})
    gateway = ApiGateway([route("GET /x", authorizer=GATE)], None, functions)
    assert gateway.handle(HttpRequest("GET", "/x")).status == 200
    assert functions.events["Fn"]["requestContext"]["authorizer"] == {"lambda": {"who": "me"}}
    functions.answers["GateFunction"] = {"isAuthorized": False}
    denied = gateway.handle(HttpRequest("GET", "/x"))
    assert (denied.status, denied.body) == (403, b'{"message": "Forbidden"}')
    functions.answers["GateFunction"] = KeyError("bug")
    failed = gateway.handle(HttpRequest("GET", "/x"))
    assert (failed.status, failed.body) == (500, b'{"message": "Internal Server Error"}')


def test_a_missing_identity_source_is_401_without_running_the_authorizer():
    gate = Authorizer("Gate", "GateFunction", True, identity_headers=("authorization",))
    functions = Functions(Fn={"statusCode": 200})
    reply = ApiGateway([route("GET /x", authorizer=gate)], None, functions).handle(HttpRequest("GET", "/x"))
    assert (reply.status, reply.body) == (401, b'{"message": "Unauthorized"}')
    assert functions.events == {}


def test_cors_preflight_and_response_headers():
    cors = Cors(("https://app.example",), ("GET", "POST"), ("authorization",), ("x-total",), 600, True)
    functions = Functions(Fn={"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}})
    gateway = ApiGateway([route("GET /x")], None, functions, cors=cors)
    origin = ("Origin", "https://app.example")
    preflight = gateway.handle(HttpRequest("OPTIONS", "/x", headers=[origin, ("Access-Control-Request-Method", "GET")]))
    assert preflight.status == 204
    assert dict(preflight.headers) == {
        "Access-Control-Allow-Origin": "https://app.example",
        "Access-Control-Allow-Methods": "GET,POST",
        "Access-Control-Allow-Headers": "authorization",
        "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Credentials": "true",
    }
    assert functions.events == {}
    reply = gateway.handle(HttpRequest("GET", "/x", headers=[origin]))
    assert reply.header("access-control-allow-origin") == "https://app.example"
    assert reply.header("access-control-expose-headers") == "x-total"
    other = gateway.handle(HttpRequest("GET", "/x", headers=[("Origin", "https://evil.example")]))
    assert other.header("access-control-allow-origin") is None


class Control:
    """The runtime's side of the control plane, recording what it was asked."""

    platform_admin_key = "k" * 40

    def __init__(self) -> None:
        self.fired: list[str] = []

    def fire_schedule(self, name, at=None):
        self.fired.append(name)
        return {"fired": name}

    def mail(self, *, clear=False):
        return []

    def health(self):
        return {"status": "ok"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([], 401),
        ([("Authorization", "Bearer")], 401),
        ([("Authorization", "Basic " + Control.platform_admin_key)], 401),
        ([("Authorization", "Bearer " + "k" * 39)], 403),
        ([("Authorization", "Bearer " + "k" * 41)], 403),
        ([("apiKey", "k" * 40 + " ")], 200),
        ([("authorization", "bearer " + "k" * 40)], 200),
    ],
)
def test_the_control_plane_runs_nothing_without_the_platform_admin_key(headers, status):
    control = Control()
    gateway = ApiGateway([], None, Functions(), control=control)
    reply = gateway.handle(HttpRequest("POST", "/_panelist/schedules/MonthlyCreditsReset", headers=headers))
    assert (reply.status, reply.header("content-type")) == (status, "application/json")
    assert control.fired == (["MonthlyCreditsReset"] if status == 200 else [])
    assert reply.route == "POST /_panelist/schedules/{name}"
    assert gateway.handle(HttpRequest("GET", "/_panelist/health")).status == 200


def test_a_control_plane_without_a_key_refuses_everyone():
    control = Control()
    control.platform_admin_key = ""
    gateway = ApiGateway([], None, Functions(), control=control)
    assert gateway.handle(HttpRequest("GET", "/_panelist/mail", headers=[("Authorization", "Bearer ")])).status == 401
    assert gateway.handle(HttpRequest("GET", "/_panelist/mail", headers=[("apiKey", "anything")])).status == 403


@pytest.mark.parametrize(
    ("method", "path", "label"),
    [
        ("GET", "/items/inv_8fJ2kQ", "GET /items/{id}"),
        ("DELETE", "/items/inv_8fJ2kQ", "DELETE /items/{id}"),
        ("GET", "/files/tok3n/a.pdf", "GET /files/{proxy+}"),
        ("GET", "/items/inv_8fJ2kQ/more", "GET /items/{…}/more"),
        ("GET", "/robots.txt", "GET /robots.txt"),
        ("GET", "/share/AbCdEfGhIjKlMnOp", "GET /share/{…}"),
        ("POST", "/_panelist/mail/inv_8fJ2kQ", "POST /_panelist/{…}"),
    ],
)
def test_requests_are_named_by_their_route_never_by_a_token(method, path, label):
    gateway = ApiGateway(ROUTES[:4], None, Functions(Fn={"statusCode": 200}), control=Control())
    assert gateway.handle(HttpRequest(method, path)).route == label
