"""API Gateway HTTP API, locally: routes, payload 2.0 events, Lambda authorizers, responses, CORS.

`ApiGateway.handle` turns one HTTP request into the response API Gateway would send (no sockets:
tests call it directly); `GatewayServer` serves it over HTTP/1.1.
"""

from __future__ import annotations

import base64
import copy
import errno
import json
import logging
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

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), *headers], json.dumps(body).encode())


NOT_FOUND = json_response(404, {"message": "Not Found"})
UNAUTHORIZED = json_response(401, {"message": "Unauthorized"})
FORBIDDEN = json_response(403, {"message": "Forbidden"})
TOO_LARGE = json_response(413, {"message": "Request Entity Too Large"})
INTERNAL_ERROR = json_response(500, {"message": "Internal Server Error"})


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
            return self._control(request)
        if (
            self.cors
            and request.method == "OPTIONS"
            and request.header("origin")
            and request.header("access-control-request-method")
        ):
            return self._preflight(request)
        response = self._route(request, request_id)
        return self._with_cors(
            request, HttpResponse(response.status, [*response.headers, ("apigw-requestid", request_id)], response.body)
        )

    def _route(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if len(request.body) > MAX_BODY_BYTES:
            return TOO_LARGE
        match = self.router.match(request.method, request.raw_path)
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
        return json_response(404, {"message": f"no control endpoint {request.method} {request.raw_path}"})


# ------------------------------------------------------------------ HTTP server


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is already in use (try --port 0 or another port)")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections
    server: GatewayServer

    def version_string(self) -> str:
        return "panelist-local"

    def handle_expect_100(self) -> bool:
        if self._declared_length() > MAX_BODY_BYTES:
            self._send(TOO_LARGE, close=True)
            return False
        return super().handle_expect_100()

    def _declared_length(self) -> int:
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def _read_body(self) -> bytes | None:
        """The request body, or None when it exceeds the limit (left unread; the connection closes)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while size := int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16):
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = self._declared_length()
        return None if length > MAX_BODY_BYTES else self.rfile.read(length)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        body = self._read_body()
        if body is None:
            response = TOO_LARGE
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
                host=self.headers.get("Host") or f"{self.server.host}:{self.server.port}",
            )
            response = self.server.api.handle(request)
            self._send(response)
        log.info(
            "%s %s %d %.0fms",
            self.command,
            self.path.partition("?")[0],
            response.status,
            (time.perf_counter() - started) * 1000,
        )

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _send(self, response: HttpResponse, *, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # _dispatch logs one line per request


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: ApiGateway, host: str = "127.0.0.1", port: int = 8787) -> None:
        self.api = api
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
        return f"http://{self.host}:{self.port}"

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
