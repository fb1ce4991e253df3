"""Report exports (JobMojito `POST /job-interview-pdf`) and shared report links (Xobin `/ai-interviews/report`)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from panelist.core.errors import BadRequest
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


# ------------------------------------------------------------------ the Xobin report routes' requests
#
# Their refusals are the seed's own sentences (`{"error": "response_id must be an integer"}`), not the
# resolver's wording of a pydantic error, so these checks raise BadRequest themselves: an exception that is
# not a ValueError passes through pydantic and the resolver's validation to the surface's error handler.


def _response_id(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,15}", value):
        raise BadRequest("response_id must be an integer", field="response_id", expected="integer")
    return value


def _option(value: Any) -> Any:
    if value not in {option.value for option in ReportOption}:
        allowed = ", ".join(option.value for option in ReportOption)
        raise BadRequest(f"option must be one of: {allowed}", field="option", expected=allowed)
    return value


# `/ai-interviews/report/<response_id>/...`: a session's number, digits only ("1e3", "-1" and "1.5" are refused).
ResponseId = Annotated[int, BeforeValidator(_response_id)]
# `/ai-interviews/report/<response_id>/<option>`
ReportOptionParam = Annotated[ReportOption, BeforeValidator(_option)]

MIN_SHARE_HOURS = 1 / 60
MAX_SHARE_HOURS = 24.0
DEFAULT_SHARE_HOURS = 1
EXPIRATION_ERROR = "expiration_hours must be between 1 minute and 24 hours"


class ShareRequest(BaseModel):
    """The optional body of `POST /ai-interviews/report/{response_id}/share`.

    `expiration_hours` is a JSON number in [1/60, 24], 1 when absent, echoed as sent (2 stays 2, as the
    seed's example shows 1). Python's json reads NaN and Infinity, which are refused with strings, null and
    booleans; an unknown field is refused too (a misspelt one would otherwise share for the default hour).
    """

    model_config = ConfigDict(frozen=True)

    expiration_hours: int | float = Field(
        DEFAULT_SHARE_HOURS, description="Link validity in hours, from 1/60 (one minute) to 24; 1 when absent"
    )

    @model_validator(mode="before")
    @classmethod
    def _seed_rules(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise BadRequest("Request body must be a JSON object", field="body", expected="a JSON object")
        unknown = sorted(set(data) - {"expiration_hours"})
        if unknown:
            raise BadRequest(f"Unknown field {unknown[0]}: the body takes only expiration_hours", field=unknown[0])
        if "expiration_hours" in data:
            value = data["expiration_hours"]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not MIN_SHARE_HOURS <= value <= MAX_SHARE_HOURS
            ):
                raise BadRequest(EXPIRATION_ERROR, field="expiration_hours", expected="a number from 1/60 to 24")
        return data


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
