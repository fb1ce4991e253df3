"""The Xobin-style surface: `/api/v2/...` and `/ai-interviews/report/...`; errors are `{"error": "..."}`."""

from __future__ import annotations

from functools import partial
from typing import Any

from panelist.api.resolver import Access, PanelistResolver, Surface, lambda_handler
from panelist.core.errors import PanelistError


def _error_body(exc: PanelistError) -> dict[str, Any]:
    return {"error": exc.message}


SURFACE = Surface("xobin", _error_body)


resolver = partial(PanelistResolver, SURFACE)


__all__ = ["Access", "lambda_handler", "resolver"]
