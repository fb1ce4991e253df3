"""The `$default` route: what API Gateway sends when no route matches.

An unknown path gets 404; a known path with another method gets 405 and an `Allow` header. Both
answer in the error format of the surface the path belongs to. The route has no authorizer, so its
requests count against their source IP (`panelist.api.ratelimits`), and over the limit the answer is 429.

HTTP API route keys cannot end with `/`, and a request path with a trailing slash does not match the
route without it: it lands here. When the path without the slash is a route for the request's method
(the seed's `/interview/take/{interview_id}/` links), the answer is a 308 to it, query string kept: a
browser repeats a POST with its body on a 308. A redirect to a public page counts in the pages' budget.
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
# The public pages behind links (routes without the authorizer): a redirect to one counts in the pages' budget.
_PAGE_PREFIXES = ("/interview/", "/interviews/ai/report/shared/", "/reports/files/")


def surface_for(path: str) -> Surface:
    return next((surface for prefix, surface in _SURFACE_BY_PREFIX if path.startswith(prefix)), relay.SURFACE)


@cache
def _pattern(route_path: str, *, slash: bool) -> re.Pattern[str]:
    """A route's path as a regex; with `slash`, a trailing slash allowed too."""
    parts = re.split(r"(\{[^}]+\})", route_path)
    regex = "".join(
        (".+" if part.endswith("+}") else "[^/]+") if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}{'/?' if slash else ''}$")


@cache
def _routes(routes_file: Path) -> list[tuple[str, list[str]]]:
    table: dict[str, list[str]] = json.loads(routes_file.read_text())
    return list(table.items())


def _allowed(path: str, routes_file: Path, *, slash: bool = True) -> list[str]:
    """The methods of the routes whose path is `path` (with `slash`: or `path` without its trailing slash)."""
    return sorted(
        {m for route, methods in _routes(routes_file) if _pattern(route, slash=slash).match(path) for m in methods}
    )


def _slashless(path: str, method: str, routes_file: Path) -> str | None:
    """`path` without its trailing slash when that is a route for `method`, else None."""
    target = path[:-1]
    if not path.endswith("/") or not target.startswith("/") or target.startswith("//"):
        return None
    allowed = _allowed(target, routes_file, slash=False)
    return target if method in allowed or "ANY" in allowed else None


def unmatched(event: dict[str, Any], routes_file: Path) -> dict[str, Any]:
    """The response for a request no route took."""
    path = event.get("rawPath") or "/"
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    target = _slashless(path, method, routes_file)
    allowance = ratelimits.count(None, source_ip(event), page=bool(target and target.startswith(_PAGE_PREFIXES)))
    if not allowance.exceeded and target:
        query = event.get("rawQueryString") or ""
        headers = {"Location": f"{target}?{query}" if query else target, "Cache-Control": "no-store"}
        headers.update(allowance.headers())
        return {"statusCode": 308, "headers": headers, "body": "", "isBase64Encoded": False}
    allowed = _allowed(path, routes_file)
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
