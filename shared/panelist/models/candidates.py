"""Candidate profiles and their files, and the Candidates resource's bodies (`/api/candidates`)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator

from panelist.models.common import Entity, Input, Output, Timestamp


class FileType(StrEnum):
    resume = "resume"
    cover_letter = "cover_letter"


class CandidateFile(BaseModel):
    type: FileType
    key: str
    name: str
    content_type: str
    pages: int | None = None
    uploaded_at: datetime


class Candidate(Entity):
    id: str
    organization_id: str
    name: str
    email: str
    phone: str | None = None
    linkedin_url: str | None = None
    address: str | None = None
    external_id: str | None = None  # the integrator's own id (an ATS's), unique in the organization
    metadata: dict[str, str] = {}  # the integrator's own key/value pairs, returned as given
    files: list[CandidateFile] = []
    created_at: datetime
    updated_at: datetime | None = None
    erased_at: datetime | None = None


# ------------------------------------------------------------------ the resource's bodies

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500
EXTERNAL_ID_MAX_LENGTH = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")
_LINKEDIN = re.compile(r"^https://([a-z]{2,3}\.)?linkedin\.com/[^\s]{1,200}$", re.IGNORECASE)

Name = Annotated[str, Field(min_length=1, max_length=200, description="The candidate's full name")]
Email = Annotated[str, Field(min_length=3, max_length=254, description="The candidate's email address")]
Phone = Annotated[
    str | None,
    Field(default=None, max_length=40, description="Phone number: digits, spaces, + ( ) . / -"),
]
LinkedIn = Annotated[
    str | None,
    Field(default=None, max_length=250, description="https://linkedin.com/... or https://www.linkedin.com/..."),
]
ExternalId = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=EXTERNAL_ID_MAX_LENGTH,
        description="Your own id of the candidate (an ATS id): unique in the organization, matched exactly",
    ),
]
Metadata = Annotated[
    dict[str, Any] | None,
    Field(
        default=None,
        description=(
            f"Your own key/value pairs: at most {METADATA_MAX_KEYS} keys of 1-{METADATA_MAX_KEY_LENGTH} "
            f"characters, string values of at most {METADATA_MAX_VALUE_LENGTH} characters"
        ),
    ),
]


def _checked_phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 3:
        raise ValueError("must be a phone number (digits, spaces, + ( ) . / -)")
    return value


def _checked_linkedin(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _LINKEDIN.match(value):
        raise ValueError("must be a LinkedIn address: https://www.linkedin.com/...")
    return value


def _checked_external_id(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _checked_name(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def checked_metadata(value: dict[str, Any] | None) -> dict[str, str] | None:
    """The metadata object, or a ValueError naming what is wrong with it."""
    if value is None:
        return None
    if len(value) > METADATA_MAX_KEYS:
        raise ValueError(f"at most {METADATA_MAX_KEYS} keys")
    for key, item in value.items():
        if not 1 <= len(key) <= METADATA_MAX_KEY_LENGTH or _CONTROL.search(key):
            raise ValueError(f"keys are 1-{METADATA_MAX_KEY_LENGTH} characters without control characters")
        if not isinstance(item, str):
            raise ValueError(f"the value of {key!r} must be a string")
        if len(item) > METADATA_MAX_VALUE_LENGTH:
            raise ValueError(f"the value of {key!r} is longer than {METADATA_MAX_VALUE_LENGTH} characters")
    return dict(value)


class _CandidateFields(Input):
    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _checked_phone(value)

    @field_validator("linkedin_url", check_fields=False)
    @classmethod
    def _linkedin(cls, value: str | None) -> str | None:
        return _checked_linkedin(value)

    @field_validator("external_id", check_fields=False)
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        return _checked_external_id(value)

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _checked_name(value)

    @field_validator("metadata", check_fields=False)
    @classmethod
    def _metadata(cls, value: dict[str, Any] | None) -> dict[str, str] | None:
        return checked_metadata(value)


class CandidateCreate(_CandidateFields):
    name: Name
    email: Email
    phone: Phone = None
    linkedin_url: LinkedIn = None
    external_id: ExternalId = None
    metadata: Metadata = None


class CandidateUpdate(_CandidateFields):
    """Only the fields sent change; `null` clears phone, linkedin_url, external_id or metadata."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone = None
    linkedin_url: LinkedIn = None
    external_id: ExternalId = None
    metadata: Metadata = None

    @model_validator(mode="after")
    def _something(self) -> CandidateUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of " + ", ".join(type(self).model_fields))
        return self


class CandidateOut(Output):
    id: str
    name: str
    email: str
    phone: str | None
    linkedin_url: str | None
    external_id: str | None
    metadata: dict[str, str]
    erased: bool = Field(description="The candidate's personal data was erased (DELETE /api/candidates/{id})")
    erased_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp | None

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateOut:
        return cls(
            id=candidate.id,
            name=candidate.name,
            email=candidate.email,
            phone=candidate.phone,
            linkedin_url=candidate.linkedin_url,
            external_id=candidate.external_id,
            metadata=candidate.metadata,
            erased=candidate.erased_at is not None,
            erased_at=candidate.erased_at,
            created_at=candidate.created_at,
            updated_at=candidate.updated_at,
        )
