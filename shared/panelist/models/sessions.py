"""Interview sessions (a `response`, `interview result` or `session`): turns, answers and their analysis."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from panelist.models.common import Entity, Timestamp


class SessionStatus(StrEnum):
    in_progress = "in_progress"
    completed = "completed"
    abandoned = "abandoned"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


class Turn(BaseModel):
    timestamp: float = Field(ge=0, description="Seconds since the session started")
    speaker: str = Field(pattern="^(ai|participant)$")
    text: str
    sentiment: Sentiment = Sentiment.neutral
    question_id: str | None = None


class Bucket(StrEnum):
    strong = "strong"
    moderate = "moderate"
    weak = "weak"


class AnswerAnalysis(BaseModel):
    score: float = Field(ge=0, le=100)
    bucket: Bucket
    summary: str
    reasons: list[str]


class SpeechAnalytics(BaseModel):
    speech_accuracy: float = Field(ge=0, le=1)
    fluency: float = Field(ge=0, le=1)
    recognition_confidence: float = Field(ge=0, le=1)
    sentiment: Sentiment
    words_per_minute: float = Field(ge=0)


class Answer(BaseModel):
    question_id: str
    text: str
    started_at: float
    ended_at: float
    follow_up: bool = False
    audio_key: str | None = None
    analysis: AnswerAnalysis | None = None
    speech: SpeechAnalytics | None = None


class Assessment(BaseModel):
    """The AI recruiter assessment of a whole session."""

    score: float = Field(ge=0, le=100)
    resume_analysis: str
    overall: str
    why_hire: list[str]
    why_not_hire: list[str]


class Integrity(BaseModel):
    tab_switches: int = 0
    pastes: int = 0


class Session(Entity):
    id: str
    number: int = Field(description="Per-organization number: the Xobin `response_id`")
    organization_id: str
    interview_id: str
    candidate_id: str
    campaign_id: str | None = None
    invite_id: str | None = None
    participant_email: str | None = Field(default=None, description="A copy for lists; cleared on erasure")
    status: SessionStatus = SessionStatus.in_progress
    language: str = "en"
    turns: list[Turn] = []
    answers: list[Answer] = []
    assessment: Assessment | None = None
    integrity: Integrity = Integrity()
    audio_key: str | None = None
    recording_key: str | None = None
    intro_video_key: str | None = None
    started_at: datetime
    consented_at: datetime | None = Field(default=None, description="When the candidate agreed to take part")
    completed_at: datetime | None = None
    updated_at: datetime

    @property
    def duration_minutes(self) -> int:
        end = self.completed_at or self.updated_at
        return max(0, round((end - self.started_at).total_seconds() / 60))


class SessionSummary(BaseModel):
    """A session in a list (and in webhook payloads), with its Xobin `response_id`."""

    id: str
    response_id: int
    campaign_id: str | None
    participant_email: str | None
    status: SessionStatus
    duration_minutes: int
    started_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def of(cls, session: Session) -> SessionSummary:
        return cls(
            response_id=session.number,
            duration_minutes=session.duration_minutes,
            **session.model_dump(
                include={"id", "campaign_id", "participant_email", "status", "started_at", "completed_at"}
            ),
        )


class SessionDetail(SessionSummary):
    """A session as InterviewRelay shows it, with its Xobin `response_id`."""

    transcript_url: str
    audio_url: str | None


class TranscriptTurn(BaseModel):
    timestamp: float
    speaker: str
    text: str
    sentiment: Sentiment


class TranscriptOut(BaseModel):
    session_id: str
    started_at: Timestamp
    completed_at: Timestamp | None
    turns: list[TranscriptTurn]
