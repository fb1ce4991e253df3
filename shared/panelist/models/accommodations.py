"""A candidate's request for an alternative process (no AI) or an accommodation, and how the organization answers it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from panelist.models.common import Entity, Input, Output, Timestamp

MAX_DETAILS_CHARS = 2000
MAX_NOTE_CHARS = 2000


class AccommodationKind(StrEnum):
    alternative_process = "alternative_process"
    accommodation = "accommodation"


class AccommodationStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"


class AccommodationSource(StrEnum):
    invite = "invite"  # an InterviewRelay invite link (/interview/{token})
    take = "take"  # a JobMojito interview-for-profile link (/interview/take/{interview_id})


class AccommodationRequest(Entity):
    """One request, as stored. `name`, `email` and `details` are personal data: an erasure blanks them."""

    id: str
    organization_id: str
    kind: AccommodationKind
    status: AccommodationStatus = AccommodationStatus.open
    details: str = ""
    name: str | None = None
    email: str | None = None
    interview_id: str
    candidate_id: str | None = None
    invite_id: str | None = None
    campaign_id: str | None = None
    source: AccommodationSource
    language: str = "en"
    notice_version: int | None = None
    requested_at: datetime
    updated_at: datetime
    updated_by: str | None = None
    resolution_note: str | None = None
    resolved_at: datetime | None = None
    erased_at: datetime | None = None


class AccommodationRequestOut(Output):
    id: str
    kind: AccommodationKind
    status: AccommodationStatus
    details: str = Field(description="The candidate's own words (blank once the candidate is erased)")
    name: str | None = Field(description="The candidate's name as known when they asked")
    email: str | None = Field(description="Where to contact the candidate")
    interview_id: str
    candidate_id: str | None = Field(description="The candidate, when the link named one")
    invite_id: str | None
    campaign_id: str | None
    source: AccommodationSource = Field(description="invite (an invite link) or take (an interview-for-profile link)")
    language: str = Field(description="The language of the page the candidate asked from")
    notice_version: int | None = Field(description="The AI notice version the page showed")
    requested_at: Timestamp
    updated_at: Timestamp
    resolution_note: str | None
    resolved_at: Timestamp | None
    erased: bool = Field(description="true once the candidate was erased: details, name and email are blank")

    @classmethod
    def of(cls, request: AccommodationRequest) -> AccommodationRequestOut:
        data = request.model_dump(exclude={"organization_id", "updated_by", "erased_at"})
        return cls(**data, erased=request.erased_at is not None)


class AccommodationRequestUpdate(Input):
    """The organization's answer: a new status and/or a note (for its own records; the candidate does not see it)."""

    status: AccommodationStatus | None = Field(default=None, description="open, in_progress or resolved")
    resolution_note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS, description="What was agreed or done")
