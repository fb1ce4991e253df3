"""HTTP API route keys as API Gateway accepts them, checked before a deployment finds out.

A route key is `$default` or `METHOD /path`. API Gateway's import of the OpenAPI body that SAM writes does not
always refuse a bad one: a route whose path ends with `/` is dropped, and its requests fall to `$default`. So
these rules are checked here, on the routes of the transformed template (tests/build/test_deployed_shape.py):

* METHOD is one of GET POST PUT PATCH DELETE HEAD OPTIONS ANY (upper case);
* the path starts with `/`, has no empty segment and does not end with `/` (except `/` itself);
* a path variable is a whole segment, `{name}` with name in [A-Za-z0-9._-], named once per path;
* a greedy variable `{name+}` is the last segment only;
* no route key is declared twice, and no two paths differ only in their variables' names (`/a/{id}` and
  `/a/{key}`: OpenAPI calls them identical, and API Gateway cannot tell which one a request means).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT = "$default"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
ANY_METHOD = "x-amazon-apigateway-any-method"  # ANY, in an OpenAPI path item
_OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z0-9._-]+")


def problems(key: str) -> list[str]:
    """What is wrong with one route key (empty when API Gateway accepts it)."""
    if key == DEFAULT:
        return []
    method, space, path = key.partition(" ")
    if not space or " " in path:
        return [f"{key!r}: a route key is `$default` or `METHOD /path` (one space)"]
    found = []
    if method not in METHODS:
        found.append(f"{key!r}: method {method!r} is not one of {' '.join(METHODS)}")
    if not path.startswith("/"):
        return [*found, f"{key!r}: the path must start with '/'"]
    if path == "/":
        return found
    if path.endswith("/"):
        found.append(f"{key!r}: the path ends with '/' (only '/' itself may)")
    segments = path[1:].split("/")
    if "" in segments[:-1]:
        found.append(f"{key!r}: the path has an empty segment ('//')")
    names: list[str] = []
    for index, segment in enumerate(segments):
        if "{" not in segment and "}" not in segment:
            continue
        match = _VARIABLE.fullmatch(segment)
        if not match:
            found.append(f"{key!r}: {segment!r}: a path variable must be a whole segment, `{{name}}`")
            continue
        name = match.group(1)
        greedy = name.endswith("+")
        name = name.removesuffix("+")
        if not _NAME.fullmatch(name):
            found.append(f"{key!r}: {segment!r}: a variable's name uses only A-Z a-z 0-9 . _ -")
        if greedy and index != len(segments) - 1:
            found.append(f"{key!r}: {segment!r}: a greedy variable must be the last segment")
        if name in names:
            found.append(f"{key!r}: variable {name!r} appears twice")
        names.append(name)
    return found


def shape(path: str) -> str:
    """The path with its variables' names erased: `/a/{id}/{rest+}` → `/a/{}/{+}`."""
    return _VARIABLE.sub(lambda m: "{+}" if m.group(1).endswith("+") else "{}", path)


def table_problems(keys: Iterable[str]) -> list[str]:
    """What is wrong with the route keys of one API: each key's problems, duplicates, ambiguous paths."""
    keys = list(keys)
    found = [problem for key in keys for problem in problems(key)]
    found += [f"{key!r} is declared {keys.count(key)} times" for key in sorted(set(keys)) if keys.count(key) > 1]
    paths_by_shape: dict[str, set[str]] = {}
    for key in keys:
        if key != DEFAULT:
            path = key.partition(" ")[2]
            paths_by_shape.setdefault(shape(path), set()).add(path)
    for paths in paths_by_shape.values():
        if len(paths) > 1:
            found.append(f"{', '.join(sorted(paths))}: paths that differ only in variable names are ambiguous")
    return found


def openapi_keys(body: Mapping[str, Any]) -> list[str]:
    """The route keys of an HTTP API's OpenAPI body (`AWS::ApiGatewayV2::Api` `Body`, as SAM writes it)."""
    keys = []
    for path, item in (body.get("paths") or {}).items():
        for field in item:
            if field == ANY_METHOD:
                keys.append(DEFAULT if path == DEFAULT else f"ANY {path}")
            elif field in _OPENAPI_METHODS:
                keys.append(DEFAULT if path == DEFAULT else f"{field.upper()} {path}")
    return keys
