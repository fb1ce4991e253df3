"""The formatted transcript of a session: who, which interview, when, then every turn in order."""

from __future__ import annotations

from panelist.candidates.store import get_candidate
from panelist.core.errors import NotFound
from panelist.interviews.store import interview_for
from panelist.models.sessions import Session, SessionStatus
from panelist.reports.exports import Download, deliver
from panelist.reports.html import Report, Section, duration, elapsed, render_html, utc
from panelist.reports.pdf import render_pdf
from panelist.sessions.store import get_session

ERASED = "erased"
SPEAKERS = {"ai": "Interviewer", "participant": "Candidate"}
STATUSES = {
    SessionStatus.completed: "Completed",
    SessionStatus.in_progress: "In progress",
    SessionStatus.abandoned: "Abandoned",
}


def transcript_filename(session: Session) -> str:
    return f"transcript-{session.number}.pdf"


def transcript_report(session: Session) -> Report:
    """The header block (candidate, interview, ids, status, times) and the turns; an erased candidate stays erased."""
    organization_id = session.organization_id
    try:
        candidate = get_candidate(organization_id, session.candidate_id)
        erased = candidate.erased_at is not None
        name, email = (ERASED, ERASED) if erased else (candidate.name, candidate.email)
    except NotFound:
        erased, name, email = False, "Unknown candidate", ""
    heading = "Erased candidate" if erased else name
    try:
        interview = interview_for(session)
        role, interview_name = interview.role, interview.name
    except NotFound:
        role, interview_name = "", ""
    end = session.completed_at or session.updated_at
    length = duration(session.started_at, end)
    summary = {
        "heading": heading,
        "candidate": name,
        "erased": erased,
        "email": email,
        "role": role,
        "interview": interview_name,
        "session_id": session.id,
        "response_id": session.number,
        "status": STATUSES[session.status],
        "status_key": session.status.value,
        "started": utc(session.started_at),
        "completed": utc(session.completed_at),
        "duration": f"{length} so far" if session.status is SessionStatus.in_progress else length,
    }
    turns = [
        {
            "elapsed": elapsed(turn.timestamp),
            "speaker": SPEAKERS.get(turn.speaker, turn.speaker),
            "speaker_key": turn.speaker,
            "text": turn.text,
            "sentiment": turn.sentiment.value,
        }
        for turn in sorted(session.turns, key=lambda t: t.timestamp)
    ]
    return Report(
        title=f"Interview transcript - {heading}" + (f" - {role}" if role else ""),
        kind="Interview transcript",
        running_left=heading,
        running_right=role or "Interview",
        sections=[Section("session_summary", summary), Section("transcript", {"turns": turns})],
    )


def transcript_pdf(organization_id: str, session_id: str) -> tuple[str, bytes]:
    """`transcript-<response_id>.pdf` and its bytes, for one of the organization's sessions (NotFound for any other)."""
    session = get_session(organization_id, session_id)
    return transcript_filename(session), render_pdf(render_html(transcript_report(session)))


def transcript_download(organization_id: str, session_id: str) -> Download:
    """The transcript PDF as `GET /api/session/{id}/pdf` hands it over (inline, or a link when too large)."""
    filename, pdf = transcript_pdf(organization_id, session_id)
    return deliver(organization_id, session_id, filename, pdf, "application/pdf")
