"""Candidate profiles and their files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from panelist.models.common import Entity


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
    files: list[CandidateFile] = []
    created_at: datetime
    erased_at: datetime | None = None
