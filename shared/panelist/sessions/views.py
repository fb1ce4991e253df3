"""What the InterviewRelay routes show of a session: its detail, its transcript, a link to its audio."""

from __future__ import annotations

from panelist.candidates.store import get_candidate
from panelist.core import aws
from panelist.core.errors import NotFound
from panelist.core.settings import get_settings
from panelist.models.sessions import SessionDetail, SessionSummary, TranscriptOut, TranscriptTurn
from panelist.sessions.store import get_session


def session_detail(organization_id: str, session_id: str, *, base_url: str) -> SessionDetail:
    session = get_session(organization_id, session_id)
    try:
        candidate = get_candidate(organization_id, session.candidate_id)
        email = None if candidate.erased_at else candidate.email
    except NotFound:
        email = None
    links = f"{base_url}/api/session/{session.id}"
    return SessionDetail(
        **SessionSummary.of(session).model_dump(exclude={"participant_email"}),
        participant_email=email,
        transcript_url=f"{links}/transcript",
        audio_url=f"{links}/audio" if session.audio_key else None,
    )


def transcript(organization_id: str, session_id: str) -> TranscriptOut:
    session = get_session(organization_id, session_id)
    return TranscriptOut(
        session_id=session.id,
        started_at=session.started_at,
        completed_at=session.completed_at,
        turns=[TranscriptTurn.model_validate(t.model_dump()) for t in session.turns],
    )


AUDIO_LINK_SECONDS = 900


def audio_link(organization_id: str, session_id: str) -> str:
    """A presigned GET of the session's audio, valid for 15 minutes; NotFound when it has none."""
    session = get_session(organization_id, session_id)
    if not session.audio_key:
        raise NotFound("this session has no audio recording", field="id")
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": get_settings().bucket, "Key": session.audio_key},
            ExpiresIn=AUDIO_LINK_SECONDS,
        )
    )
