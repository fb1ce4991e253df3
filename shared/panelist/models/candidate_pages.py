"""JobMojito's `POST /job-interview-token`: a signed link to one of the public interview pages."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PageType(StrEnum):
    interview_for_profile = "interview-for-profile"
    results_for_profile = "results-for-profile"
    interview_result_candidate = "interview-result-candidate"
    interview_result_talent_seeker = "interview-result-talent-seeker"
    interview_results_for_position = "interview-results-for-position"


class JobInterviewTokenRequest(BaseModel):
    """Seed 003's body. Presence and the type are checked by the service, so each error is the seed's own
    ("Field is required." naming the field); unknown fields are ignored as JobMojito does."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    type: str | None = Field(default=None, max_length=64, description="Which page the link opens")
    merchant_id: str | None = Field(default=None, max_length=100, description="Act for this sub-merchant")
    interview_profile_id: str | None = Field(default=None, max_length=100, description="Candidate profile id")
    interview_id: str | None = Field(default=None, max_length=100, description="Interview (position) id")
    interview_result_id: str | None = Field(default=None, max_length=100, description="Interview result id")
    hide_menu: Any = Field(default=None, description="The string 'false' shows the navigation menu; else hidden")
