"""Webhook endpoints an organization registers, and the body of the events sent to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from panelist.models.common import Entity, Input, Output, Timestamp

MAX_URL_LENGTH = 2048


class WebhookEndpoint(Entity):
    id: str
    organization_id: str
    url: str
    events: list[str] = Field(description="The event types this endpoint receives")
    description: str | None = None
    created_at: datetime


class WebhookEndpointCreate(Input):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="Public https URL that receives the events")
    events: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Event types to receive (default: every event type); listing one twice is the same as once",
    )
    description: str | None = Field(default=None, max_length=200, description="What the endpoint is for")

    @field_validator("events")
    @classmethod
    def _collapse_duplicates(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


class WebhookEndpointOut(Output):
    id: str
    url: str
    events: list[str]
    description: str | None
    created_at: Timestamp


class WebhookEvent(Output):
    """What an endpoint receives: the event type, when it happened, and the resource it is about."""

    type: str
    timestamp: Timestamp
    data: dict[str, Any]
