"""Report exports (JobMojito `POST /job-interview-pdf`) and shared report links (Xobin `/ai-interviews/report`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from panelist.models.common import Input

# JobMojito's `mojito_language_code`: `br` is Brazilian Portuguese, `no` Norwegian (Bokmål), `fil` Filipino.
LanguageCode = Literal[
    "ar", "bg", "zh", "hr", "cs", "da", "nl", "en", "fil", "fi", "fr", "de", "el", "hi", "hu", "id", "it",
    "ja", "ko", "ms", "no", "pl", "pt", "br", "ro", "ru", "sk", "es", "sv", "ta", "th", "tr", "uk", "vi",
]  # fmt: skip
MAX_RESULTS = 50


class ReportFeatures(Input):
    """What a report shows (seed 001 `export_features_result`), each toggle with the seed's default."""

    mojito_language_code: LanguageCode | None = None
    contact_details: bool = True
    ai_recruiter_assessment: bool = True
    ai_scoring_rubric: bool = False  # only shown when ai_recruiter_assessment is on too
    analytics: bool = True
    transcript: bool = True
    files: bool = True
    answer_recording: bool = False
    session_recording: bool = False
    group_by_question: bool = False

    model_config = ConfigDict(extra="forbid", strict=True)

    @property
    def rubric_shown(self) -> bool:
        return self.ai_scoring_rubric and self.ai_recruiter_assessment


DEFAULT_FEATURES = ReportFeatures()


class ExportType(StrEnum):
    pdf = "pdf"
    html = "html"
    json = "json"


class ReportOption(StrEnum):
    share = "share"
    download = "download"


class ShareOut(BaseModel):
    signed_url: str
    expires_at: str  # naive UTC ISO 8601 with microseconds, as the seed's example
    expiration_hours: int | float  # as the request gave it: 2 stays 2
    response_id: int
    ai_interview_id: int


class ShareStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class ShareView(BaseModel):
    """One opening of a shared report's page; the viewer's IP only as a salted hash."""

    viewed_at: str  # naive UTC ISO 8601 with microseconds, like every time of the Xobin surface
    ip_hash: str
    user_agent: str


class ReportShare(BaseModel):
    """A shared report link as stored (`SHARE#<session id>#<share id>` in the organization's partition)."""

    share_id: str
    organization_id: str
    session_id: str
    response_id: int
    ai_interview_id: int
    created_at: datetime
    expires_at: datetime
    expiration_hours: int | float  # as the request gave it: 2 stays 2
    revoked_at: datetime | None = None
    view_count: int = 0
    views: list[ShareView] = []  # the latest views only (MAX_VIEWS_KEPT in panelist.reports.shares)
    ip_salt: str  # the key of this share's IP hashes; never leaves the table


class ReportShareOut(BaseModel):
    """A shared link in `GET /ai-interviews/report/{response_id}/shares`."""

    share_id: str
    created_at: str
    expires_at: str
    expiration_hours: int | float  # as the request gave it: 2 stays 2
    status: ShareStatus
    revoked_at: str | None
    view_count: int = Field(description="Every view since the link was created")
    views: list[ShareView] = Field(description="The latest views, newest first")


class ReportSharesOut(BaseModel):
    shares: list[ReportShareOut]


class FileLinkOut(BaseModel):
    """One entry of `results[].files` in a JSON export."""

    type: str
    page: int | None = Field(description="Page of a multi-page file, else null")
    page_signed: str | None
