"""Complete results for report tests, stored: tests/unit/reports_data.py's results, saved and uploaded under moto."""

from __future__ import annotations

from panelist.candidates.store import save_candidate
from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.interviews.store import save_new_interview
from panelist.models.candidates import FileType
from panelist.models.interviews import Interview
from panelist.models.sessions import Session
from panelist.sessions.lifecycle import save_new_session
from panelist_local import demo
from tests.unit import reports_data
from tests.unit.reports_data import ROLE, STARTED

__all__ = ["ROLE", "STARTED", "make_interview", "make_result"]


def make_interview(tenant_id: str) -> Interview:
    return save_new_interview(reports_data.make_interview(tenant_id))


def make_result(tenant_id: str, *, interview: Interview | None = None, **options) -> Session:
    """A completed, analysed session with its candidate, their files and recordings (see `make_source`)."""
    source = reports_data.make_source(tenant_id, interview=interview or make_interview(tenant_id), **options)
    session, candidate = source.session, source.candidate
    assert candidate is not None
    s3, bucket = aws.client("s3"), get_settings().bucket
    for file in candidate.files:
        lines = ["Python engineer, 8 years"] if file.type is FileType.resume else ["Dear team"]
        s3.put_object(
            Bucket=bucket, Key=file.key, Body=demo._resume_pdf(candidate.name, lines), ContentType=file.content_type
        )
    if session.audio_key:
        s3.put_object(Bucket=bucket, Key=session.audio_key, Body=demo._tone_wav(), ContentType="audio/wav")
    for answer in session.answers:
        if answer.audio_key:
            s3.put_object(Bucket=bucket, Key=answer.audio_key, Body=demo._tone_wav(0.2))
    if session.intro_video_key:
        s3.put_object(Bucket=bucket, Key=session.intro_video_key, Body=b"webm", ContentType="video/webm")
    save_candidate(candidate)
    return save_new_session(session)
