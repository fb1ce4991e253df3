"""The JobMojito-style surface (`/job-interview-*`, `/auth/token`): errors `{"error", "name"}`, 422 on validation."""

from __future__ import annotations

from functools import partial
from typing import Any

from panelist.api.resolver import Access, PanelistResolver, Surface, lambda_handler
from panelist.core.errors import PanelistError


def _error_body(exc: PanelistError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.message}
    if exc.field:
        body["name"] = exc.field
    return body


SURFACE = Surface("jobmojito", _error_body, validation_status=422)


resolver = partial(PanelistResolver, SURFACE)


__all__ = ["Access", "lambda_handler", "resolver"]
