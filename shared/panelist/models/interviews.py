"""Interview plans (an `ai_interview`, `script` or `position`) and the jobs that generate them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from panelist.models.common import Entity, Input, NaiveUtcTimestamp, Output, Timestamp


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


CANDIDATE_LANGUAGES = (
    "Other languages (codes of the 34 report languages: de, ar, ja, br…) a candidate may switch the interview's "
    "pages to; the interview's own language comes first. [] (default): no language switch"
)


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
    candidate_languages: list[str] = Field(default_factory=list, description=CANDIDATE_LANGUAGES)
    task_execution_id: str | None = None
    project_id: str | None = Field(default=None, description="The project it belongs to (set when created by hand)")
    version: int = Field(default=1, description="Grows when the content of a published or used interview changes")
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


# ------------------------------------------------------------------ the Interviews resource (InterviewRelay surface)

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
QUESTION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _no_nulls(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null")
    return value


class ExpectationsIn(Input):
    strong: str = Field(min_length=1, max_length=2000, description="What a strong answer shows")
    moderate: str = Field(min_length=1, max_length=2000, description="What a moderate answer shows")
    weak: str = Field(min_length=1, max_length=2000, description="What a weak answer shows")


class SkillIn(Input):
    name: str = Field(min_length=1, max_length=100)
    category: str = Field(default="technical", min_length=1, max_length=50)
    weight: float | None = Field(default=None, ge=0, le=1, description="Relative importance; equal when omitted")


class QuestionIn(Input):
    id: str | None = Field(default=None, pattern=QUESTION_ID_PATTERN, description="Defaults to q1, q2, ...")
    skill: str = Field(min_length=1, max_length=100, description="The name of one of the interview's skills")
    prompt: str = Field(min_length=1, max_length=2000)
    evaluation_criteria: list[str] = Field(min_length=1, max_length=20)
    expectations: ExpectationsIn
    time_limit_seconds: int = Field(default=180, ge=10, le=3600)

    @field_validator("evaluation_criteria")
    @classmethod
    def _criteria(cls, value: list[str]) -> list[str]:
        cleaned = [c.strip() for c in value]
        if any(not c or len(c) > 500 for c in cleaned):
            raise ValueError("each criterion is 1 to 500 characters")
        return cleaned


class ProctoringIn(Input):
    tab_switch_detection: bool = True
    paste_detection: bool = True
    webcam_required: bool = False
    fullscreen_required: bool = False


class _Content(Input):
    """What an interview asks and how: checked together (question ids unique, skills named once and used)."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return _no_nulls(value)

    @field_validator("skills", check_fields=False)
    @classmethod
    def _skills_once(cls, skills: list[SkillIn]) -> list[SkillIn]:
        names = [s.name.strip().casefold() for s in skills]
        if len(set(names)) != len(names):
            raise ValueError("each skill is named once")
        return skills

    @field_validator("questions", check_fields=False)
    @classmethod
    def _ids_once(cls, questions: list[QuestionIn]) -> list[QuestionIn]:
        ids = [q.id for q in questions if q.id is not None]
        if len(set(ids)) != len(ids):
            raise ValueError("each question id is used once")
        return questions


def _page_languages(codes: list[str] | None) -> list[str] | None:
    """Language codes of the candidate pages (the 34 report languages), each once, as their codes."""
    if codes is None:
        return None
    from panelist.reports.i18n import known_language

    found: list[str] = []
    for code in codes:
        language = known_language(code)
        if language is None:
            raise ValueError(f"{code!r} is not one of the candidate page languages (e.g. en, de, ar, ja, br)")
        if language.code not in found:
            found.append(language.code)
    return found


class InterviewCreate(_Content):
    name: str | None = Field(default=None, min_length=1, max_length=200, description='Default: "<role> - AI interview"')
    role: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    seniority: Seniority = Seniority.mid
    skills: list[SkillIn] = Field(min_length=1, max_length=50)
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)
    duration_minutes: int = Field(ge=1, le=240)
    language: str = Field(default="en", pattern=LANGUAGE_PATTERN, max_length=35)
    candidate_languages: list[str] = Field(default_factory=list, max_length=34, description=CANDIDATE_LANGUAGES)
    proctoring: ProctoringIn = ProctoringIn()
    _candidate_languages = field_validator("candidate_languages")(lambda v: _page_languages(v))
    project_id: str | None = Field(default=None, min_length=1, max_length=100, description="UUID of a project")
    status: InterviewStatus = Field(default=InterviewStatus.draft, description="draft (default) or published")


class InterviewUpdate(_Content):
    """Any of the content fields, and/or a new status (draft → published → archived, never back)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=20_000)
    seniority: Seniority | None = None
    skills: list[SkillIn] | None = Field(default=None, min_length=1, max_length=50)
    questions: list[QuestionIn] | None = Field(default=None, min_length=1, max_length=50)
    duration_minutes: int | None = Field(default=None, ge=1, le=240)
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN, max_length=35)
    candidate_languages: list[str] | None = Field(default=None, max_length=34, description=CANDIDATE_LANGUAGES)
    proctoring: ProctoringIn | None = None
    status: InterviewStatus | None = None

    _candidate_languages = field_validator("candidate_languages")(lambda v: _page_languages(v))

    @model_validator(mode="after")
    def _something(self) -> InterviewUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class InterviewListItem(Output):
    id: str
    ai_interview_id: int
    name: str
    role: str
    status: InterviewStatus
    version: int
    project_id: str | None
    language: str
    duration_minutes: int
    question_count: int
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, interview: Interview) -> InterviewListItem:
        return cls(
            id=interview.id,
            ai_interview_id=interview.number,
            name=interview.name,
            role=interview.role,
            status=interview.status,
            version=interview.version,
            project_id=interview.project_id,
            language=interview.language,
            duration_minutes=interview.duration_minutes,
            question_count=len(interview.questions),
            created_at=interview.created_at,
            updated_at=interview.updated_at,
        )


class InterviewOut(Output):
    """An interview on the InterviewRelay surface: its UUID, its Xobin number and everything it asks."""

    id: str
    ai_interview_id: int
    name: str
    role: str
    description: str
    seniority: Seniority
    status: InterviewStatus
    version: int
    project_id: str | None
    language: str
    candidate_languages: list[str]
    duration_minutes: int
    skills: list[Skill]
    questions: list[Question]
    proctoring: Proctoring
    created_by_job_id: str | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, interview: Interview) -> InterviewOut:
        return cls(
            id=interview.id,
            ai_interview_id=interview.number,
            name=interview.name,
            role=interview.role,
            description=interview.description,
            seniority=interview.seniority,
            status=interview.status,
            version=interview.version,
            project_id=interview.project_id,
            language=interview.language,
            candidate_languages=interview.candidate_languages,
            duration_minutes=interview.duration_minutes,
            skills=interview.skills,
            questions=interview.questions,
            proctoring=interview.proctoring,
            created_by_job_id=interview.task_execution_id,
            created_at=interview.created_at,
            updated_at=interview.updated_at,
        )
