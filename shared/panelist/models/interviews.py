"""Interview plans (an `ai_interview`, `script` or `position`) and the jobs that generate them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from panelist.models.common import Entity, NaiveUtcTimestamp


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


class GenerateInterviewRequest(BaseModel):
    """Seed 002's body. Presence is checked by the service so the error is the seed's exact sentence."""

    model_config = ConfigDict(str_strip_whitespace=True)

    job_role: str | None = Field(default=None, max_length=200)
    job_description: str | None = Field(default=None, max_length=20_000)
    notification_url: str | None = Field(default=None, max_length=2048)


class GenerationAccepted(BaseModel):
    job_id: str
    status: str
    message: str


class TaskLogOut(BaseModel):
    created_at: NaiveUtcTimestamp
    id: int
    message: str
    task_execution_id: str


class TaskStatusOut(BaseModel):
    created_at: NaiveUtcTimestamp
    current_step: str
    id: str
    notification_url: str | None
    recent_logs: list[TaskLogOut]
    result: dict[str, Any] | None
    status: TaskStatus
    type: str
    updated_at: NaiveUtcTimestamp


class InterviewConfiguration(BaseModel):
    duration_minutes: int
    question_count: int
    language: str
    follow_ups_per_question: int = 1
    seniority: Seniority


class InterviewDetailsOut(BaseModel):
    """An interview as Xobin's details route shows it, with its ids on every surface."""

    ai_interview_id: int
    id: str
    name: str
    role: str
    description: str
    status: InterviewStatus
    created_at: NaiveUtcTimestamp
    updated_at: NaiveUtcTimestamp
    created_by_job_id: str | None
    skills: list[Skill]
    questions: list[Question]
    duration_minutes: int
    configuration: InterviewConfiguration
    proctoring: Proctoring

    @classmethod
    def of(cls, interview: Interview) -> InterviewDetailsOut:
        return cls(
            ai_interview_id=interview.number,
            id=interview.id,
            name=interview.name,
            role=interview.role,
            description=interview.description,
            status=interview.status,
            created_at=interview.created_at,
            updated_at=interview.updated_at,
            created_by_job_id=interview.task_execution_id,
            skills=interview.skills,
            questions=interview.questions,
            duration_minutes=interview.duration_minutes,
            proctoring=interview.proctoring,
            configuration=InterviewConfiguration(
                duration_minutes=interview.duration_minutes,
                question_count=len(interview.questions),
                language=interview.language,
                seniority=interview.seniority,
            ),
        )
