"""Responsible hiring: an organization's hiring settings (AI notice, human review, retention) and its audit log."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from panelist.models.common import Entity, Input, Output, Timestamp

MAX_NOTICE_CHARS = 4000
MAX_RETENTION_DAYS = 3650


class RetentionPolicy(BaseModel):
    """Days a session's data is kept after the session ended (completed, expired or abandoned); null keeps it."""

    model_config = ConfigDict(extra="forbid")  # a mistyped policy field is refused, never silently "keep forever"

    recordings_days: int | None = Field(
        default=None, ge=1, le=MAX_RETENTION_DAYS, description="Answer and session recordings, uploads"
    )
    transcripts_days: int | None = Field(
        default=None, ge=1, le=MAX_RETENTION_DAYS, description="Questions asked, answers, transcriptions"
    )
    results_days: int | None = Field(
        default=None, ge=1, le=MAX_RETENTION_DAYS, description="Scores, analyses, assessments and stored reports"
    )


class HiringSettings(Entity):
    """What an organization tells candidates and how its AI results are used. One item per organization."""

    organization_id: str
    human_review_required: bool = False
    notice_text: dict[str, str] = Field(default_factory=dict)
    alternative_contact: str | None = None
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    notice_version: int = 1
    revision: int = 0  # one more on every change: two changes at once cannot both land
    updated_at: datetime | None = None
    updated_by: str | None = None


def _languages(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    from panelist.reports.i18n import LANGUAGES  # the 34 candidate-page languages

    unknown = sorted(code for code in value if code not in LANGUAGES)
    if unknown:
        raise ValueError(f"unknown language code {', '.join(unknown)}; use one of {', '.join(sorted(LANGUAGES))}")
    too_long = sorted(code for code, text in value.items() if len(text) > MAX_NOTICE_CHARS)
    if too_long:
        raise ValueError(f"the notice in {', '.join(too_long)} is longer than {MAX_NOTICE_CHARS} characters")
    return {code: text.strip() for code, text in value.items() if text.strip()}


_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)@"
    r"(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _contact(value: str | None) -> str | None:
    """An email address or an https URL with a host (what a candidate can write to or open), else ValueError."""
    if value is None:
        return None
    if _EMAIL.match(value):
        return value
    try:
        url = urlsplit(value)
        usable = url.scheme.lower() == "https" and bool(url.hostname) and "@" not in url.netloc
    except ValueError:
        usable = False
    if not usable or any(c.isspace() for c in value):
        raise ValueError("must be an email address or an https URL")
    return value


class HiringSettingsUpdate(Input):
    """A change to the hiring settings: only the fields given change (`alternative_contact: null` removes it)."""

    human_review_required: bool | None = Field(
        default=None,
        description="true: AI results are advisory until a person records a decision (POST /api/sessions/{id}/review)",
    )
    notice_text: dict[str, str] | None = Field(
        default=None,
        description='The organization\'s own words added to the AI notice, per language code (e.g. {"en": ..., '
        '"de": ...}); the candidate sees their interview\'s language, else English. Replaces the whole map; '
        "null removes them.",
    )
    alternative_contact: str | None = Field(
        default=None,
        max_length=320,
        description="Where a candidate asks for an alternative process or an accommodation besides the form "
        "(an email address or an https URL)",
    )
    retention: RetentionPolicy | None = Field(
        default=None, description="Replaces the whole retention policy; null keeps everything (no policy)"
    )

    @field_validator("notice_text")
    @classmethod
    def _known_languages(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _languages(value)

    @field_validator("alternative_contact")
    @classmethod
    def _email_or_https(cls, value: str | None) -> str | None:
        return _contact(value)


class HiringSettingsOut(Output):
    human_review_required: bool
    notice_text: dict[str, str]
    alternative_contact: str | None
    retention: RetentionPolicy
    notice_version: int = Field(description="Raised whenever what the notice says changes; consents record it")
    updated_at: Timestamp | None


# ------------------------------------------------------------------ audit log


class AuditAction(StrEnum):
    report_viewed = "report.viewed"
    report_exported = "report.exported"
    report_shared = "report.shared"
    shared_report_viewed = "shared_report.viewed"
    transcript_viewed = "transcript.viewed"
    recording_downloaded = "recording.downloaded"
    session_reviewed = "session.reviewed"
    explanation_created = "explanation.created"
    explanation_viewed = "explanation.viewed"
    candidate_erased = "candidate.erased"
    retention_erased = "retention.erased"


class AuditEntry(Entity):
    """Who did what to a candidate's data: identifiers and counts only, never the data itself."""

    id: str
    organization_id: str
    candidate_id: str
    action: AuditAction
    at: datetime
    actor: str  # "api_key:<id>", "access_token:<key id>", "platform_admin", "candidate", "link:<id>", "system:<job>"
    session_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class AuditEntryOut(Output):
    id: str
    action: AuditAction
    at: Timestamp
    actor: str = Field(
        description="api_key:<key id>, access_token:<key id>, platform_admin, candidate, "
        "link:<share or explanation id> or system:<job>"
    )
    session_id: str | None
    detail: dict[str, Any] = Field(description="What was done, in identifiers and counts (never personal data)")
