"""`panelist serve --demo`: a realistic organization, so every example of the API docs can be tried at once.

One organization with a member and an admin key, a project, two interviews with skills and questions,
a campaign with invites, candidates with resume files, and sessions: three completed (transcripts,
per-answer analysis, speech analytics, assessment), one in progress, one abandoned.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from panelist.accounts.api_keys import create_api_key
from panelist.accounts.organizations import create_organization
from panelist.accounts.projects import create_project
from panelist.candidates.store import file_key, invite_ops, save_new_campaign, save_new_candidate
from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.core.storage import table
from panelist.interviews.ai.model import RUBRIC_VERSION, overall_score
from panelist.interviews.store import save_new_interview
from panelist.models.campaigns import Campaign, Invite, ProjectCreate
from panelist.models.candidates import Candidate, CandidateFile, FileType
from panelist.models.common import new_id, now
from panelist.models.interviews import Expectations, Interview, Question, Seniority, Skill
from panelist.models.organizations import ApiKeyCreate, OrganizationCreate, Plan, Role
from panelist.models.sessions import (
    Answer,
    AnswerAnalysis,
    Assessment,
    Bucket,
    Integrity,
    Provenance,
    Sentiment,
    Session,
    SessionStatus,
    SpeechAnalytics,
    Turn,
)
from panelist.sessions.lifecycle import save_new_session

# The demo's scores are written by hand, not by an engine: their provenance says so.
DEMO_PROVENANCE = Provenance(
    engine="demo-data (hand-written sample scores)",
    rubric_version=RUBRIC_VERSION,
    produced_at=datetime(2026, 1, 1, tzinfo=UTC),
)

PYTHON_QUESTIONS = [
    (
        "Python",
        "Walk me through how you would profile and speed up a slow Python service endpoint.",
        ["Measures before optimising", "Knows profiling tools", "Considers I/O vs CPU bound work"],
        Expectations(
            strong="Profiles with cProfile/py-spy, separates I/O from CPU, fixes the hot path and measures again.",
            moderate="Mentions profiling and caching but without a measurement loop.",
            weak="Guesses at causes or rewrites code without measuring.",
        ),
    ),
    (
        "Django",
        "How do you avoid N+1 queries in a Django REST API, and how do you catch them in review?",
        ["select_related / prefetch_related", "Query counting in tests", "Understands ORM laziness"],
        Expectations(
            strong="Explains lazy querysets, uses select_related/prefetch_related and asserts query counts in tests.",
            moderate="Knows select_related but not how to detect regressions.",
            weak="Does not recognise the N+1 pattern.",
        ),
    ),
    (
        "PostgreSQL",
        "A table grew to 200 million rows and a report query times out. What do you do?",
        ["Reads the query plan", "Indexing strategy", "Partitioning or pre-aggregation"],
        Expectations(
            strong="Uses EXPLAIN ANALYZE, adds a fitting index, considers partitioning or a materialised view.",
            moderate="Suggests an index without checking the plan.",
            weak="Suggests a bigger server only.",
        ),
    ),
    (
        "REST APIs",
        "How do you design pagination and error responses for a public REST API?",
        ["Cursor vs offset trade-offs", "Consistent error format", "Backwards compatibility"],
        Expectations(
            strong="Compares cursor and offset paging, returns typed errors with fields, versions carefully.",
            moderate="Describes offset paging and status codes.",
            weak="No clear convention.",
        ),
    ),
    (
        "Kubernetes",
        "Describe how you would roll out a new version of a service on Kubernetes without downtime.",
        ["Readiness probes", "Rolling update settings", "Rollback plan"],
        Expectations(
            strong="Readiness/liveness probes, maxSurge/maxUnavailable, database migrations made compatible, rollback.",
            moderate="Rolling update without probes or migration concerns.",
            weak="Deletes and recreates pods.",
        ),
    ),
]

CSM_QUESTIONS = [
    (
        "Customer onboarding",
        "How do you run the first 30 days of a new enterprise customer?",
        ["Success plan", "Stakeholder mapping", "Early value milestones"],
        Expectations(
            strong="Kick-off with a success plan, maps stakeholders, agrees measurable first-value milestones.",
            moderate="Runs training sessions but no success criteria.",
            weak="Waits for the customer to ask.",
        ),
    ),
    (
        "Churn prevention",
        "A key account's usage dropped 40% this quarter. What do you do this week?",
        ["Data first", "Executive outreach", "Recovery plan"],
        Expectations(
            strong="Segments the usage data, reaches the sponsor, agrees a recovery plan with dates.",
            moderate="Schedules a call without preparing data.",
            weak="Offers a discount straight away.",
        ),
    ),
    (
        "Communication",
        "Tell me about a time you delivered bad news to a customer.",
        ["Honesty", "Ownership", "Next steps"],
        Expectations(
            strong="Clear, early, owns the issue, brings options and follows up.",
            moderate="Delivers the news but without a plan.",
            weak="Avoids or delays the message.",
        ),
    ),
]

PYTHON_ANSWERS = {
    "strong": [
        "I start by measuring: I reproduce the slow call, run py-spy against the live worker and cProfile in a "
        "test. Usually the hot path is I/O, for example sequential HTTP calls, so I batch or parallelise them; if it "
        "is CPU bound I look at the algorithm first. Then I measure again and add a benchmark so it stays fixed.",
        "Querysets are lazy, so touching a foreign key in a loop fires one query per row. I use select_related for "
        "foreign keys and prefetch_related for many-to-many, and in tests I wrap the endpoint in "
        "assertNumQueries so a regression fails the build.",
        "First EXPLAIN ANALYZE to see whether we scan the whole table. Often a composite index on the filter and "
        "sort columns fixes it. For reports over huge ranges I partition by month or pre-aggregate into a "
        "materialised view refreshed at night.",
        "For public APIs I prefer cursor pagination because offsets get slow and skip rows under writes, but I "
        "keep limit and offset where clients need totals. Errors always have the same shape with a code, a message "
        "and the offending field, and I never remove fields without a version bump.",
        "Readiness probes so traffic only reaches ready pods, a rolling update with maxUnavailable zero, migrations "
        "that are backwards compatible for one release, and a tested rollback with kubectl rollout undo.",
    ],
    "moderate": [
        "I would add some caching and check the logs to see which part is slow, maybe use a profiler.",
        "I know select_related helps with foreign keys. I would look at the queries in the debug toolbar.",
        "I would add an index on the columns in the WHERE clause, that normally fixes it.",
        "Offset pagination with a page size, and return 400 or 404 with a message.",
        "Kubernetes does rolling updates by default so I would just apply the new deployment.",
    ],
}


def _resume_pdf(name: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF resume (the demo needs real files behind its signed URLs)."""
    text = ["BT", "/F1 20 Tf", "72 740 Td", f"({name}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text += [f"({escaped}) Tj", "0 -16 Td"]
    stream = zlib.compress("\n".join([*text, "ET"]).encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _tone_wav(seconds: float = 1.5, hertz: int = 440, rate: int = 8000) -> bytes:
    """A short, quiet tone as a real WAV file (the demo's session recording)."""
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * hertz * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def build_interview(
    org_id: str,
    name: str,
    role: str,
    description: str,
    seniority: Seniority,
    skills: list[tuple[str, float]],
    questions: list[tuple[str, str, list[str], Expectations]],
    minutes: int,
) -> Interview:
    """An interview, not stored (its number is 0 until `save_new_interview`)."""
    created = now()
    return Interview(
        id=new_id(),
        number=0,
        organization_id=org_id,
        name=name,
        role=role,
        description=description,
        seniority=seniority,
        skills=[Skill(name=s, weight=w) for s, w in skills],
        questions=[
            Question(id=f"q{i}", skill=skill, prompt=prompt, evaluation_criteria=criteria, expectations=exp)
            for i, (skill, prompt, criteria, exp) in enumerate(questions, 1)
        ],
        duration_minutes=minutes,
        created_at=created,
        updated_at=created,
    )


def _interview(*args: Any) -> Interview:
    return save_new_interview(build_interview(*args))


def build_candidate(org_id: str, name: str, email: str, phone: str, city: str) -> Candidate:
    """A candidate with a one-page resume, neither stored nor uploaded."""
    candidate_id = new_id()
    slug = name.lower().replace(" ", "-")
    return Candidate(
        id=candidate_id,
        organization_id=org_id,
        name=name,
        email=email,
        phone=phone,
        linkedin_url=f"https://www.linkedin.com/in/{slug}",
        address=city,
        created_at=now(),
        files=[
            CandidateFile(
                type=FileType.resume,
                key=file_key(org_id, candidate_id, "resume.pdf"),
                name=f"{slug}-resume.pdf",
                content_type="application/pdf",
                pages=1,
                uploaded_at=now(),
            )
        ],
    )


def _candidate(org_id: str, name: str, email: str, phone: str, city: str, headline: list[str]) -> Candidate:
    candidate = build_candidate(org_id, name, email, phone, city)
    aws.client("s3").put_object(
        Bucket=get_settings().bucket,
        Key=candidate.files[0].key,
        Body=_resume_pdf(name, headline),
        ContentType="application/pdf",
    )
    save_new_candidate(candidate)
    return candidate


def build_completed_session(
    org_id: str,
    interview: Interview,
    candidate: Candidate,
    campaign_id: str | None,
    started: datetime,
    strength: str,
    language: str = "en",
    audio_key: str | None = None,
    invite_id: str | None = None,
) -> Session:
    """A completed, analysed session of `strength` ("strong" or "moderate"), not stored (its number is 0)."""
    answers_text = PYTHON_ANSWERS[strength]
    turns = [
        Turn(
            timestamp=0,
            speaker="ai",
            text=f"Hello {candidate.name.split()[0]}! Thank you for joining today. "
            f"This interview for the {interview.role} role has {len(interview.questions)} questions.",
        )
    ]
    answers: list[Answer] = []
    clock = 6.0
    score_base = 84 if strength == "strong" else 58
    for index, (question, text) in enumerate(zip(interview.questions, answers_text, strict=False)):
        turns.append(Turn(timestamp=clock, speaker="ai", text=question.prompt, question_id=question.id))
        start = clock + 20 + 5 * index  # reading and thinking before answering
        words = len(text.split())
        wpm = 128 + 7 * index if strength == "strong" else 104 + 5 * index
        end = start + words / wpm * 60
        sentiment = Sentiment.positive if strength == "strong" else Sentiment.neutral
        turns.append(
            Turn(
                timestamp=round(start, 1),
                speaker="participant",
                text=text,
                sentiment=sentiment,
                question_id=question.id,
            )
        )
        score = min(97, score_base + (index * 3) % 11)
        bucket = Bucket.strong if score >= 75 else Bucket.moderate if score >= 50 else Bucket.weak
        answers.append(
            Answer(
                question_id=question.id,
                text=text,
                started_at=round(start, 1),
                ended_at=round(end, 1),
                analysis=AnswerAnalysis(
                    score=score,
                    bucket=bucket,
                    summary=(
                        question.expectations.strong if bucket is Bucket.strong else question.expectations.moderate
                    ),
                    reasons=[
                        f"{criterion}: {'covered' if bucket is Bucket.strong else 'partly covered'}"
                        for criterion in question.evaluation_criteria
                    ],
                    provenance=DEMO_PROVENANCE,
                ),
                # Typed answers: no transcription, so no speech figure was measured (null, "not measured").
                speech=SpeechAnalytics(sentiment=sentiment),
            )
        )
        clock = end + 6
    turns.append(
        Turn(timestamp=round(clock, 1), speaker="ai", text="That's all my questions. Thank you for your time!")
    )
    overall = overall_score(interview.skills, interview.questions, answers) or 0.0
    assessment = Assessment(
        score=overall,
        resume_analysis=f"{candidate.name} lists {interview.skills[0].name} and "
        f"{interview.skills[1].name} experience matching the role's requirements.",
        overall=(
            "Clear, structured answers backed by measurement and production experience."
            if strength == "strong"
            else "Knows the basics but answers stay generic and unmeasured."
        ),
        why_hire=(
            ["Measures before optimising", "Designs APIs and rollouts for production"]
            if strength == "strong"
            else ["Familiar with the stack"]
        ),
        why_not_hire=(
            ["Less depth on Kubernetes internals"]
            if strength == "strong"
            else ["Little evidence of production debugging", "Shallow database knowledge"]
        ),
        provenance=DEMO_PROVENANCE,
    )
    completed = started + timedelta(seconds=clock + 5)
    return Session(
        id=new_id(),
        number=0,
        organization_id=org_id,
        interview_id=interview.id,
        candidate_id=candidate.id,
        campaign_id=campaign_id,
        invite_id=invite_id,
        participant_email=candidate.email,
        status=SessionStatus.completed,
        language=language,
        turns=turns,
        answers=answers,
        assessment=assessment,
        integrity=Integrity(tab_switches=0 if strength == "strong" else 2),
        audio_key=audio_key,
        started_at=started,
        completed_at=completed,
        updated_at=completed,
    )


def _completed_session(
    org_id: str,
    interview: Interview,
    candidate: Candidate,
    campaign_id: str | None,
    started: datetime,
    strength: str,
    language: str = "en",
    with_audio: bool = False,
    invite_id: str | None = None,
) -> Session:
    audio_key = None
    if with_audio:
        audio_key = file_key(org_id, candidate.id, "session-recording.wav")
        aws.client("s3").put_object(
            Bucket=get_settings().bucket, Key=audio_key, Body=_tone_wav(), ContentType="audio/wav"
        )
    session = build_completed_session(
        org_id, interview, candidate, campaign_id, started, strength, language, audio_key, invite_id
    )
    return save_new_session(session)


def load(_runtime: Any = None) -> dict[str, Any]:
    """Create the demo organization; returns its keys and the ids of everything in it."""
    org = create_organization(OrganizationCreate(name="Demo Recruiting Co", slug="demo", plan=Plan.professional))
    _, member_key = create_api_key(org.id, ApiKeyCreate(name="Demo member key", role=Role.member))
    _, admin_key = create_api_key(org.id, ApiKeyCreate(name="Demo admin key", role=Role.admin))
    project = create_project(
        org.id, ProjectCreate(name="Engineering hiring 2026", description="Backend, platform and customer roles")
    )
    python = _interview(
        org.id,
        "Senior Python Developer - technical screen",
        "Senior Python Developer",
        "Senior Python Developer with 5+ years of Django, Flask and FastAPI; databases, REST APIs, cloud, "
        "Docker, Kubernetes and CI/CD.",
        Seniority.senior,
        [("Python", 0.3), ("Django", 0.2), ("PostgreSQL", 0.2), ("REST APIs", 0.15), ("Kubernetes", 0.15)],
        PYTHON_QUESTIONS,
        30,
    )
    csm = _interview(
        org.id,
        "Customer Success Manager - first round",
        "Customer Success Manager",
        "Own onboarding and retention for mid-market and enterprise accounts.",
        Seniority.mid,
        [("Customer onboarding", 0.4), ("Churn prevention", 0.35), ("Communication", 0.25)],
        CSM_QUESTIONS,
        20,
    )
    created = now()
    campaign = Campaign(
        id=new_id(),
        organization_id=org.id,
        name="Backend hiring Q4 2026",
        script_id=python.id,
        project_id=project.id,
        created_at=created,
        updated_at=created,
    )
    save_new_campaign(campaign)
    people = [
        (
            "Ada Okafor",
            "ada.okafor@example.com",
            "+44 20 7946 0011",
            "London, United Kingdom",
            ["Senior Python engineer, 8 years", "Django, FastAPI, PostgreSQL at scale", "Kubernetes on AWS EKS"],
        ),
        (
            "Mateo Alvarez",
            "mateo.alvarez@example.com",
            "+34 91 123 4567",
            "Madrid, Spain",
            ["Backend developer, 5 years", "Flask and Django REST framework", "Docker, GitLab CI"],
        ),
        (
            "Priya Raman",
            "priya.raman@example.com",
            "+91 80 4567 8901",
            "Bengaluru, India",
            ["Python developer, 6 years", "Data APIs with FastAPI", "PostgreSQL performance tuning"],
        ),
        (
            "Jonas Weber",
            "jonas.weber@example.com",
            "+49 30 1234 5678",
            "Berlin, Germany",
            ["Software engineer, 4 years", "Django monolith to services", "CI/CD with GitHub Actions"],
        ),
    ]
    candidates = [_candidate(org.id, *person) for person in people]
    invites = []
    for candidate in [*candidates, None]:
        email = candidate.email if candidate else "sam.lee@example.com"
        invite = Invite(
            id=new_id(),
            organization_id=org.id,
            campaign_id=campaign.id,
            email=email,
            token="inv_" + hashlib.sha256(f"{org.id}{email}".encode()).hexdigest()[:24],
            candidate_id=candidate.id if candidate else None,
            expires_at=created + timedelta(hours=campaign.invite_valid_hours),
            created_at=created,
        )
        table().transact(*invite_ops(invite))
        invites.append(invite)
    day = timedelta(days=1)
    sessions = [
        _completed_session(
            org.id,
            python,
            candidates[0],
            campaign.id,
            created - 3 * day,
            "strong",
            with_audio=True,
            invite_id=invites[0].id,
        ),
        _completed_session(
            org.id, python, candidates[1], campaign.id, created - 2 * day, "moderate", invite_id=invites[1].id
        ),
        _completed_session(
            org.id, python, candidates[2], campaign.id, created - day, "strong", language="fr", invite_id=invites[2].id
        ),
    ]
    in_progress = save_new_session(
        Session(
            id=new_id(),
            number=0,
            organization_id=org.id,
            interview_id=python.id,
            candidate_id=candidates[3].id,
            campaign_id=campaign.id,
            invite_id=invites[3].id,
            participant_email=candidates[3].email,
            status=SessionStatus.in_progress,
            started_at=created - timedelta(minutes=4),
            updated_at=created,
            turns=[
                Turn(timestamp=0, speaker="ai", text="Hello Jonas! Thank you for joining today."),
                Turn(timestamp=5, speaker="ai", text=python.questions[0].prompt, question_id="q1"),
            ],
        )
    )
    abandoned = save_new_session(
        Session(
            id=new_id(),
            number=0,
            organization_id=org.id,
            interview_id=csm.id,
            candidate_id=candidates[1].id,
            participant_email=candidates[1].email,
            status=SessionStatus.abandoned,
            started_at=created - 5 * day,
            updated_at=created - 5 * day,
            turns=[Turn(timestamp=0, speaker="ai", text="Hello Mateo! Thank you for joining today.")],
        )
    )
    return {
        "member_key": member_key,
        "admin_key": admin_key,
        "organization_id": org.id,
        "ids": {
            "organization_id": org.id,
            "project_id": project.id,
            "interviews": [{"id": i.id, "ai_interview_id": i.number, "name": i.name} for i in (python, csm)],
            "campaign_id": campaign.id,
            "invite_tokens": [i.token for i in invites],
            "candidates": [{"id": c.id, "name": c.name} for c in candidates],
            "sessions": [
                {"id": s.id, "response_id": s.number, "status": s.status.value}
                for s in (*sessions, in_progress, abandoned)
            ],
        },
    }
