"""The API's OpenAPI 3.1 document: built from the functions' own resolvers, served from the layer.

Every HttpApi function of template.yaml has its own resolver, whose routes carry their pydantic request and
response models (Powertools `get_openapi_schema`). `build` merges them into one document and adds what no
single resolver knows: the credentials (`apiKey` header or `Authorization: Bearer` with an API key or an
access token; none on the public pages and the Stripe webhook), each surface's error body on its status
codes, the rate-limit headers every answer carries, the success status a handler really answers with (read
from its source: `return model, 201`, `Response(status_code=204)`), and the webhook payloads (`webhooks`).

Lambdas cannot import each other, so the document is generated ahead (`make generate` runs
`python -m panelist_local.openapi`, which loads every function of the template) into `openapi.json` next
to this module, in the shared layer; `document()` reads it there.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
import secrets
import textwrap
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response

from panelist.api.resolver import MAX_BODY_BYTES, Access, PanelistResolver

DOCUMENT_FILE = "openapi.json"
TITLE = "Panelist API"
VERSION = "1.0.0"
JSON = "application/json"
HTML = "text/html"
_REF = "#/components/schemas/"
# Powertools' own validation-error models: Panelist answers those errors in each surface's format instead.
_POWERTOOLS_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}

SURFACES = {
    "relay": ("InterviewRelay", "RelayError"),
    "xobin": ("Xobin", "XobinError"),
    "jobmojito": ("JobMojito", "JobMojitoError"),
}
PAGES_TAG = "Pages"

ACCESS_TEXT = {
    Access.public: "Public: no credentials (the link's token or the request's signature is the credential).",
    Access.member: "Any API key or access token of the organization.",
    Access.admin: "An API key or access token of the organization with the admin role.",
    Access.platform_admin: "The platform-admin key only.",
    Access.operator: "An admin key or token of the organization, or the platform-admin key.",
}

STATUS_TEXT = {
    400: "Bad request: the field named in the error is missing or invalid",
    401: "Missing, invalid or expired credentials",
    403: "The credentials may not do this (role, or the platform-admin key acting as an organization)",
    404: "No such resource in the caller's organization",
    413: f"Request body larger than {MAX_BODY_BYTES // 1024} KiB",
    422: "Validation error: the field named in the error is invalid",
    429: "Rate limit exceeded: retry after Retry-After seconds",
}

ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "XobinError": {
        "type": "object",
        "description": "An error on the Xobin-style routes.",
        "properties": {"error": {"type": "string", "description": "What went wrong"}},
        "required": ["error"],
        "additionalProperties": False,
    },
    "JobMojitoError": {
        "type": "object",
        "description": "An error on the JobMojito-style routes.",
        "properties": {
            "error": {"type": "string", "description": "What went wrong"},
            "name": {"type": "string", "description": "The offending field, when there is one"},
        },
        "required": ["error"],
        "additionalProperties": False,
    },
    "RelayError": {
        "type": "object",
        "description": "An error on the InterviewRelay-style routes.",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable code, e.g. INVALID_PARAMETER"},
                    "message": {"type": "string"},
                    "details": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string", "description": "The offending field"},
                            "expected": {"type": "string", "description": "What the field should hold"},
                        },
                        "additionalProperties": False,
                    },
                },
                "required": ["code", "message", "details"],
                "additionalProperties": False,
            }
        },
        "required": ["error"],
        "additionalProperties": False,
    },
}

RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": {"description": "Requests allowed in the current hourly window", "type": "integer"},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window", "type": "integer"},
    "X-RateLimit-Reset": {"description": "When the window ends (epoch seconds)", "type": "integer"},
}
RETRY_AFTER = {"description": "Seconds until the caller may send requests again", "type": "integer"}

_SUCCESS_TEXT = {
    200: "Success",
    201: "Created",
    202: "Accepted: the work goes on after the answer",
    204: "Done: no content",
    302: "Redirect to the resource (a short-lived link)",
}

SIGNATURE_HEADERS = {
    "webhook-id": "The message id: the same on every retry of one event (deduplicate on it)",
    "webhook-timestamp": "Epoch seconds of this attempt; refuse one far from now (the signature covers it)",
    "webhook-signature": 'Space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret',
    "webhook-event": "The event type",
}


@dataclass(frozen=True)
class Operation:
    """One route of the template: its function's folder name (the operationId) and resolver."""

    method: str
    path: str
    name: str
    app: PanelistResolver
    authorized: bool


@dataclass(frozen=True)
class Success:
    statuses: tuple[int, ...]
    content: str | None  # JSON, HTML, or None (no body)
    typed: bool  # the handler's annotation names the body's model


# ------------------------------------------------------------------ the committed document


@cache
def _text() -> str:
    return (resources.files("panelist.api") / DOCUMENT_FILE).read_text(encoding="utf-8")


def document(server_url: str | None = None) -> dict[str, Any]:
    """The generated document; with `server_url`, its servers list names that deployment."""
    loaded: dict[str, Any] = json.loads(_text())
    if server_url:
        loaded["servers"] = [{"url": server_url, "description": "This deployment"}]
    return loaded


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as the committed file holds it."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ the docs page

# Swagger UI from a CDN, pinned to one version and checked by Subresource Integrity (the hashes of the npm
# package's files, which the CDN serves byte for byte): the page's policy allows exactly these two URLs.
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.32.0"
SWAGGER_UI_JS = (
    f"{SWAGGER_UI}/swagger-ui-bundle.js",
    "sha384-7xcoc6ZKDFF7Ek627QTC3Bg/K+5Y36NJ8MWAE43D2m6+3Sh9XO3tdsfHhrS8gNIQ",
)
SWAGGER_UI_CSS = (
    f"{SWAGGER_UI}/swagger-ui.css",
    "sha384-3nuX7df3EaAoiqLBeyS1Ola0Gpg9ryJKVtarubwfnA1cOH8AWHUdbPSIvEqPZ9VH",
)

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Panelist API</title>
<link rel="stylesheet" href="{css}" integrity="{css_sri}" crossorigin="anonymous">
</head>
<body>
<div id="swagger-ui"><p><a href="{url}">openapi.json</a></p></div>
<script src="{js}" integrity="{js_sri}" crossorigin="anonymous"></script>
<script nonce="{nonce}">
SwaggerUIBundle({{url: "{url}", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true}});
</script>
</body>
</html>
"""


def docs_page(document_url: str = "/openapi.json") -> Response[str]:
    """The Swagger UI page over the document: the CDN's two pinned files and one inline script (by nonce).

    Its images are the stylesheet's `data:` icons; it fetches nothing but the document (its own origin).
    """
    from panelist.api import pages  # the candidate pages' policy and headers (imported here: /openapi.json needs none)

    nonce = secrets.token_urlsafe(18)
    body = _DOCS_PAGE.format(
        css=SWAGGER_UI_CSS[0],
        css_sri=SWAGGER_UI_CSS[1],
        js=SWAGGER_UI_JS[0],
        js_sri=SWAGGER_UI_JS[1],
        url=document_url,
        nonce=nonce,
    )
    policy = pages.content_security_policy(
        scripts=[SWAGGER_UI_JS[0], f"'nonce-{nonce}'"],
        styles=[SWAGGER_UI_CSS[0]],
        connect=["'self'"],
        images=["'self'", "data:"],
    )
    headers = {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        pages.CSP: policy,
    }
    return Response(status_code=200, content_type=pages.HTML, body=body, headers=headers)


# ------------------------------------------------------------------ what a handler answers


def _route(app: PanelistResolver, method: str, path: str) -> Any:
    for route in app._static_routes + app._dynamic_routes:
        if route.method == method and route.openapi_path == path:
            return route
    raise LookupError(f"{method} {path}: the function's resolver has no such route")


def _ints(node: ast.expr | None) -> list[int]:
    """The status literals an expression can take (`201`, `200 if duplicate else 201`)."""
    if isinstance(node, ast.IfExp):
        return _ints(node.body) + _ints(node.orelse)
    return [node.value] if isinstance(node, ast.Constant) and isinstance(node.value, int) else []


def _returned_statuses(func: Any) -> tuple[list[int], bool]:
    """The status codes a handler's source answers with, and whether it builds a JSON Response itself."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return [], False
    statuses: list[int] = []
    json_response = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            statuses += _ints(node.value.elts[1])
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Response":
            keywords = {k.arg: k.value for k in node.keywords}
            statuses += _ints(keywords.get("status_code", node.args[0] if node.args else None))
            content = keywords.get("content_type", node.args[1] if len(node.args) > 1 else None)
            json_response |= "JSON" in ast.unparse(content).upper() if content is not None else False
    return statuses, json_response


def _success(route: Any, app: PanelistResolver) -> Success | None:
    """What a route answers when it succeeds; None for a page (HTML, or JSON for its own script)."""
    try:
        returns = typing.get_type_hints(route.func).get("return")
    except Exception:  # an annotation that does not resolve: read as unannotated
        returns = None
    origin = typing.get_origin(returns) or returns
    is_response = getattr(origin, "__name__", "") == "Response"
    statuses, json_response = _returned_statuses(route.func)
    if is_response and app.access is Access.public and not json_response:
        return None
    if route.status_code not in (None, 200):
        statuses = [route.status_code]
    found = tuple(sorted(set(statuses))) or (200,)
    if all(status == 204 or 300 <= status < 400 for status in found):
        return Success(found, None, typed=True)
    return Success(found, JSON, typed=returns is not None and not is_response)


# ------------------------------------------------------------------ merging


def _rewrite_refs(value: Any, renamed: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(_REF) and item[len(_REF) :] in renamed:
                out[key] = _REF + renamed[item[len(_REF) :]]
            else:
                out[key] = _rewrite_refs(item, renamed)
        return out
    if isinstance(value, list):
        return [_rewrite_refs(item, renamed) for item in value]
    return value


def _merge_schemas(into: dict[str, Any], schemas: Mapping[str, Any], owner: str) -> dict[str, str]:
    """Add an operation's component schemas; one named like another but different is renamed `Name_<owner>`."""
    renamed = {name: f"{name}_{owner}" for name, schema in schemas.items() if into.get(name, schema) != schema}
    for name, schema in schemas.items():
        if name not in _POWERTOOLS_SCHEMAS:
            into[renamed.get(name, name)] = _rewrite_refs(schema, renamed)
    return renamed


def _headers(*, retry_after: bool = False, location: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS}
    if retry_after:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if location:
        headers["Location"] = {"description": "Where the resource is", "schema": {"type": "string"}}
    return headers


def _error_responses(op: Operation, surface: str) -> dict[str, Any]:
    name = SURFACES[surface][0]
    statuses = [400, 404, 422, 429]
    if op.authorized:
        statuses += [401, 403]
    if op.method in _BODY_METHODS:
        statuses.append(413)
    responses = {str(s): {"$ref": f"#/components/responses/{name}{s}"} for s in sorted(statuses)}
    responses["default"] = {"$ref": f"#/components/responses/{name}Error"}
    return responses


def _operation(op: Operation, generated: dict[str, Any]) -> dict[str, Any]:
    route = _route(op.app, op.method, op.path)
    surface = op.app.surface.name
    success = _success(route, op.app)
    operation = {k: v for k, v in generated.items() if k not in ("responses", "summary", "operationId")}
    operation["operationId"] = op.name
    operation["summary"] = (inspect.getdoc(route.func) or "").split("\n\n")[0] or f"{op.method} {op.path}"
    access = op.app.access if op.authorized else Access.public
    operation["description"] = f"Access: {ACCESS_TEXT[access]}"
    operation["x-panelist-access"] = access.value
    operation["security"] = [{"apiKey": []}, {"bearerAuth": []}] if op.authorized else []
    produced = generated.get("responses", {})
    declared = {k: v for k, v in produced.items() if k not in ("200", "422")}  # the decorator's own `responses`
    if success is None:  # a page: HTML for people, or JSON for its own script, on any status
        operation["tags"] = [PAGES_TAG]
        page = {"schema": {"type": "string"}}
        default = {
            "description": "The page, or a JSON answer to the page's own script (errors in the InterviewRelay format)",
            "headers": _headers(),
            "content": {HTML: page, JSON: {"schema": {}}},
        }
        operation["responses"] = {**declared, "default": default}
        return operation
    operation["tags"] = [SURFACES[surface][0]]
    body = produced.get("200", {}).get("content", {}).get(JSON, {}).get("schema", {})
    successes: dict[str, Any] = {}
    for status in success.statuses:
        ok: dict[str, Any] = {"description": _SUCCESS_TEXT.get(status, "Success"), "headers": _headers()}
        if 300 <= status < 400:
            ok["headers"] = _headers(location=True)
        elif status != 204 and success.content == JSON:
            ok["content"] = {JSON: {"schema": body if success.typed else {}}}
        successes[str(status)] = ok
    operation["responses"] = {**successes, **declared, **_error_responses(op, surface)}
    return operation


def _components(schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for name, schema_name in SURFACES.values():
        content = {JSON: {"schema": {"$ref": _REF + schema_name}}}
        for status, text in STATUS_TEXT.items():
            responses[f"{name}{status}"] = {
                "description": text,
                "headers": _headers(retry_after=status == 429),
                "content": content,
            }
        responses[f"{name}Error"] = {"description": "Any other error", "headers": _headers(), "content": content}
    headers = {
        name: {"description": h["description"], "required": True, "schema": {"type": h["type"]}}
        for name, h in RATE_LIMIT_HEADERS.items()
    }
    headers["Retry-After"] = {
        "description": RETRY_AFTER["description"],
        "required": True,
        "schema": {"type": "integer"},
    }
    parameters = {
        name: {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in SIGNATURE_HEADERS.items()
    }
    return {
        "schemas": dict(sorted({**schemas, **ERROR_SCHEMAS}.items())),
        "responses": responses,
        "headers": headers,
        "parameters": parameters,
        "securitySchemes": {
            "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "apiKey",
                "description": "An organization API key (or the platform-admin key) in the `apiKey` header.",
            },
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <API key>` or a short-lived JWT access token from "
                "`POST /auth/token`.",
            },
        },
    }


def _webhook(event: str, summary: str, payload: dict[str, Any]) -> dict[str, Any]:
    headers = [{"$ref": f"#/components/parameters/{name}"} for name in SIGNATURE_HEADERS]
    return {
        "post": {
            "operationId": "webhook_" + event.replace(".", "_"),
            "summary": summary,
            "description": "Signed per Standard Webhooks (https://www.standardwebhooks.com) with the organization's "
            "webhook secrets (GET /api/webhooks/secret); retried with exponential backoff until a 2xx answer.",
            "parameters": headers,
            "requestBody": {"required": True, "content": {JSON: {"schema": payload}}},
            "responses": {"2XX": {"description": "Received"}},
        }
    }


def _webhooks(events: Sequence[str], notifications: Sequence[str], schemas: dict[str, Any]) -> dict[str, Any]:
    from panelist.models.webhooks import EVENT_DATA, WebhookEvent

    generated = WebhookEvent.model_json_schema(ref_template=_REF + "{model}", mode="serialization")
    schemas.update(generated.pop("$defs", {}))
    schemas["WebhookEvent"] = generated
    schemas["GenerationNotification"] = {
        "type": "object",
        "description": "A generation job's status change, POSTed to the job's notification_url.",
        "properties": {
            "job_id": {"type": "string"},
            "status": {"type": "string", "enum": [n.rsplit(".", 1)[1] for n in notifications]},
            "message": {"type": "string"},
            "timestamp": {"type": "string", "description": "ISO 8601"},
            "ai_interview_id": {"type": "integer", "description": "The generated interview (completed only)"},
            "interview_id": {"type": "string", "description": "The generated interview's UUID (completed only)"},
        },
        "required": ["job_id", "status", "message", "timestamp"],
    }
    hooks: dict[str, Any] = {}
    for event in dict.fromkeys([*events, *EVENT_DATA]):
        properties: dict[str, Any] = {"type": {"const": event}}
        if model := EVENT_DATA.get(event):  # the events whose `data` has a model of its own
            data = model.model_json_schema(ref_template=_REF + "{model}", mode="serialization")
            schemas.update(data.pop("$defs", {}))
            schemas[model.__name__] = data
            properties["data"] = {"$ref": _REF + model.__name__}
        payload = {"allOf": [{"$ref": _REF + "WebhookEvent"}], "properties": properties}
        hooks[event] = _webhook(event, f"`{event}`, to the endpoints subscribed to it", payload)
    for name in notifications:
        payload = {"allOf": [{"$ref": _REF + "GenerationNotification"}]}
        status = name.rsplit(".", 1)[1]
        payload["properties"] = {"status": {"const": status}}
        hooks[name] = _webhook(name, f"Generation job {status}, to the job's notification_url", payload)
    return hooks


def build(
    operations: Iterable[Operation],
    *,
    events: Sequence[str],
    notifications: Sequence[str],
    description: str = "",
) -> dict[str, Any]:
    """One OpenAPI 3.1 document for the given routes, the endpoint events and the generation notifications."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for op in sorted(operations, key=lambda o: (o.path, o.method)):
        generated = op.app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        generated = copy.deepcopy(generated)
        renamed = _merge_schemas(schemas, generated.get("components", {}).get("schemas", {}), op.name)
        item = generated["paths"][op.path][op.method.lower()]
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, _rewrite_refs(item, renamed))
    hooks = _webhooks(events, notifications, schemas)
    tags = [{"name": tag, "description": f"{tag}-style routes"} for tag, _ in SURFACES.values()]
    tags.append({"name": PAGES_TAG, "description": "HTML pages (candidates' links, shared reports, these docs)"})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": description,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "The deployment serving this document"}],
        "tags": tags,
        "paths": paths,
        "webhooks": hooks,
        "components": _components(schemas),
    }


__all__ = ["DOCUMENT_FILE", "Operation", "build", "docs_page", "document", "dumps"]
