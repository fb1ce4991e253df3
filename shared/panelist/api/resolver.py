"""The resolver every handler is built on: authentication, body checks, validation and errors, once.

A surface (Xobin, JobMojito or InterviewRelay) only decides how an error looks on the wire.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from panelist import startup_complete
from panelist.api import ratelimits
from panelist.api.auth import Principal, principal_from_context
from panelist.core.errors import (
    BadRequest,
    ConfigurationError,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PanelistError,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unprocessable,
)
from panelist.core.observability import logger, metrics, tracer
from panelist.core.settings import get_settings

MAX_BODY_BYTES = 1024 * 1024
_JSON_METHODS = {"POST", "PUT", "PATCH"}


class Access(StrEnum):
    public = "public"  # no credentials (signed-token pages)
    member = "member"  # any organization key or access token
    admin = "admin"  # an organization key or token with the admin role
    platform_admin = "platform_admin"  # the platform-admin key only
    operator = "operator"  # an organization admin key or token, or the platform-admin key


@dataclass(frozen=True)
class Surface:
    name: str
    error_body: Callable[[PanelistError], dict[str, Any]]
    validation_status: int = 400


_EXPECTED = {
    "missing": "a value",
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "array",
    "dict_type": "object",
    "model_attributes_type": "object",
    "extra_forbidden": "no such field",
    "uuid_parsing": "UUID",
    "datetime_from_date_parsing": "ISO 8601 date-time",
    "date_from_datetime_parsing": "ISO 8601 date",
}


_BOUNDS = {
    "string_too_short": "at least {min_length} characters",
    "string_too_long": "at most {max_length} characters",
    "too_short": "at least {min_length} items",
    "too_long": "at most {max_length} items",
    "greater_than_equal": ">= {ge}",
    "greater_than": "> {gt}",
    "less_than_equal": "<= {le}",
    "less_than": "< {lt}",
    "string_pattern_mismatch": "a string matching {pattern}",
    "enum": "{expected}",
    "literal_error": "{expected}",
}


def _expected(error: dict[str, Any]) -> str:
    if error["type"] in _BOUNDS:
        return _BOUNDS[error["type"]].format(**error.get("ctx", {}))
    return _EXPECTED.get(error["type"], str(error["type"]))


def validation_error(exc: RequestValidationError, status: int) -> PanelistError:
    """The first problem of a failed validation, naming the field ("body.name" → "name")."""
    error = exc.errors()[0]
    location = [str(part) for part in error["loc"]]
    field = ".".join(location[1:]) if len(location) > 1 else location[0]
    if error["type"] == "json_invalid":
        return BadRequest("Request body is not valid JSON", field="body", expected="a JSON object")
    message = f"{field}: {error['msg']}" if field != "body" else f"Request body: {error['msg']}"
    kind = Unprocessable if status == 422 else BadRequest
    return kind(message, field=field, expected=_expected(error))


def request_body(event: Mapping[str, Any]) -> bytes:
    """The request's body exactly as API Gateway delivered it (decoded from base64 when it says so); b"" if none."""
    body = event.get("body")
    if not body:
        return b""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()


def json_request(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with its body checked, before any route runs: at most 1 MiB, and a JSON object.

    Bodies of POST, PUT and PATCH are JSON whatever Content-Type says (`curl -d` sends a form type),
    so the event is handed on decoded and marked as JSON.
    """
    json_method = event.get("requestContext", {}).get("http", {}).get("method", "") in _JSON_METHODS
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    as_json = {**headers, "content-type": "application/json"}
    raw = request_body(event)
    if not raw:  # validation then names the missing body in the surface's format, whatever the type said
        return {**event, "headers": as_json} if json_method else event
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES // 1024} KiB", field="body")
    if not json_method:
        return event
    try:
        # UTF-8 text, as RFC 8259 requires: a byte order mark or another encoding is refused, not guessed.
        parsed = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}", field="body", expected="a JSON object") from None
    except RecursionError:  # json.loads recurses once per nesting level: thousands deep exhaust the stack
        raise BadRequest("Request body is nested too deeply", field="body", expected="a JSON object") from None
    if not isinstance(parsed, dict):
        raise BadRequest(
            f"Request body must be a JSON object, not {type(parsed).__name__}", field="body", expected="a JSON object"
        )
    return {**event, "body": raw.decode(), "isBase64Encoded": False, "headers": as_json}


def source_ip(event: Mapping[str, Any]) -> str:
    return str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "")


_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException"}


def missing_permission(exc: BaseException) -> ConfigurationError | None:
    """An AWS call the function's role may not make (or what a library raised from it): the operator's error,
    logged with the denied action; None for any other error."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, ClientError):
        cause = cause.__cause__ or cause.__context__
    if cause is None or cause.response.get("Error", {}).get("Code") not in _ACCESS_DENIED:
        return None
    logger.error(
        "An AWS call was denied: the function's role lacks a permission (template.yaml, Policies)",
        extra={"operation": cause.operation_name, "denied": cause.response["Error"].get("Message", "")},
    )
    return ConfigurationError("This deployment is missing a permission the request needs; its log names the action")


class PanelistResolver(APIGatewayHttpResolver):
    def __init__(self, surface: Surface, access: Access = Access.member) -> None:
        super().__init__(enable_validation=True)
        self.surface = surface
        self.access = access
        # Per request, not per resolver: a resolver is module state, shared by every request one process runs.
        self._principal: ContextVar[Principal | None] = ContextVar(f"principal_{id(self)}", default=None)
        self._received: ContextVar[Mapping[str, Any] | None] = ContextVar(f"received_{id(self)}", default=None)
        self.exception_handler(PanelistError)(self.error_response)
        self.exception_handler([ClientError, GetParameterError])(self._aws_error)
        self.exception_handler(RequestValidationError)(
            lambda exc: self.error_response(validation_error(exc, surface.validation_status))
        )
        self.not_found(lambda _exc: self.error_response(NotFound("No such route")))

    @property
    def principal(self) -> Principal:
        principal = self._principal.get()
        assert principal is not None, "public routes have no principal"
        return principal

    @property
    def raw_body(self) -> bytes:
        """This request's body exactly as API Gateway delivered it, for a signature made over its bytes
        (`current_event.body` is the text `json_request` decoded it to)."""
        return request_body(self._received.get() or {})

    @property
    def tenant(self) -> str:
        """The organization every read and write of this request is confined to."""
        return self.principal.organization_id

    def error_response(self, exc: PanelistError) -> Response[Any]:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, MethodNotAllowed):
            headers["Allow"] = ", ".join(exc.allow)
        metrics.add_metric(name="ClientError" if exc.status < 500 else "ServerError", unit=MetricUnit.Count, value=1)
        return Response(exc.status, content_types.APPLICATION_JSON, json.dumps(self.surface.error_body(exc)), headers)

    def _aws_error(self, exc: ClientError | GetParameterError) -> Response[Any]:
        denied = missing_permission(exc)
        if denied is None:
            raise exc
        return self.error_response(denied)

    def _authenticate(self, event: Mapping[str, Any]) -> Principal | None:
        if self.access is Access.public:
            return None
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        principal = principal_from_context(authorizer.get("lambda"))
        if self.access is Access.operator:
            if not (principal.is_platform_admin or principal.is_admin):
                raise Forbidden("This route needs an admin key of the organization or the platform-admin key")
            return principal
        if self.access is Access.platform_admin and not principal.is_platform_admin:
            raise Forbidden("This route needs the platform-admin key")
        if self.access is not Access.platform_admin and principal.is_platform_admin:
            raise Forbidden("The platform-admin key cannot act as an organization; use an organization key")
        if self.access is Access.admin and not principal.is_admin:
            raise Forbidden("This route needs an admin key of the organization")
        return principal

    def _caller(self, event: Mapping[str, Any]) -> Principal | None:
        """Whom the request counts against: the verified caller, or None (counted by source IP)."""
        if self.access is Access.public:
            return None
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        try:
            return principal_from_context(authorizer.get("lambda"))
        except Unauthorized:
            return None

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Count the request, then authenticate, check the body and route; every answer carries the limits."""
        allowance: ratelimits.Allowance | None = None
        try:
            allowance = ratelimits.count(self._caller(event), source_ip(event), page=self.access is Access.public)
            if allowance.exceeded:
                raise ratelimits.refusal(allowance)
            self._principal.set(self._authenticate(event))
            self._received.set(event)
            event = json_request(event)
        except (PanelistError, ClientError, GetParameterError) as exc:
            error = exc if isinstance(exc, PanelistError) else missing_permission(exc)
            if error is None:
                raise
            response = self.error_response(error)
            result: dict[str, Any] = {
                "statusCode": response.status_code,
                "headers": response.headers,
                "body": response.body,
                "isBase64Encoded": False,
            }
        else:
            result = super().resolve(event, context)
        if allowance is not None:
            result["headers"] = {**(result.get("headers") or {}), **allowance.headers()}
        return result

    def base_url(self) -> str:
        """Where links to this deployment point: the configured public URL, else the API's own."""
        configured = get_settings().public_base_url
        if configured:
            return configured
        headers = self.current_event.headers
        return f"{headers.get('x-forwarded-proto', 'https')}://{self.current_event.request_context.domain_name}"


def lambda_handler(app: PanelistResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of a resolver, with logging, tracing and metrics wired once."""
    get_settings()  # a misconfigured deployment fails at cold start, not on the first request
    startup_complete()

    @metrics.log_metrics
    @tracer.capture_lambda_handler
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        metrics.add_metric(name="Request", unit=MetricUnit.Count, value=1)
        return app.resolve(event, context)

    return handler
