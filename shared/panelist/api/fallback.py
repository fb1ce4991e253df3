"""The `$default` route: what API Gateway sends when no route matches.

An unknown path gets 404; a known path with another method gets 405 and an `Allow` header. Both
answer in the error format of the surface the path belongs to. The route has no authorizer, so its
requests count against their source IP (`panelist.api.ratelimits`), and over the limit the answer is 429.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from panelist.api import jobmojito, ratelimits, relay, xobin
from panelist.api.resolver import Surface, source_ip
from panelist.core.errors import MethodNotAllowed, NotFound, PanelistError

_SURFACE_BY_PREFIX = (
    ("/api/v2/", xobin.SURFACE),
    ("/ai-interviews/", xobin.SURFACE),
    ("/interviews/ai/", xobin.SURFACE),
    ("/job-interview", jobmojito.SURFACE),
    ("/auth/", jobmojito.SURFACE),
)


def surface_for(path: str) -> Surface:
    return next((surface for prefix, surface in _SURFACE_BY_PREFIX if path.startswith(prefix)), relay.SURFACE)


def _pattern(route_path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", route_path)
    regex = "".join(
        (".+" if part.endswith("+}") else "[^/]+") if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}/?$")


@cache
def _routes(routes_file: Path) -> list[tuple[re.Pattern[str], list[str]]]:
    table: dict[str, list[str]] = json.loads(routes_file.read_text())
    return [(_pattern(path), methods) for path, methods in table.items()]


def unmatched(event: dict[str, Any], routes_file: Path) -> dict[str, Any]:
    """The response for a request no route took."""
    path = event.get("rawPath") or "/"
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    allowance = ratelimits.count(None, source_ip(event))
    allowed = sorted({m for pattern, methods in _routes(routes_file) if pattern.match(path) for m in methods})
    error: PanelistError
    if allowance.exceeded:
        error = ratelimits.refusal(allowance)
        headers = {"Content-Type": "application/json"}
    elif allowed and method != "OPTIONS":
        error = MethodNotAllowed(f"Method {method} is not allowed on {path}; use {', '.join(allowed)}", allow=allowed)
        headers = {"Content-Type": "application/json", "Allow": ", ".join(allowed)}
    else:
        error = NotFound(f"No route for {method} {path}")
        headers = {"Content-Type": "application/json"}
    headers.update(allowance.headers())
    return {
        "statusCode": error.status,
        "headers": headers,
        "body": json.dumps(surface_for(path).error_body(error)),
        "isBase64Encoded": False,
    }
