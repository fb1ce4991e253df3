"""The InterviewRelay-style surface: `/api/...`; errors are `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from functools import partial
from typing import Any

from panelist.api.resolver import Access, PanelistResolver, Surface, lambda_handler
from panelist.errors import PanelistError


def _error_body(exc: PanelistError) -> dict[str, Any]:
    details = {k: v for k, v in (("field", exc.field), ("expected", exc.expected)) if v is not None}
    return {"error": {"code": exc.code, "message": exc.message, "details": details}}


SURFACE = Surface("relay", _error_body)


resolver = partial(PanelistResolver, SURFACE)


def page(total: int, limit: int, offset: int) -> dict[str, Any]:
    """The seed's Pagination object."""
    return {"total": total, "limit": limit, "offset": offset, "has_more": offset + limit < total}


__all__ = ["Access", "lambda_handler", "page", "resolver"]
