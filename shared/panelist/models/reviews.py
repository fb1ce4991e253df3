"""The human review gate (`POST /api/sessions/{id}/review`) and explanations on request
(`POST /api/sessions/{id}/explanation`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from panelist.models.common import Entity, Input, Output, Timestamp

MAX_EXPLANATION_DAYS = 30  # a signed link lives at most panelist.core.signing.MAX_TOKEN_LIFETIME
DEFAULT_EXPLANATION_DAYS = 30


class Decision(StrEnum):
    advance = "advance"
    reject = "reject"
    hold = "hold"


class Review(Entity):
    """A person's decision on a completed session; every one is kept, the latest decides."""

    id: str
    organization_id: str
    session_id: str
    candidate_id: str
    reviewer: str
    decision: Decision
    note: str | None = None
    created_at: datetime
    score_at_review: float | None = None
    actor: str  # the credential that recorded it (audit.actor_of)


class ReviewRequest(Input):
    reviewer: str = Field(min_length=1, max_length=200, description="The person deciding (name or email)")
    decision: Decision = Field(description="advance, reject or hold")
    note: str | None = Field(default=None, max_length=2000, description="Why, in the reviewer's words")


class ReviewOut(Output):
    id: str
    session_id: str
    reviewer: str
    decision: Decision
    note: str | None
    created_at: Timestamp
    score_at_review: float | None = Field(description="The AI's overall score (0-100) when the decision was made")

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls.model_validate(review.model_dump(include=set(cls.model_fields)))


class ExplanationRequest(Input):
    expires_in_days: int = Field(
        default=DEFAULT_EXPLANATION_DAYS,
        ge=1,
        le=MAX_EXPLANATION_DAYS,
        description=f"How long the link works (days, default {DEFAULT_EXPLANATION_DAYS})",
    )


class ExplanationOut(Output):
    id: str = Field(description="The explanation's id (the audit log names its views `link:<id>`)")
    url: str = Field(description="The candidate's link: no credentials needed, the signed token is the key")
    expires_at: Timestamp
