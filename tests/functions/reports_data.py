"""Complete results for report tests: an interview with questions, a candidate with files, an analysed session.

Built from the demo's builders (`panelist serve --demo` shows the same kind of data), under moto.
"""

from __future__ import annotations

from datetime import UTC, datetime

from panelist.candidates.store import file_key, save_candidate
from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.models.candidates import CandidateFile, FileType
from panelist.models.sessions import Session
from panelist_local import demo

ROLE = "Senior Python Engineer"
STARTED = datetime(2024, 10, 20, 10, 0, tzinfo=UTC)


def make_interview(tenant_id: str):
    return demo._interview(
        tenant_id,
        "Senior Python Engineer - Backend",
        ROLE,
        "Backend services in Python and PostgreSQL.",
        demo.Seniority.senior,
        [("Python", 0.4), ("Django", 0.3), ("PostgreSQL", 0.2), ("REST APIs", 0.1)],
        demo.PYTHON_QUESTIONS,
        30,
    )


def make_result(
    tenant_id: str,
    *,
    name: str = "Ada Okafor",
    strength: str = "strong",
    language: str = "en",
    interview=None,
    answered: int | None = None,
    recordings: bool = False,
    cover_letter: bool = False,
) -> Session:
    """A completed, analysed session; `answered` keeps only the first N answers (the rest were not reached)."""
    interview = interview or make_interview(tenant_id)
    slug = name.lower().replace(" ", ".")
    candidate = demo._candidate(
        tenant_id, name, f"{slug}@example.com", "+44 20 7946 0958", "London, UK", ["Python engineer, 8 years"]
    )
    if cover_letter:
        key = file_key(tenant_id, candidate.id, "cover-letter.pdf")
        aws.client("s3").put_object(
            Bucket=get_settings().bucket,
            Key=key,
            Body=demo._resume_pdf(name, ["Dear team"]),
            ContentType="application/pdf",
        )
        candidate.files.append(
            CandidateFile(
                type=FileType.cover_letter,
                key=key,
                name="cover-letter.pdf",
                content_type="application/pdf",
                pages=1,
                uploaded_at=STARTED,
            )
        )
        save_candidate(candidate)
    session = demo._completed_session(
        tenant_id, interview, candidate, None, STARTED, strength, language=language, with_audio=recordings
    )
    if answered is not None or recordings:
        from panelist.core.storage import table
        from panelist.sessions.store import session_item

        answers = session.answers[: answered if answered is not None else len(session.answers)]
        kept = {a.question_id for a in answers}
        turns = [t for t in session.turns if t.question_id is None or t.question_id in kept]
        if recordings:
            s3 = aws.client("s3")
            for answer in answers:
                answer.audio_key = file_key(tenant_id, candidate.id, f"answer-{answer.question_id}.wav")
                s3.put_object(Bucket=get_settings().bucket, Key=answer.audio_key, Body=demo._tone_wav(0.2))
            intro = file_key(tenant_id, candidate.id, "intro.webm")
            s3.put_object(Bucket=get_settings().bucket, Key=intro, Body=b"webm", ContentType="video/webm")
            session = session.model_copy(update={"intro_video_key": intro, "recording_key": session.audio_key})
        session = session.model_copy(update={"answers": answers, "turns": turns})
        table().put(session_item(session))
    return session
