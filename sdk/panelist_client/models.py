"""The API's models, generated from its OpenAPI document by sdk/generate_models.py: do not edit."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# ruff: noqa: E501

AccommodationKind = Literal["alternative_process", "accommodation"]

AccommodationSource = Literal["invite", "take"]

AccommodationStatus = Literal["open", "in_progress", "resolved"]

AnalysisStatus = Literal["pending", "completed", "failed", "erased"]

AuditAction = Literal[
    "report.viewed",
    "report.exported",
    "report.shared",
    "shared_report.viewed",
    "transcript.viewed",
    "recording.downloaded",
    "session.reviewed",
    "explanation.created",
    "explanation.viewed",
    "candidate.erased",
    "retention.erased",
]

Bucket = Literal["strong", "moderate", "weak"]

CampaignStatus = Literal["active", "completed", "archived"]

ChargeKind = Literal["session", "generation", "translation"]

Decision = Literal["advance", "reject", "hold"]

DeliveryStatus = Literal["pending", "delivered", "failed", "dead-lettered", "erased", "expired", "skipped"]

EvidenceStatus = Literal["met", "partly", "missed"]

ExportType = Literal["pdf", "html", "json"]

InterviewStatus = Literal["draft", "published", "archived"]

InviteStatus = Literal["pending", "opened", "started", "completed", "expired", "revoked"]

MailStatus = Literal["not_requested", "queued", "sending", "sent", "failed"]

Plan = Literal["free", "starter", "professional", "enterprise"]

Pool = Literal["starter", "monthly", "topup"]

RaceEthnicity = Literal[
    "hispanic_or_latino",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_other_pacific_islander",
    "asian",
    "american_indian_or_alaska_native",
    "two_or_more_races",
    "decline",
]

ReportFormat = Literal["json", "csv", "pdf"]

ReportOption = Literal["share", "download"]

ReviewStatus = Literal["not_required", "pending", "decided"]

Role = Literal["member", "admin"]

Seniority = Literal["junior", "mid", "senior", "lead"]

Sentiment = Literal["positive", "neutral", "negative"]

SessionSort = Literal["date", "score"]

SessionStatus = Literal["in_progress", "completed", "abandoned"]

Severity = Literal["info", "warning", "critical"]

Sex = Literal["female", "male", "decline"]

ShareStatus = Literal["active", "expired", "revoked"]

SortOrder = Literal["asc", "desc"]

StripeOutcome = Literal["credited", "already_credited", "ignored"]

TaskStatus = Literal["pending", "processing", "completed", "failed"]

TransactionType = Literal["grant", "monthly_reset", "purchase", "charge", "refund"]


class AccessTokenOut(TypedDict):
    access_token: str
    token_type: NotRequired[str]
    expires_in: int
    expires_at: str
    organization_id: str
    role: Role


class AccessTokenRequest(TypedDict):
    expires_in: NotRequired[int]


class AccommodationRequestList(TypedDict):
    requests: list[AccommodationRequestOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class AccommodationRequestOut(TypedDict):
    id: str
    kind: AccommodationKind
    status: AccommodationStatus
    details: str
    name: str | None
    email: str | None
    interview_id: str
    candidate_id: str | None
    invite_id: str | None
    campaign_id: str | None
    source: AccommodationSource
    language: str
    notice_version: int | None
    requested_at: str
    updated_at: str
    resolution_note: str | None
    resolved_at: str | None
    erased: bool


class AccommodationRequestUpdate(TypedDict):
    """The organization's answer: a new status and/or a note (for its own records; the candidate does not see it)."""

    status: NotRequired[AccommodationStatus | None]
    resolution_note: NotRequired[str | None]


class AccommodationRequestedData(TypedDict):
    """`accommodation.requested`: a candidate asked for an alternative process or an accommodation."""

    id: str
    kind: str
    candidate_id: str | None
    interview_id: str
    invite_id: str | None
    requested_at: str


class AnalysisFailedData(TypedDict):
    """`analysis.failed`: a completed session's analysis gave up after its last attempt."""

    id: str
    response_id: int | None
    candidate_id: str | None
    interview_id: str | None
    ai_interview_id: int | None
    attempts: int
    error: str
    failed_at: str


class AnswerResult(TypedDict):
    """One answer of a result: its question, the candidate's words and their evaluation."""

    question_id: str
    question_number: int | None
    question: str | None
    skill: str | None
    follow_up: bool
    answer: str
    started_at: float
    ended_at: float
    score: float | None
    bucket: Bucket | None
    summary: str | None
    reasons: list[str]
    criteria: Criteria
    evidence: list[Evidence]
    provenance: Provenance | None
    speech: SpeechAnalytics | None


class ApiKeyCreate(TypedDict):
    name: NotRequired[str]
    role: NotRequired[Role]


class ApiKeyCreated(TypedDict):
    id: str
    organization_id: str
    name: str
    role: Role
    prefix: str
    created_at: str
    revoked_at: str | None
    key: str


class ApiKeyList(TypedDict):
    api_keys: list[ApiKeyOut]


class ApiKeyOut(TypedDict):
    id: str
    organization_id: str
    name: str
    role: Role
    prefix: str
    created_at: str
    revoked_at: str | None


class AssessmentResult(TypedDict):
    """The AI recruiter assessment of the whole session."""

    overall_score: float
    bucket: Bucket
    overall: str
    resume_analysis: str
    why_hire: list[str]
    why_not_hire: list[str]
    provenance: Provenance | None


class AuditEntryList(TypedDict):
    entries: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class AuditEntryOut(TypedDict):
    id: str
    action: AuditAction
    at: str
    actor: str
    session_id: str | None
    detail: dict[str, Any]


class BalanceAlert(TypedDict):
    organizationId: str
    severity: Severity
    message: str


class CampaignCreate(TypedDict):
    name: str
    script_id: str
    project_id: str
    invite_valid_hours: NotRequired[float]


class CampaignCreated(TypedDict):
    id: str
    name: str
    script_id: str
    project_id: str
    status: CampaignStatus
    created_at: str


class CampaignDetail(TypedDict):
    id: str
    name: str
    script_id: str
    project_id: str
    status: CampaignStatus
    created_at: str
    stats: CampaignStats


class CampaignList(TypedDict):
    campaigns: list[CampaignListItem]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class CampaignListItem(TypedDict):
    id: str
    name: str
    status: CampaignStatus
    invites_sent: int
    completed: int
    created_at: str


class CampaignStats(TypedDict):
    invites_sent: int
    started: int
    completed: int
    completion_rate: float


class CampaignUpdate(TypedDict):
    """A new status, a new name, or both (the rename is stored with the status change)."""

    status: NotRequired[CampaignStatus | None]
    name: NotRequired[str | None]


class CandidateCreate(TypedDict):
    name: str
    email: str
    phone: NotRequired[str | None]
    linkedin_url: NotRequired[str | None]
    external_id: NotRequired[str | None]
    metadata: NotRequired[dict[str, Any] | None]


class CandidateList(TypedDict):
    candidates: list[CandidateOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class CandidateOut(TypedDict):
    id: str
    name: str
    email: str
    phone: str | None
    linkedin_url: str | None
    external_id: str | None
    metadata: dict[str, str]
    erased: bool
    erased_at: str | None
    created_at: str
    updated_at: str | None


class CandidateUpdate(TypedDict):
    """Only the fields sent change; `null` clears phone, linkedin_url, external_id or metadata."""

    name: NotRequired[str | None]
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    linkedin_url: NotRequired[str | None]
    external_id: NotRequired[str | None]
    metadata: NotRequired[dict[str, Any] | None]


class CreditBalanceOut(TypedDict):
    starter_credits: int | float
    monthly_credits: int | float
    topup_credits: int | float
    total_credits: int | float
    monthly_credits_amount: int | float
    monthly_credits_reset_at: str
    currency: str
    last_low_balance_warning_at: str | None
    updated_at: str
    low_balance_warning: LowBalanceWarning
    needs_topup: bool
    estimated_sessions_remaining: int


class CreditSummary(TypedDict):
    """GET /api/admin/credits/summary."""

    summary: CreditTotals
    lowBalanceOrganizations: list[LowBalanceOrganization]
    recentTransactions: list[RecentTransaction]
    alerts: list[BalanceAlert]


class CreditTotals(TypedDict):
    totalOrganizations: int
    totalStarterCredits: int | float
    totalMonthlyCredits: int | float
    totalTopupCredits: int | float
    totalCredits: int | float
    lowBalanceCount: int
    criticalBalanceCount: int


class Criteria(TypedDict):
    """An answer's reasons sorted by the evaluation criteria they name."""

    met: list[str]
    partly: list[str]
    missed: list[str]


class DeliveryAttempt(TypedDict):
    attempt: int
    at: str
    outcome: str
    status_code: NotRequired[int | None]
    error: NotRequired[str | None]
    duration_ms: NotRequired[int | None]


class ErasureOut(TypedDict):
    candidate_id: str
    erased_at: str
    sessions: int
    files_deleted: int


class Evidence(TypedDict):
    """One evaluation criterion and the words of the answer that meet it (a verbatim quote), or None."""

    criterion: str
    status: EvidenceStatus
    quote: NotRequired[str | None]


class Expectations(TypedDict):
    """What a strong, a moderate and a weak answer look like (the AI scoring rubric)."""

    strong: str
    moderate: str
    weak: str


class ExpectationsIn(TypedDict):
    strong: str
    moderate: str
    weak: str


class ExplanationOut(TypedDict):
    id: str
    url: str
    expires_at: str


class ExplanationRequest(TypedDict):
    expires_in_days: NotRequired[int]


class GenerateInterviewRequest(TypedDict):
    """Seed 002's body. Presence is checked by the service so the error is the seed's exact sentence."""

    job_role: NotRequired[str | None]
    job_description: NotRequired[str | None]
    notification_url: NotRequired[str | None]


class GenerationAccepted(TypedDict):
    job_id: str
    status: str
    message: str


class GenerationNotification(TypedDict):
    """A generation job's status change, POSTed to the job's notification_url."""

    job_id: str
    status: Literal["pending", "processing", "completed", "failed"]
    message: str
    timestamp: str
    ai_interview_id: NotRequired[int]
    interview_id: NotRequired[str]


class HiringSettingsOut(TypedDict):
    human_review_required: bool
    notice_text: dict[str, str]
    alternative_contact: str | None
    retention: RetentionPolicy
    notice_version: int
    updated_at: str | None


class HiringSettingsUpdate(TypedDict):
    """A change to the hiring settings: only the fields given change (`alternative_contact: null` removes it)."""

    human_review_required: NotRequired[bool | None]
    notice_text: NotRequired[dict[str, str] | None]
    alternative_contact: NotRequired[str | None]
    retention: NotRequired[RetentionPolicy | None]


class HtmlExportOut(TypedDict):
    html_export: str


class Integrity(TypedDict):
    tab_switches: NotRequired[int]
    pastes: NotRequired[int]


class InterviewConfiguration(TypedDict):
    duration_minutes: int
    question_count: int
    language: str
    follow_ups_per_question: NotRequired[int]
    seniority: Seniority


class InterviewCreate(TypedDict):
    name: NotRequired[str | None]
    role: str
    description: str
    seniority: NotRequired[Seniority]
    skills: list[SkillIn]
    questions: list[QuestionIn]
    duration_minutes: int
    language: NotRequired[str]
    candidate_languages: NotRequired[list[str]]
    proctoring: NotRequired[ProctoringIn]
    project_id: NotRequired[str | None]
    status: NotRequired[InterviewStatus]


class InterviewDetailsOut(TypedDict):
    """An interview as Xobin's details route shows it, with its ids on every surface."""

    ai_interview_id: int
    id: str
    name: str
    role: str
    description: str
    status: InterviewStatus
    created_at: str
    updated_at: str
    created_by_job_id: str | None
    skills: list[Skill]
    questions: list[Question]
    duration_minutes: int
    configuration: InterviewConfiguration
    proctoring: Proctoring


class InterviewList(TypedDict):
    interviews: list[InterviewListItem]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class InterviewListItem(TypedDict):
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
    created_at: str
    updated_at: str


class InterviewOut(TypedDict):
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
    created_at: str
    updated_at: str


class InterviewUpdate(TypedDict):
    """Any of the content fields, and/or a new status (draft → published → archived, never back)."""

    name: NotRequired[str | None]
    role: NotRequired[str | None]
    description: NotRequired[str | None]
    seniority: NotRequired[Seniority | None]
    skills: NotRequired[list[SkillIn] | None]
    questions: NotRequired[list[QuestionIn] | None]
    duration_minutes: NotRequired[int | None]
    language: NotRequired[str | None]
    candidate_languages: NotRequired[list[str] | None]
    proctoring: NotRequired[ProctoringIn | None]
    status: NotRequired[InterviewStatus | None]


class InviteDetail(TypedDict):
    id: str
    email: str
    token: str
    status: InviteStatus
    campaign_id: str
    expires_at: str
    created_at: str
    mail_status: NotRequired[MailStatus | None]


class InviteFailure(TypedDict):
    email: str
    reason: str


class InviteList(TypedDict):
    invites: list[InviteListItem]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class InviteListItem(TypedDict):
    id: str
    email: str
    token: str
    status: InviteStatus
    campaign_id: str
    expires_at: str
    created_at: str
    mail_status: NotRequired[MailStatus | None]
    candidate_id: NotRequired[str | None]
    session_id: NotRequired[str | None]
    opened_at: NotRequired[str | None]
    mailed_at: NotRequired[str | None]
    revoked_at: NotRequired[str | None]


class InviteOut(TypedDict):
    id: str
    email: str
    token: str
    url: str
    expires_at: str


class InviteRequest(TypedDict):
    emails: list[str]
    send_email: NotRequired[bool]
    custom_message: NotRequired[str | None]


class InviteResend(TypedDict):
    custom_message: NotRequired[str | None]


class InvitesCreated(TypedDict):
    invites: list[InviteOut]
    sent: int
    failed: int
    failures: list[InviteFailure]


class JobInterviewTokenRequest(TypedDict):
    """Seed 003's body. Presence and the type are checked by the service, so each error is the seed's own ("Field is required." naming the field); unknown fields are ignored as JobMojito does."""

    type: NotRequired[str | None]
    merchant_id: NotRequired[str | None]
    interview_profile_id: NotRequired[str | None]
    interview_id: NotRequired[str | None]
    interview_result_id: NotRequired[str | None]
    hide_menu: NotRequired[Any]


class JobMojitoError(TypedDict):
    """An error on the JobMojito-style routes."""

    error: str
    name: NotRequired[str]


class JsonExportOut(TypedDict):
    json_export: dict[str, Any]


class LowBalanceOrganization(TypedDict):
    organizationId: str
    organizationName: str
    organizationSlug: str
    starter: int | float
    monthly: int | float
    topup: int | float
    total: int | float
    monthlyCreditsAmount: int | float
    monthlyCreditsResetAt: str
    updatedAt: str
    severity: Severity


class LowBalanceWarning(TypedDict):
    shouldWarn: bool
    severity: Severity
    message: str


class OrganizationCreate(TypedDict):
    name: str
    slug: NotRequired[str | None]
    plan: NotRequired[Plan]
    parent_id: NotRequired[str | None]
    rate_limit_per_hour: NotRequired[int | None]
    billing_email: NotRequired[str | None]


class OrganizationList(TypedDict):
    organizations: list[OrganizationOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class OrganizationOut(TypedDict):
    id: str
    name: str
    slug: str
    plan: Plan
    parent_id: str | None
    rate_limit_per_hour: int | None
    billing_email: str | None
    created_at: str
    updated_at: str


class Pagination(TypedDict):
    total: int
    limit: int
    offset: int
    has_more: bool


class PdfExportOut(TypedDict):
    pdf_export_url: str
    pdf_export_valid_until: str


class PingData(TypedDict):
    """`ping`: a test event, sent by `POST /api/webhooks/{id}/test` whatever the endpoint subscribes to."""

    endpoint_id: str
    message: str


class Proctoring(TypedDict):
    tab_switch_detection: NotRequired[bool]
    paste_detection: NotRequired[bool]
    webcam_required: NotRequired[bool]
    fullscreen_required: NotRequired[bool]


class ProctoringIn(TypedDict):
    tab_switch_detection: NotRequired[bool]
    paste_detection: NotRequired[bool]
    webcam_required: NotRequired[bool]
    fullscreen_required: NotRequired[bool]


class ProjectCreate(TypedDict):
    name: str
    description: NotRequired[str | None]


class ProjectList(TypedDict):
    projects: list[ProjectOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class ProjectOut(TypedDict):
    id: str
    name: str
    description: str | None
    created_at: str


class Provenance(TypedDict):
    """Who produced a score: the engine and model, the rubric version, the time, and any fallback."""

    engine: str
    rubric_version: str
    produced_at: str
    fallback_from: NotRequired[str | None]
    fallback_reason: NotRequired[str | None]


class Question(TypedDict):
    id: str
    skill: str
    prompt: str
    evaluation_criteria: list[str]
    expectations: Expectations
    time_limit_seconds: NotRequired[int]


class QuestionIn(TypedDict):
    id: NotRequired[str | None]
    skill: str
    prompt: str
    evaluation_criteria: list[str]
    expectations: ExpectationsIn
    time_limit_seconds: NotRequired[int]


class RecentTransaction(TypedDict):
    id: str
    organizationId: str
    organizationName: str
    organizationSlug: str
    amountCredits: int | float
    creditType: Pool
    transactionType: TransactionType
    description: str
    balanceAfterCredits: int | float
    paymentIntentId: str | None
    createdAt: str


class RelayError(TypedDict):
    """An error on the InterviewRelay-style routes."""

    error: dict[str, Any]


class ReportExportRequest(TypedDict):
    interview_result_id: NotRequired[str | None]
    interview_result_ids: NotRequired[list[str] | None]
    export_type: ExportType
    export_features_result: NotRequired[ReportFeatures]
    store_file: NotRequired[bool]


class ReportFeatures(TypedDict):
    """What a report shows (seed 001 `export_features_result`), each toggle with the seed's default."""

    mojito_language_code: NotRequired[
        Literal[
            "ar",
            "bg",
            "zh",
            "hr",
            "cs",
            "da",
            "nl",
            "en",
            "fil",
            "fi",
            "fr",
            "de",
            "el",
            "hi",
            "hu",
            "id",
            "it",
            "ja",
            "ko",
            "ms",
            "no",
            "pl",
            "pt",
            "br",
            "ro",
            "ru",
            "sk",
            "es",
            "sv",
            "ta",
            "th",
            "tr",
            "uk",
            "vi",
        ]
        | None
    ]
    contact_details: NotRequired[bool]
    ai_recruiter_assessment: NotRequired[bool]
    ai_scoring_rubric: NotRequired[bool]
    analytics: NotRequired[bool]
    transcript: NotRequired[bool]
    files: NotRequired[bool]
    answer_recording: NotRequired[bool]
    session_recording: NotRequired[bool]
    group_by_question: NotRequired[bool]


class ReportShareOut(TypedDict):
    """A shared link in `GET /ai-interviews/report/{response_id}/shares`."""

    share_id: str
    created_at: str
    expires_at: str
    expiration_hours: int | float
    status: ShareStatus
    revoked_at: str | None
    view_count: int
    views: list[ShareView]


class ReportSharesOut(TypedDict):
    shares: list[ReportShareOut]


class RetentionPolicy(TypedDict):
    """Days a session's data is kept after the session ended (completed, expired or abandoned); null keeps it."""

    recordings_days: NotRequired[int | None]
    transcripts_days: NotRequired[int | None]
    results_days: NotRequired[int | None]


class ReviewList(TypedDict):
    reviews: list[ReviewOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class ReviewOut(TypedDict):
    id: str
    session_id: str
    reviewer: str
    decision: Decision
    note: str | None
    created_at: str
    score_at_review: float | None


class ReviewRequest(TypedDict):
    reviewer: str
    decision: Decision
    note: NotRequired[str | None]


class ReviewState(TypedDict):
    """The human review gate as it stands for a session (the organization's `human_review_required`)."""

    required: bool
    status: ReviewStatus
    decision: str | None
    decided_at: str | None


class SelfIdentificationIn(TypedDict):
    """Voluntary self-identification collected by an ATS; both fields optional (`decline` or absent: unknown)."""

    sex: NotRequired[Sex | None]
    race_ethnicity: NotRequired[RaceEthnicity | None]


class SelfIdentificationOut(TypedDict):
    session_id: str
    recorded: bool
    recorded_at: str


class SessionConsent(TypedDict):
    """The candidate's consent to the AI interview: when, to which AI notice version, in which language."""

    at: str
    notice_version: int | None
    language: str | None


class SessionDecidedData(TypedDict):
    """`session.decided`: a person recorded a decision on a session (`POST /api/sessions/{id}/review`). Where the organization requires human review, this (not `session.scored`) is what should move a candidate on: the AI's score is advisory until a decision exists."""

    id: str
    response_id: int
    candidate_id: str
    interview_id: str
    decision: str
    reviewer: str
    review_id: str
    decided_at: str


class SessionDetail(TypedDict):
    """A session as InterviewRelay shows it, with its Xobin `response_id`."""

    id: str
    response_id: int
    campaign_id: str | None
    participant_email: str | None
    status: SessionStatus
    duration_minutes: int
    started_at: str
    completed_at: str | None
    candidate_id: str
    external_id: str | None
    interview_id: str
    ai_interview_id: int | None
    overall_score: float | None
    bucket: Bucket | None
    analysis_status: AnalysisStatus
    review: NotRequired[ReviewState | None]
    transcript_url: str
    audio_url: str | None
    consent: NotRequired[SessionConsent | None]


class SessionList(TypedDict):
    sessions: list[SessionListed]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class SessionListed(TypedDict):
    """A session in `GET /api/sessions`: the seed's fields, then its ids and its scoring (issue 15)."""

    id: str
    response_id: int
    campaign_id: str | None
    participant_email: str | None
    status: SessionStatus
    duration_minutes: int
    started_at: str
    completed_at: str | None
    candidate_id: str
    external_id: str | None
    interview_id: str
    ai_interview_id: int | None
    overall_score: float | None
    bucket: Bucket | None
    analysis_status: AnalysisStatus
    review: NotRequired[ReviewState | None]


class SessionResult(TypedDict):
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
    started_at: str
    completed_at: str | None
    duration_minutes: int
    overall_score: float | None
    bucket: Bucket | None
    assessment: AssessmentResult | None
    answers: list[AnswerResult]
    integrity: Integrity
    review: NotRequired[ReviewState | None]
    advisory: NotRequired[bool]


class SessionScoredData(TypedDict):
    """`session.scored`: a session's analysis was written."""

    id: str
    response_id: int
    candidate_id: str
    interview_id: str
    ai_interview_id: int | None
    overall_score: float
    bucket: str
    analysed_at: str
    advisory: NotRequired[bool]


class ShareView(TypedDict):
    """One opening of a shared report's page; the viewer's IP only as a salted hash."""

    viewed_at: str
    ip_hash: str
    user_agent: str


class Skill(TypedDict):
    name: str
    category: NotRequired[str]
    weight: float


class SkillIn(TypedDict):
    name: str
    category: NotRequired[str]
    weight: NotRequired[float | None]


class SpeechAnalytics(TypedDict):
    """Speech figures measured from an answer's transcription (word timings and confidences); None where nothing was measured: a text answer, an audio answer not (yet) transcribed, an engine that gives no per-word confidence. `sentiment` comes from the answer's words, spoken or typed."""

    speech_accuracy: NotRequired[float | None]
    fluency: NotRequired[float | None]
    recognition_confidence: NotRequired[float | None]
    sentiment: Sentiment
    words_per_minute: NotRequired[float | None]
    pauses: NotRequired[int | None]
    longest_pause_seconds: NotRequired[float | None]
    measured_by: NotRequired[str | None]


class StripeWebhookOut(TypedDict):
    """What POST /api/billing/stripe/webhook answers Stripe (shown in the Dashboard's delivery log)."""

    received: NotRequired[bool]
    event_id: str
    event_type: str
    outcome: StripeOutcome
    reason: NotRequired[str | None]
    organization_id: NotRequired[str | None]
    payment_intent_id: NotRequired[str | None]
    transaction_id: NotRequired[str | None]
    credits: NotRequired[int | float | None]


class TaskLogOut(TypedDict):
    created_at: str
    id: int
    message: str
    task_execution_id: str


class TaskStatusOut(TypedDict):
    created_at: str
    current_step: str
    id: str
    notification_url: str | None
    recent_logs: list[TaskLogOut]
    result: dict[str, Any] | None
    status: TaskStatus
    type: str
    updated_at: str


class TopupCreate(TypedDict):
    """A purchase of credits for an organization: recorded by the operator, or from a verified Stripe payment."""

    organization_id: str
    credits: float
    payment_reference: str
    amount_paid: NotRequired[float | None]
    currency: NotRequired[str | None]


class TopupOut(TypedDict):
    """A recorded purchase (the same one again for a repeated payment_reference) and the balance now."""

    transaction: TransactionOut
    balance: CreditBalanceOut


class TransactionOut(TypedDict):
    id: str
    amount: int | float
    pool: Pool
    type: TransactionType
    kind: ChargeKind | None
    description: str
    balance_after: int | float
    reference_id: str
    payment_reference: str | None
    created_at: str


class TranscriptOut(TypedDict):
    session_id: str
    started_at: str
    completed_at: str | None
    turns: list[TranscriptTurn]


class TranscriptTurn(TypedDict):
    timestamp: float
    speaker: str
    text: str
    sentiment: Sentiment


class WebhookDeliveryList(TypedDict):
    deliveries: list[WebhookDeliveryOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class WebhookDeliveryOut(TypedDict):
    id: str
    webhook_id: str
    endpoint_id: str | None
    event_type: str
    status: DeliveryStatus
    attempts: list[DeliveryAttempt]
    next_retry_at: str | None
    replays: int
    created_at: str
    updated_at: str


class WebhookEndpointCreate(TypedDict):
    url: str
    events: NotRequired[list[str] | None]
    description: NotRequired[str | None]


class WebhookEndpointOut(TypedDict):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: NotRequired[bool]
    created_at: str
    updated_at: NotRequired[str | None]


class WebhookEndpointUpdate(TypedDict):
    """A change to an endpoint: only the fields given change (`description: null` removes it)."""

    url: NotRequired[str | None]
    events: NotRequired[list[str] | None]
    description: NotRequired[str | None]
    enabled: NotRequired[bool | None]


class WebhookEvent(TypedDict):
    """What an endpoint receives: the event type, when it happened, and the resource it is about."""

    type: str
    timestamp: str
    data: dict[str, Any]


class WebhookList(TypedDict):
    webhooks: list[WebhookEndpointOut]
    total: int
    limit: int
    offset: int
    pagination: Pagination


class WebhookSecrets(TypedDict):
    secrets: list[str]


class XobinError(TypedDict):
    """An error on the Xobin-style routes."""

    error: str


__all__ = [
    "AccessTokenOut",
    "AccessTokenRequest",
    "AccommodationKind",
    "AccommodationRequestList",
    "AccommodationRequestOut",
    "AccommodationRequestUpdate",
    "AccommodationRequestedData",
    "AccommodationSource",
    "AccommodationStatus",
    "AnalysisFailedData",
    "AnalysisStatus",
    "AnswerResult",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyList",
    "ApiKeyOut",
    "AssessmentResult",
    "AuditAction",
    "AuditEntryList",
    "AuditEntryOut",
    "BalanceAlert",
    "Bucket",
    "CampaignCreate",
    "CampaignCreated",
    "CampaignDetail",
    "CampaignList",
    "CampaignListItem",
    "CampaignStats",
    "CampaignStatus",
    "CampaignUpdate",
    "CandidateCreate",
    "CandidateList",
    "CandidateOut",
    "CandidateUpdate",
    "ChargeKind",
    "CreditBalanceOut",
    "CreditSummary",
    "CreditTotals",
    "Criteria",
    "Decision",
    "DeliveryAttempt",
    "DeliveryStatus",
    "ErasureOut",
    "Evidence",
    "EvidenceStatus",
    "Expectations",
    "ExpectationsIn",
    "ExplanationOut",
    "ExplanationRequest",
    "ExportType",
    "GenerateInterviewRequest",
    "GenerationAccepted",
    "GenerationNotification",
    "HiringSettingsOut",
    "HiringSettingsUpdate",
    "HtmlExportOut",
    "Integrity",
    "InterviewConfiguration",
    "InterviewCreate",
    "InterviewDetailsOut",
    "InterviewList",
    "InterviewListItem",
    "InterviewOut",
    "InterviewStatus",
    "InterviewUpdate",
    "InviteDetail",
    "InviteFailure",
    "InviteList",
    "InviteListItem",
    "InviteOut",
    "InviteRequest",
    "InviteResend",
    "InviteStatus",
    "InvitesCreated",
    "JobInterviewTokenRequest",
    "JobMojitoError",
    "JsonExportOut",
    "LowBalanceOrganization",
    "LowBalanceWarning",
    "MailStatus",
    "OrganizationCreate",
    "OrganizationList",
    "OrganizationOut",
    "Pagination",
    "PdfExportOut",
    "PingData",
    "Plan",
    "Pool",
    "Proctoring",
    "ProctoringIn",
    "ProjectCreate",
    "ProjectList",
    "ProjectOut",
    "Provenance",
    "Question",
    "QuestionIn",
    "RaceEthnicity",
    "RecentTransaction",
    "RelayError",
    "ReportExportRequest",
    "ReportFeatures",
    "ReportFormat",
    "ReportOption",
    "ReportShareOut",
    "ReportSharesOut",
    "RetentionPolicy",
    "ReviewList",
    "ReviewOut",
    "ReviewRequest",
    "ReviewState",
    "ReviewStatus",
    "Role",
    "SelfIdentificationIn",
    "SelfIdentificationOut",
    "Seniority",
    "Sentiment",
    "SessionConsent",
    "SessionDecidedData",
    "SessionDetail",
    "SessionList",
    "SessionListed",
    "SessionResult",
    "SessionScoredData",
    "SessionSort",
    "SessionStatus",
    "Severity",
    "Sex",
    "ShareStatus",
    "ShareView",
    "Skill",
    "SkillIn",
    "SortOrder",
    "SpeechAnalytics",
    "StripeOutcome",
    "StripeWebhookOut",
    "TaskLogOut",
    "TaskStatus",
    "TaskStatusOut",
    "TopupCreate",
    "TopupOut",
    "TransactionOut",
    "TransactionType",
    "TranscriptOut",
    "TranscriptTurn",
    "WebhookDeliveryList",
    "WebhookDeliveryOut",
    "WebhookEndpointCreate",
    "WebhookEndpointOut",
    "WebhookEndpointUpdate",
    "WebhookEvent",
    "WebhookList",
    "WebhookSecrets",
    "XobinError",
]
