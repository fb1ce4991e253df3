"""Report exports (JobMojito `POST /job-interview-pdf`) and shared report links (Xobin `/ai-interviews/report`)."""

from __future__ import annotations

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
    expiration_hours: float
    response_id: int
    ai_interview_id: int


class FileLinkOut(BaseModel):
    """One entry of `results[].files` in a JSON export."""

    type: str
    page: int | None = Field(description="Page of a multi-page file, else null")
    page_signed: str | None
