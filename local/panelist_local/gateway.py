"""API Gateway HTTP API, locally: routes, payload 2.0 events, Lambda authorizers, responses, CORS.

`ApiGateway.handle` turns one HTTP request into the response API Gateway would send (no sockets:
tests call it directly); `GatewayServer` serves it over HTTP/1.1, refusing bodies over the payload limit
and malformed message framing, and logs one line per request naming its route, never its path: paths
carry capability tokens (sessions, shares, files, invites).

The runtime's own endpoints under CONTROL_PREFIX (fire a schedule, read the mail sent) answer only to
the platform-admin key, as the API's platform-admin routes do; `GET /_panelist/health` is open and says
only that the server is up.
"""

from __future__ import annotations

import base64
import copy
import errno
import hmac
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from panelist_local.template import ACCOUNT_ID, API_ID, REGION, Authorizer, Cors, Route, TemplateError

log = logging.getLogger("panelist_local")

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit
CONTROL_PREFIX = "/_panelist/"  # the runtime's own endpoints; never routed to the app
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_MARKERS = ("json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "graphql")

Invoke = Callable[[str, Any], Any]  # (function logical id, event) -> result


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    host: str = "127.0.0.1"  # the Host header, or the server's address

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    route: str = field(default="", compare=False)  # what the access log names the request by (not sent)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *headers], json.dumps(body).encode())


NOT_FOUND = json_response(404, {"message": "Not Found"})
UNAUTHORIZED = json_response(401, {"message": "Unauthorized"})
FORBIDDEN = json_response(403, {"message": "Forbidden"})
TOO_LARGE = json_response(413, {"message": "Request Entity Too Large"})
INTERNAL_ERROR = json_response(500, {"message": "Internal Server Error"})
BAD_REQUEST = json_response(400, {"message": "Bad Request"})
NOT_IMPLEMENTED = json_response(501, {"message": "Not Implemented"})


# ------------------------------------------------------------------ routing


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


class Router:
    """HTTP API route selection: the most specific path wins (literal segments before `{param}`,
    `{param}` before `{proxy+}`, earlier segments first), then a method over ANY; else `$default`."""

    def __init__(self, routes: Iterable[Route], default: Route | None = None) -> None:
        self.routes = [(route, route.path.lstrip("/").split("/")) for route in routes]
        self.default = default
        self.literals = frozenset(part for _, pattern in self.routes for part in pattern if not part.startswith("{"))

    def match(self, method: str, raw_path: str) -> Match | None:
        segments = raw_path.lstrip("/").split("/")
        best: tuple[tuple[Any, ...], Match] | None = None
        for route, pattern in self.routes:
            if route.method not in (method, "ANY"):
                continue
            matched = _match_segments(pattern, segments)
            if matched is None:
                continue
            params, ranks = matched
            score = (0 not in ranks, ranks, route.method != "ANY")
            if best is None or score > best[0]:
                best = (score, Match(route, params))
        if best is not None:
            return best[1]
        return Match(self.default, {}) if self.default else None


def _match_segments(pattern: list[str], segments: list[str]) -> tuple[dict[str, str], tuple[int, ...]] | None:
    params: dict[str, str] = {}
    ranks: list[int] = []
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = "/".join(segments[index:])
            if not rest:
                return None
            params[part[1:-2]] = unquote(rest)
            return params, (*ranks, 0)
        if index >= len(segments):
            return None
        segment = unquote(segments[index])
        if part.startswith("{") and part.endswith("}"):
            if not segment:
                return None
            params[part[1:-1]] = segment
            ranks.append(1)
        elif part == segment:
            ranks.append(2)
        else:
            return None
    return (params, tuple(ranks)) if len(segments) == len(pattern) else None


# ------------------------------------------------------------------ access log

_WORD = re.compile(r"[a-z][a-z.-]{0,23}")  # favicon.ico, robots.txt: not a token (tokens carry digits, capitals)


def redacted_path(raw_path: str, literals: frozenset[str] = frozenset()) -> str:
    """`raw_path` with every segment that could be a token shown as `{…}`: only the routes' literal
    segments and short lower-case words are kept."""
    segments = raw_path.split("/")
    return "/".join(s if not s or unquote(s) in literals or _WORD.fullmatch(s) else "{…}" for s in segments)


# ------------------------------------------------------------------ events


def _event_headers(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """Lower-cased headers with repeated ones comma-joined; cookies move to their own list."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers["x-forwarded-for"] = ", ".join(filter(None, (headers.get("x-forwarded-for"), request.source_ip)))
    headers["x-forwarded-proto"] = "http"
    headers["x-forwarded-port"] = request.host.rpartition(":")[2] if ":" in request.host else "80"
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    return headers, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def http_event(
    request: HttpRequest, match: Match, *, request_id: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends the route's function (before authorization)."""
    now = now or datetime.now(UTC)
    headers, cookies = _event_headers(request)
    query = _query_parameters(request.raw_query)
    domain = request.host
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0].split(":")[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": match.route.key,
        "stage": "$default",
        "time": f"{now:%d}/{_MONTHS[now.month - 1]}/{now:%Y:%H:%M:%S} +0000",
        "timeEpoch": int(now.timestamp() * 1000),
    }
    text = _text_body(request.body, headers.get("content-type"))
    if request.body:
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
    event["isBase64Encoded"] = bool(request.body) and text is None
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    return event


def _text_body(body: bytes, content_type: str | None) -> str | None:
    """The body as text when API Gateway passes it as text (text-ish type, valid UTF-8)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if not (media.startswith("text/") or any(marker in media for marker in _TEXT_MARKERS)):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def authorizer_event(event: Mapping[str, Any], authorizer: Authorizer) -> dict[str, Any]:
    """The payload format 2.0 REQUEST event of a Lambda authorizer for a route's event."""
    http = event["requestContext"]["http"]
    identity = [event["headers"][h] for h in authorizer.identity_headers if h in event["headers"]]
    identity += [
        event.get("queryStringParameters", {})[q]
        for q in authorizer.identity_query_strings
        if q in event.get("queryStringParameters", {})
    ]
    authorizer_event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/$default/{http['method']}{http['path']}",
        "identitySource": identity,
    }
    for key in ("routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters"):
        if key in event:
            authorizer_event[key] = copy.deepcopy(event[key])
    authorizer_event["requestContext"] = copy.deepcopy(event["requestContext"])
    if "pathParameters" in event:
        authorizer_event["pathParameters"] = dict(event["pathParameters"])
    return authorizer_event


def authorizer_decision(result: Any, *, simple: bool) -> tuple[bool, dict[str, Any]]:
    """Whether an authorizer's response lets the request through, and the context it passes on."""
    if not isinstance(result, dict):
        raise ValueError(f"authorizer returned {type(result).__name__}, not an object")
    if simple:
        if not isinstance(result.get("isAuthorized"), bool):
            raise ValueError("a simple authorizer response needs a boolean isAuthorized")
        return result["isAuthorized"], dict(result.get("context") or {})
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    effects = {str(s.get("Effect", "")).lower() for s in statements}
    return effects == {"allow"}, dict(result.get("context") or {})


def http_response(result: Any) -> HttpResponse:
    """What API Gateway makes of a payload 2.0 function result."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return json_response(200, result)
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"invalid statusCode {status}")
    headers = [(str(k), _header_value(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise ValueError("body must be a string")
    else:
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return HttpResponse(status, headers, data)


def _header_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# ------------------------------------------------------------------ the gateway


class ControlPlane(Protocol):
    """The runtime's own endpoints under /_panelist/ (they do not exist on AWS)."""

    @property
    def platform_admin_key(self) -> str:
        """The credential the control plane asks for (empty: none, every request is refused)."""
        ...

    def fire_schedule(self, name: str, at: datetime | None = None) -> Any: ...

    def mail(self, *, clear: bool = False) -> list[dict[str, Any]]: ...

    def health(self) -> dict[str, Any]: ...


class ApiGateway:
    def __init__(
        self,
        routes: Iterable[Route],
        default_route: Route | None,
        invoke: Invoke,
        *,
        cors: Cors | None = None,
        control: ControlPlane | None = None,
    ) -> None:
        self.router = Router(routes, default_route)
        self.invoke = invoke
        self.cors = cors
        self.control = control

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        if request.raw_path.startswith(CONTROL_PREFIX) and self.control is not None:
            response = self._control(request)
            return HttpResponse(
                response.status,
                response.headers,
                response.body,
                route=self.route_label(request.method, request.raw_path),
            )
        match = self.router.match(request.method, request.raw_path)
        label = self.route_label(request.method, request.raw_path, match)
        if (
            self.cors
            and request.method == "OPTIONS"
            and request.header("origin")
            and request.header("access-control-request-method")
        ):
            response = self._preflight(request)
        else:
            response = self._route(request, request_id, match)
            headers = [*response.headers, ("apigw-requestid", request_id)]
            response = self._with_cors(request, HttpResponse(response.status, headers, response.body))
        return HttpResponse(response.status, response.headers, response.body, route=label)

    def route_label(self, method: str, raw_path: str, match: Match | None = None) -> str:
        """How the access log names a request: its route (`GET /interview/session/{session_token}`), else its
        path with anything that could be a token left out. Never the path itself: tokens travel in paths."""
        if raw_path.startswith(CONTROL_PREFIX) and self.control is not None:
            return f"{method} {_control_route(raw_path)}"
        if match is not None and match.route.path != "$default":
            return f"{method} {match.route.path}"
        return f"{method} {redacted_path(raw_path, self.router.literals)}"

    def _route(self, request: HttpRequest, request_id: str, match: Match | None) -> HttpResponse:
        if len(request.body) > MAX_BODY_BYTES:
            return TOO_LARGE
        if match is None:
            return NOT_FOUND
        event = http_event(request, match, request_id=request_id)
        authorizer = match.route.authorizer
        if authorizer is not None:
            missing = [h for h in authorizer.identity_headers if h not in event["headers"]]
            missing += [q for q in authorizer.identity_query_strings if q not in event.get("queryStringParameters", {})]
            if missing:
                return UNAUTHORIZED
            try:
                result = self.invoke(authorizer.function, authorizer_event(event, authorizer))
                allowed, context = authorizer_decision(result, simple=authorizer.simple_responses)
            except Exception:
                log.exception("authorizer %s failed for %s", authorizer.function, match.route.key)
                return INTERNAL_ERROR
            if not allowed:
                return FORBIDDEN
            event["requestContext"]["authorizer"] = {"lambda": context}
        try:
            return http_response(self.invoke(match.route.function, event))
        except Exception:
            log.exception("%s failed for %s", match.route.function, match.route.key)
            return INTERNAL_ERROR

    def _preflight(self, request: HttpRequest) -> HttpResponse:
        assert self.cors is not None
        origin = self._allowed_origin(request.header("origin") or "")
        if origin is None:
            return HttpResponse(204, [])
        headers = [("Access-Control-Allow-Origin", origin)]
        if self.cors.allow_methods:
            headers.append(("Access-Control-Allow-Methods", ",".join(self.cors.allow_methods)))
        if self.cors.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(self.cors.allow_headers)))
        if self.cors.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(self.cors.max_age)))
        if self.cors.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return HttpResponse(204, headers)

    def _with_cors(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """API Gateway replaces the function's CORS headers with the API's CORS configuration."""
        if self.cors is None:
            return response
        headers = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
        origin = self._allowed_origin(request.header("origin") or "")
        if origin is not None:
            headers.append(("Access-Control-Allow-Origin", origin))
            if self.cors.expose_headers:
                headers.append(("Access-Control-Expose-Headers", ",".join(self.cors.expose_headers)))
            if self.cors.allow_credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
        return HttpResponse(response.status, headers, response.body)

    def _allowed_origin(self, origin: str) -> str | None:
        assert self.cors is not None
        if not origin:
            return None
        if "*" in self.cors.allow_origins:
            return origin if self.cors.allow_credentials else "*"
        return origin if origin in self.cors.allow_origins else None

    def _control(self, request: HttpRequest) -> HttpResponse:
        assert self.control is not None
        path = request.raw_path[len(CONTROL_PREFIX) :].rstrip("/")
        if request.method == "GET" and path == "health":
            return json_response(200, self.control.health())
        if (refused := self._control_refusal(request)) is not None:
            return refused
        if path == "mail" and request.method in ("GET", "DELETE"):
            return json_response(200, {"messages": self.control.mail(clear=request.method == "DELETE")})
        if request.method == "POST" and path.startswith("schedules/"):
            name = unquote(path.removeprefix("schedules/"))
            try:
                at = _query_parameters(request.raw_query).get("at")
                when = datetime.fromisoformat(at).astimezone(UTC) if at else None
            except ValueError:
                return json_response(400, {"message": f"at: not an ISO 8601 date-time: {at!r}"})
            try:
                return json_response(200, self.control.fire_schedule(name, when))
            except TemplateError as exc:
                return json_response(404, {"message": str(exc)})
            except Exception as exc:
                log.exception("schedule %s failed", name)
                return json_response(500, {"errorType": type(exc).__name__, "errorMessage": str(exc)})
        route = _control_route(request.raw_path)
        return json_response(404, {"message": f"no control endpoint {request.method} {route}"})

    def _control_refusal(self, request: HttpRequest) -> HttpResponse | None:
        """401 without a credential, 403 with one that is not the platform-admin key (compared in constant time)."""
        assert self.control is not None
        given = _bearer(request)
        if given is None:
            return json_response(
                401,
                {"message": "Unauthorized: send the platform-admin key as `Authorization: Bearer <key>`"},
                [("WWW-Authenticate", "Bearer")],
            )
        key = self.control.platform_admin_key
        if not key or not hmac.compare_digest(given.encode(), key.encode()):
            return json_response(403, {"message": "Forbidden: not the platform-admin key"})
        return None


def _bearer(request: HttpRequest) -> str | None:
    """The credential of a request, sent as the API takes it: `Authorization: Bearer <key>` or `apiKey: <key>`."""
    if api_key := (request.header("apikey") or "").strip():
        return api_key
    scheme, _, value = (request.header("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


_CONTROL_ROUTES = ("health", "mail", "schedules/{name}")


def _control_route(raw_path: str) -> str:
    """The control endpoint a path names, as a route (`/_panelist/schedules/{name}`), else `/_panelist/{…}`."""
    path = raw_path[len(CONTROL_PREFIX) :].rstrip("/")
    if path.startswith("schedules/"):
        path = "schedules/{name}"
    return CONTROL_PREFIX + (path if path in _CONTROL_ROUTES else "{…}")


# ------------------------------------------------------------------ HTTP server


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is already in use (try --port 0 or another port)")


class _Refused(Exception):
    """A request the gateway answers without reading further (the connection closes after `response`)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status)
        self.response = response


# HTTP/1.1 message framing (RFC 9112 section 7.1): chunk-size [chunk-ext] CRLF, sizes in hexadecimal digits only.
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_EXTENSION = rb"[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?"
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:" + _EXTENSION + rb")*\r\n")
_TRAILER_LINE = re.compile(_TOKEN + rb":[\t \x21-\x7e\x80-\xff]*\r\n")
_MAX_LINE = 4096  # a chunk-size line or a trailer field line
_MAX_TRAILERS = 8192


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections
    server: GatewayServer

    def version_string(self) -> str:
        return "panelist-local"

    def handle_expect_100(self) -> bool:
        try:
            self._content_length()
        except _Refused as refused:
            self._send(refused.response, close=True)
            self._log(refused.response, time.perf_counter())
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int | None:
        """The body's declared length, None for a chunked body; _Refused for framing API Gateway refuses:
        a length over the payload limit (413), a malformed or ambiguous length or transfer coding (400)."""
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if encodings:
            codings = [coding.strip().lower() for coding in ",".join(encodings).split(",")]
            if lengths or codings[-1] != "chunked":
                raise _Refused(BAD_REQUEST)  # both framings at once, or a body without a known end
            if len(codings) > 1:
                raise _Refused(NOT_IMPLEMENTED)  # compressed transfer codings: not decoded here
            return None
        if not lengths:
            return 0
        if len(lengths) > 1 or not (length := next(iter(lengths))).isascii() or not length.isdigit():
            raise _Refused(BAD_REQUEST)
        if int(length) > MAX_BODY_BYTES:
            raise _Refused(TOO_LARGE)
        return int(length)

    def _read_body(self) -> bytes:
        """The request body; _Refused when it is over the limit or malformed (the connection then closes)."""
        length = self._content_length()
        if length is not None:
            body = self.rfile.read(length)
            if len(body) < length:
                raise _Refused(BAD_REQUEST)
            return body
        chunks, total = [], 0
        while True:
            line = _CHUNK_LINE.fullmatch(self.rfile.readline(_MAX_LINE + 1))
            if line is None:
                raise _Refused(BAD_REQUEST)  # a size that is not hexadecimal digits, a bad extension, no CRLF
            size = int(line[1], 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                raise _Refused(TOO_LARGE)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.read(2) != b"\r\n":
                raise _Refused(BAD_REQUEST)
            chunks.append(chunk)
        trailers = 0
        while (field_line := self.rfile.readline(_MAX_LINE + 1)) != b"\r\n":
            trailers += len(field_line)
            if not _TRAILER_LINE.fullmatch(field_line) or trailers > _MAX_TRAILERS:
                raise _Refused(BAD_REQUEST)
        return b"".join(chunks)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except _Refused as refused:
            response = refused.response
            self._send(response, close=True)
        else:
            path, _, query = self.path.partition("?")
            request = HttpRequest(
                method=self.command,
                raw_path=path,
                raw_query=query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
                host=self.headers.get("Host") or self.server.url.removeprefix("http://"),
            )
            response = self.server.api.handle(request)
            self._send(response)
        self._log(response, started)

    def _log(self, response: HttpResponse, started: float) -> None:
        route = response.route or self.server.api.route_label(self.command, self.path.partition("?")[0])
        log.info("%s %d %.0fms", route, response.status, (time.perf_counter() - started) * 1000)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _send(self, response: HttpResponse, *, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client is gone: nobody to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # _dispatch logs one line per request


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: ApiGateway, host: str = "127.0.0.1", port: int = 8787) -> None:
        self.api = api
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), _RequestHandler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from None
            raise
        self.host = host
        self.port = int(self.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="panelist-gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
