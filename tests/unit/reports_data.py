"""Complete results for report tests, in memory: an interview, a candidate with files, an analysed session.

Made by the demo's builders (`panelist serve --demo` shows the same kind of data). Nothing is stored, so
the report's file links are faked (`fake_file_links`); tests/functions/reports_data.py stores the results.
"""

from __future__ import annotations

from datetime import UTC, datetime

from panelist.candidates.store import file_key
from panelist.models.candidates import CandidateFile, FileType
from panelist.models.interviews import Interview
from panelist.reports import links
from panelist.reports.result import ResultSource
from panelist_local import demo

ORGANIZATION = "org-reports"
ROLE = "Senior Python Engineer"
STARTED = datetime(2024, 10, 20, 10, 0, tzinfo=UTC)
LINKS_EXPIRE = datetime(2024, 11, 19, 10, 0, tzinfo=UTC)


def make_interview(organization_id: str = ORGANIZATION) -> Interview:
    return demo.build_interview(
        organization_id,
        "Senior Python Engineer - Backend",
        ROLE,
        "Backend services in Python and PostgreSQL.",
        demo.Seniority.senior,
        [("Python", 0.4), ("Django", 0.3), ("PostgreSQL", 0.2), ("REST APIs", 0.1)],
        demo.PYTHON_QUESTIONS,
        30,
    )


def make_source(
    organization_id: str = ORGANIZATION,
    *,
    name: str = "Ada Okafor",
    strength: str = "strong",
    language: str = "en",
    interview: Interview | None = None,
    answered: int | None = None,
    recordings: bool = False,
    cover_letter: bool = False,
) -> ResultSource:
    """A completed, analysed result; `answered` keeps only the first N answers (the rest were not reached).

    With `recordings` every answer, the session and a video introduction have a recording; with
    `cover_letter` the candidate has a one-page cover letter beside the resume.
    """
    interview = interview or make_interview(organization_id)
    slug = name.lower().replace(" ", ".")
    candidate = demo.build_candidate(organization_id, name, f"{slug}@example.com", "+44 20 7946 0958", "London, UK")
    if cover_letter:
        candidate.files.append(
            CandidateFile(
                type=FileType.cover_letter,
                key=file_key(organization_id, candidate.id, "cover-letter.pdf"),
                name="cover-letter.pdf",
                content_type="application/pdf",
                pages=1,
                uploaded_at=STARTED,
            )
        )
    audio = file_key(organization_id, candidate.id, "session-recording.wav") if recordings else None
    session = demo.build_completed_session(
        organization_id, interview, candidate, None, STARTED, strength, language=language, audio_key=audio
    )
    answers = session.answers[: answered if answered is not None else len(session.answers)]
    kept = {a.question_id for a in answers}
    turns = [t for t in session.turns if t.question_id is None or t.question_id in kept]
    update: dict = {"answers": answers, "turns": turns}
    if recordings:
        for answer in answers:
            answer.audio_key = file_key(organization_id, candidate.id, f"answer-{answer.question_id}.wav")
        update |= {"intro_video_key": file_key(organization_id, candidate.id, "intro.webm"), "recording_key": audio}
    return ResultSource(session.model_copy(update=update), interview, candidate)


def fake_file_links(monkeypatch, base_url: str | None = None) -> None:
    """Report links that say what they open (signing one needs the deployment's keys); `base_url` is checked."""

    def file_link(organization_id, session_id, kind, *, base_url: str, page=None, within=None):
        assert expected is None or base_url == expected
        return f"https://links.test/{session_id}/{kind}?page={page}", LINKS_EXPIRE

    expected = base_url
    monkeypatch.setattr(links, "file_link", file_link)
