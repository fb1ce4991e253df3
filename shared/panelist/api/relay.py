"""The InterviewRelay-style surface: `/api/...`; errors are `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from functools import cache, partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, create_model

from panelist.api.resolver import Access, PanelistResolver, Surface, lambda_handler
from panelist.core.errors import PanelistError


def _error_body(exc: PanelistError) -> dict[str, Any]:
    details = {k: v for k, v in (("field", exc.field), ("expected", exc.expected)) if v is not None}
    return {"error": {"code": exc.code, "message": exc.message, "details": details}}


SURFACE = Surface("relay", _error_body)


resolver = partial(PanelistResolver, SURFACE)


Limit = Annotated[int, Query(ge=1, le=100, description="Number of results (default 50, max 100)")]
Offset = Annotated[int, Query(ge=0, description="Pagination offset (default 0)")]


class Pagination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: int
    limit: int
    offset: int
    has_more: bool


@cache
def listing_model(model_name: str, name: str, item: type[BaseModel]) -> type[BaseModel]:
    """The model of what `listing(name, [item, ...])` answers, for a handler's return annotation (and so the
    OpenAPI document): `CampaignList = listing_model("CampaignList", "campaigns", CampaignListItem)`."""
    fields: dict[str, Any] = {
        name: (list[item], ...),  # type: ignore[valid-type]
        "total": (int, ...),
        "limit": (int, ...),
        "offset": (int, ...),
        "pagination": (Pagination, ...),
    }
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


def listing(name: str, items: list[Any], *, total: int, limit: int, offset: int) -> dict[str, Any]:
    """A list response: `{name: [...], total, limit, offset}` plus the seed's `pagination` object."""
    return {
        name: items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "pagination": {
            "total": total,
            "limit": limit,
            "offset": offset,
            "has_more": offset + len(items) < total,
        },
    }


__all__ = ["Access", "Limit", "Offset", "Pagination", "lambda_handler", "listing", "listing_model", "resolver"]
