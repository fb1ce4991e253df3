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


class Provenance(BaseModel):
    """Who produced a score: the engine and model, the rubric version, the time, and any fallback."""

    engine: str = Field(description='"offline-rules v<N>", "bedrock:<model id>" or "openai:<model>"')
    rubric_version: str = Field(description="The version of the scoring rules and prompts (ai.RUBRIC_VERSION)")
    produced_at: Timestamp
    fallback_from: str | None = Field(
        default=None, description="The model that failed when the offline engine answered instead, if it did"
    )
    fallback_reason: str | None = Field(default=None, description="Why the model's answer was not used")


class Turn(BaseModel):
    timestamp: float = Field(ge=0, description="Seconds since the session started")
    speaker: str = Field(pattern="^(ai|participant)$")
    text: str
    sentiment: Sentiment = Sentiment.neutral
    question_id: str | None = None
    provenance: Provenance | None = Field(
        default=None, description="An AI follow-up question: the engine that decided it, and any fallback"
    )


class Bucket(StrEnum):
    strong = "strong"
    moderate = "moderate"
    weak = "weak"


class EvidenceStatus(StrEnum):
    met = "met"
    partly = "partly"
    missed = "missed"


class Evidence(BaseModel):
    """One evaluation criterion and the words of the answer that meet it (a verbatim quote), or None."""

    criterion: str
    status: EvidenceStatus
    quote: str | None = Field(default=None, description="Verbatim words of the answer; None when nothing matched")


class AnswerAnalysis(BaseModel):
    score: float = Field(ge=0, le=100)
    bucket: Bucket
    summary: str
    reasons: list[str]
    evidence: list[Evidence] = Field(default_factory=list, description="Per criterion, the answer's words")
    provenance: Provenance | None = Field(default=None, description="None for an analysis stored before issue 16")


class SpeechAnalytics(BaseModel):
    """Speech figures measured from an answer's transcription (word timings and confidences); None where
    nothing was measured: a text answer, an audio answer not (yet) transcribed, an engine that gives no
    per-word confidence. `sentiment` comes from the answer's words, spoken or typed."""

    speech_accuracy: float | None = Field(
        default=None, ge=0, le=1, description="Share of words recognised with confidence >= 0.8; None if unmeasured"
    )
    fluency: float | None = Field(
        default=None, ge=0, le=1, description="1 - 4 x (fillers + repeats + pauses >= 1 s) per word; None if unmeasured"
    )
    recognition_confidence: float | None = Field(
        default=None, ge=0, le=1, description="Mean word confidence of the recogniser; None if unmeasured"
    )
    sentiment: Sentiment
    words_per_minute: float | None = Field(
        default=None, ge=0, description="Words per minute of the first word's start to the last word's end"
    )
    pauses: int | None = Field(default=None, ge=0, description="Gaps of 1 s or more between words")
    longest_pause_seconds: float | None = Field(default=None, ge=0, description="The longest gap between words")
    measured_by: str | None = Field(
        default=None, description='The transcription that was measured ("offline:pocketsphinx ..."); None: not measured'
    )


class TranscribedWord(BaseModel):
    """One recognised word: seconds from the start of the recording, and the engine's confidence in it (0-1), or
    None where the engine measures none (an OpenAI-compatible server that gives no per-word probability)."""

    word: str = Field(min_length=1)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float | None = Field(default=None, ge=0, le=1)


class TranscriptionStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    failed = "failed"


class Transcription(BaseModel):
    """An audio answer's transcription (panelist.interviews.speech): pending until its engine answers."""

    status: TranscriptionStatus = TranscriptionStatus.pending
    engine: str = Field(description="offline, aws or openai")
    model: str | None = Field(default=None, description='e.g. "pocketsphinx 5.1.1 en-us", "whisper-1"')
    language: str
    words: list[TranscribedWord] = Field(default_factory=list)
    confidence: float | None = Field(default=None, ge=0, le=1, description="The mean word confidence, if measured")
    duration_seconds: float | None = Field(default=None, ge=0)
    error: str | None = None
    requested_at: datetime
    completed_at: datetime | None = None


class Answer(BaseModel):
    question_id: str
    text: str
    started_at: float
    ended_at: float
    follow_up: bool = False
    audio_key: str | None = None
    transcription: Transcription | None = None
    analysis: AnswerAnalysis | None = None
    speech: SpeechAnalytics | None = None


class Assessment(BaseModel):
    """The AI recruiter assessment of a whole session."""

    score: float = Field(ge=0, le=100)
    resume_analysis: str
    overall: str
    why_hire: list[str]
    why_not_hire: list[str]
    provenance: Provenance | None = Field(default=None, description="None for an assessment stored before issue 16")


class AnalysisStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    failed = "failed"
    erased = "erased"  # the organization's retention policy erased the results


class Integrity(BaseModel):
    tab_switches: int = 0
    pastes: int = 0


class Session(Entity):
    id: str
    number: int = Field(description="Per-organization number: the Xobin `response_id`")
    organization_id: str
    interview_id: str
    interview_version: int = Field(
        default=1, description="The version of the interview it runs on (interviews.store.interview_for)"
    )
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
    consent_notice_version: int | None = Field(
        default=None, description="The organization's AI notice version the candidate saw when they agreed"
    )
    consent_language: str | None = Field(default=None, description="The language the notice was shown in")
    decision: str | None = Field(default=None, description="A person's latest decision: advance, reject or hold")
    decided_at: datetime | None = None
    retention_erased: list[str] = Field(
        default_factory=list, description="What the retention policy erased: recordings, transcripts, results"
    )
    completed_at: datetime | None = None
    updated_at: datetime
    analysis_error: str | None = Field(
        default=None,
        description="Why the last analysis failed (set with `analysis.failed`); None once an analysis is written",
    )

    @property
    def duration_minutes(self) -> int:
        end = self.completed_at or self.updated_at
        return max(0, round((end - self.started_at).total_seconds() / 60))

    @property
    def overall_score(self) -> float | None:
        return None if self.assessment is None else self.assessment.score

    @property
    def analysis_status(self) -> AnalysisStatus:
        """completed once an assessment is written, failed while the last analysis failed, erased once the
        retention policy erased the results, else pending."""
        if "results" in self.retention_erased:
            return AnalysisStatus.erased
        if self.assessment is not None:
            return AnalysisStatus.completed
        return AnalysisStatus.failed if self.analysis_error else AnalysisStatus.pending


class ReviewStatus(StrEnum):
    not_required = "not_required"
    pending = "pending"
    decided = "decided"


class ReviewState(BaseModel):
    """The human review gate as it stands for a session (the organization's `human_review_required`)."""

    required: bool = Field(description="Whether the organization requires a person's decision on AI results")
    status: ReviewStatus = Field(
        description="decided once a person recorded a decision; else pending where review is required, "
        "else not_required"
    )
    decision: str | None = Field(description="The latest decision: advance, reject or hold")
    decided_at: Timestamp | None

    @classmethod
    def of(cls, session: Session, *, required: bool) -> ReviewState:
        if session.decision is not None:
            status = ReviewStatus.decided
        else:
            status = ReviewStatus.pending if required else ReviewStatus.not_required
        return cls(required=required, status=status, decision=session.decision, decided_at=session.decided_at)


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


class SessionListed(SessionSummary):
    """A session in `GET /api/sessions`: the seed's fields, then its ids and its scoring (issue 15)."""

    candidate_id: str
    external_id: str | None = Field(description="The candidate's `external_id` (an ATS id), if it has one")
    interview_id: str = Field(description="The interview's UUID")
    ai_interview_id: int | None = Field(description="The interview's number (Xobin); None if it was deleted")
    overall_score: float | None = Field(description="0-100, the recruiter assessment's score; None until analysed")
    bucket: Bucket | None = Field(description="strong, moderate or weak (the overall score); None until analysed")
    analysis_status: AnalysisStatus
    review: ReviewState | None = Field(
        default=None, description="The human review gate: required, pending or decided, and the latest decision"
    )


class SessionConsent(BaseModel):
    """The candidate's consent to the AI interview: when, to which AI notice version, in which language."""

    at: Timestamp
    notice_version: int | None = Field(description="The organization's AI notice version the page showed")
    language: str | None = Field(description="The language the notice was shown in")


class SessionDetail(SessionListed):
    """A session as InterviewRelay shows it, with its Xobin `response_id`."""

    transcript_url: str
    audio_url: str | None
    consent: SessionConsent | None = Field(
        default=None, description="The candidate's consent (null for a session started before consents were kept)"
    )


class Criteria(BaseModel):
    """An answer's reasons sorted by the evaluation criteria they name."""

    met: list[str]
    partly: list[str]
    missed: list[str]


class AnswerResult(BaseModel):
    """One answer of a result: its question, the candidate's words and their evaluation."""

    question_id: str
    question_number: int | None = Field(description="1-based position in the interview; None if unknown")
    question: str | None = Field(description="The question's prompt; None if the interview is gone")
    skill: str | None
    follow_up: bool
    answer: str
    started_at: float = Field(description="Seconds since the session started")
    ended_at: float
    score: float | None
    bucket: Bucket | None
    summary: str | None
    reasons: list[str]
    criteria: Criteria
    evidence: list[Evidence] = Field(description="Per criterion, the verbatim words of the answer that meet it")
    provenance: Provenance | None = Field(description="The engine, model and rubric version that scored it")
    speech: SpeechAnalytics | None


class AssessmentResult(BaseModel):
    """The AI recruiter assessment of the whole session."""

    overall_score: float
    bucket: Bucket
    overall: str
    resume_analysis: str
    why_hire: list[str]
    why_not_hire: list[str]
    provenance: Provenance | None


class SessionResult(BaseModel):
    """`GET /api/sessions/{id}/result`: the scored result; scores null while `analysis_status` is not completed."""

    session_id: str
    response_id: int
    status: SessionStatus
    analysis_status: AnalysisStatus
    analysis_error: str | None
    candidate_id: str
    external_id: str | None
    interview_id: str
    ai_interview_id: int | None
    role: str | None
    language: str
    started_at: Timestamp
    completed_at: Timestamp | None
    duration_minutes: int
    overall_score: float | None
    bucket: Bucket | None
    assessment: AssessmentResult | None
    answers: list[AnswerResult]
    integrity: Integrity
    review: ReviewState | None = Field(
        default=None, description="The human review gate: required, pending or decided, and the latest decision"
    )
    advisory: bool = Field(
        default=False,
        description="true while the organization requires human review and no person has decided: the AI's "
        "scores are advice, not a decision",
    )


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
