"""Interview plans (an `ai_interview`, `script` or `position`) and the jobs that generate them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from panelist.models.common import Entity


class Seniority(StrEnum):
    junior = "junior"
    mid = "mid"
    senior = "senior"
    lead = "lead"


class Skill(BaseModel):
    name: str
    category: str = "technical"
    weight: float = Field(ge=0, le=1)


class Expectations(BaseModel):
    """What a strong, a moderate and a weak answer look like (the AI scoring rubric)."""

    strong: str
    moderate: str
    weak: str


class Question(BaseModel):
    id: str
    skill: str
    prompt: str
    evaluation_criteria: list[str]
    expectations: Expectations
    time_limit_seconds: int = 180


class Proctoring(BaseModel):
    tab_switch_detection: bool = True
    paste_detection: bool = True
    webcam_required: bool = False
    fullscreen_required: bool = False


class InterviewStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Interview(Entity):
    id: str
    number: int = Field(description="Per-organization number: the Xobin `ai_interview_id`")
    organization_id: str
    name: str
    role: str
    description: str
    seniority: Seniority
    skills: list[Skill]
    questions: list[Question]
    duration_minutes: int
    proctoring: Proctoring = Proctoring()
    status: InterviewStatus = InterviewStatus.published
    language: str = "en"
    task_execution_id: str | None = None
    created_at: datetime
    updated_at: datetime


class TaskStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"


class TaskExecution(Entity):
    id: str
    organization_id: str
    type: str = "ai_interview_generation"
    status: TaskStatus = TaskStatus.pending
    current_step: str = "Queued"
    notification_url: str | None = None
    input: dict[str, Any] = {}
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime


class TaskLog(Entity):
    id: int
    task_execution_id: str
    message: str
    created_at: datetime
