"""Webhook endpoints an organization registers, their deliveries, and the body of the events sent to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from panelist.models.common import Entity, Input, Output, Timestamp

MAX_URL_LENGTH = 2048


class WebhookEndpoint(Entity):
    id: str
    organization_id: str
    url: str
    events: list[str] = Field(description="The event types this endpoint receives")
    description: str | None = None
    enabled: bool = True
    created_at: datetime
    updated_at: datetime | None = None


def _collapse(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


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
        return _collapse(value)


class WebhookEndpointUpdate(Input):
    """A change to an endpoint: only the fields given change (`description: null` removes it)."""

    url: str | None = Field(
        default=None, min_length=1, max_length=MAX_URL_LENGTH, description="Public https URL that receives the events"
    )
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description="Event types to receive (replaces the list)"
    )
    description: str | None = Field(default=None, max_length=200, description="What the endpoint is for")
    enabled: bool | None = Field(
        default=None, description="false: the endpoint receives no new events, and queued ones are skipped"
    )

    @field_validator("events")
    @classmethod
    def _collapse_duplicates(cls, value: list[str] | None) -> list[str] | None:
        return _collapse(value)


class WebhookEndpointOut(Output):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool = True
    created_at: Timestamp
    updated_at: Timestamp | None = None


class WebhookEvent(Output):
    """What an endpoint receives: the event type, when it happened, and the resource it is about."""

    type: str
    timestamp: Timestamp
    data: dict[str, Any]


# ------------------------------------------------------------------ deliveries


class DeliveryStatus(StrEnum):
    pending = "pending"  # queued, or waiting for its next retry
    delivered = "delivered"  # a 2xx
    failed = "failed"  # refused for good: a 4xx (not 408/429) or a URL refused at delivery
    dead_lettered = "dead-lettered"  # every attempt failed: parked in the dead-letter queue (replayable)
    erased = "erased"  # not sent: the data of a candidate it names was erased
    expired = "expired"  # not sent: its payload is no longer kept
    skipped = "skipped"  # not sent: its endpoint was disabled or deleted


# What an attempt's outcome (panelist.webhooks.delivery) makes of the delivery.
OUTCOME_STATUS = {
    "delivered": DeliveryStatus.delivered,
    "rejected": DeliveryStatus.failed,
    "refused": DeliveryStatus.failed,
    "retrying": DeliveryStatus.pending,
    "exhausted": DeliveryStatus.dead_lettered,
    "erased": DeliveryStatus.erased,
    "expired": DeliveryStatus.expired,
    "skipped": DeliveryStatus.skipped,
}


class DeliveryAttempt(BaseModel):
    attempt: int = Field(description="1, 2, ...: counted across replays")
    at: Timestamp = Field(description="When the attempt started")
    outcome: str = Field(description="delivered, rejected, refused, retrying, exhausted, erased, expired or skipped")
    status_code: int | None = Field(default=None, description="The receiver's HTTP status, if it answered")
    error: str | None = Field(default=None, description="Why it failed without an HTTP status")
    duration_ms: int | None = None


class WebhookDelivery(Entity):
    """One event for one endpoint (or one job notification): kept 37 days, with every attempt."""

    id: str
    organization_id: str
    endpoint_id: str | None = None
    url: str
    event_type: str
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: list[DeliveryAttempt] = []
    next_retry_at: datetime | None = None
    replays: int = 0
    created_at: datetime
    updated_at: datetime


class WebhookDeliveryOut(Output):
    id: str = Field(description="The delivery id: also its `webhook-id` header, the same on every attempt and replay")
    webhook_id: str
    endpoint_id: str | None
    event_type: str
    status: DeliveryStatus
    attempts: list[DeliveryAttempt]
    next_retry_at: Timestamp | None = Field(description="When the next attempt is due, while pending after a failure")
    replays: int
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> WebhookDeliveryOut:
        return cls(
            webhook_id=delivery.id,
            **delivery.model_dump(
                include={
                    "id",
                    "endpoint_id",
                    "event_type",
                    "status",
                    "attempts",
                    "next_retry_at",
                    "replays",
                    "created_at",
                    "updated_at",
                }
            ),
        )


# ------------------------------------------------------------------ event payloads (`data`)


class SessionScoredData(BaseModel):
    """`session.scored`: a session's analysis was written."""

    id: str = Field(description="The session id")
    response_id: int
    candidate_id: str
    interview_id: str
    ai_interview_id: int | None = Field(description="The interview's number; null if the interview is gone")
    overall_score: float = Field(ge=0, le=100)
    bucket: str = Field(description="strong, moderate or weak")
    analysed_at: Timestamp
    advisory: bool = Field(
        default=False,
        description="true where the organization requires human review and no person has decided yet: the score "
        "is advice; wait for `session.decided`",
    )


class AnalysisFailedData(BaseModel):
    """`analysis.failed`: a completed session's analysis gave up after its last attempt."""

    id: str = Field(description="The session id")
    response_id: int | None
    candidate_id: str | None
    interview_id: str | None
    ai_interview_id: int | None
    attempts: int = Field(description="How many times the analysis was tried")
    error: str = Field(description="Why the last attempt failed (no candidate data)")
    failed_at: Timestamp


class SessionDecidedData(BaseModel):
    """`session.decided`: a person recorded a decision on a session (`POST /api/sessions/{id}/review`).

    Where the organization requires human review, this (not `session.scored`) is what should move a
    candidate on: the AI's score is advisory until a decision exists."""

    id: str = Field(description="The session id")
    response_id: int
    candidate_id: str
    interview_id: str
    decision: str = Field(description="advance, reject or hold")
    reviewer: str = Field(description="Who decided, as the reviewer named themselves")
    review_id: str
    decided_at: Timestamp


class AccommodationRequestedData(BaseModel):
    """`accommodation.requested`: a candidate asked for an alternative process or an accommodation."""

    id: str = Field(description="The request id (GET /api/accommodation-requests)")
    kind: str = Field(description="alternative_process or accommodation")
    candidate_id: str | None = Field(description="The candidate, when the request came through an invite")
    interview_id: str
    invite_id: str | None
    requested_at: Timestamp


class PingData(BaseModel):
    """`ping`: a test event, sent by `POST /api/webhooks/{id}/test` whatever the endpoint subscribes to."""

    endpoint_id: str
    message: str


EVENT_DATA: dict[str, type[BaseModel]] = {
    "session.scored": SessionScoredData,
    "analysis.failed": AnalysisFailedData,
    "session.decided": SessionDecidedData,
    "accommodation.requested": AccommodationRequestedData,
    "ping": PingData,
}
