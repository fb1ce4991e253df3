"""Session details, transcripts and audio (seed 004), addressed by UUID, carrying the Xobin response_id."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import boto3

from panelist.candidates.store import file_key, save_candidate
from panelist.models.candidates import Candidate
from panelist.models.common import new_id
from panelist.models.sessions import Session, SessionStatus, Turn
from panelist.sessions.lifecycle import save_new_session

BUCKET = "panelist-local-bucket"


def make_session(
    tenant,
    *,
    audio: bool = True,
    erased: bool = False,
    campaign_id: str | None = None,
    interview_id: str | None = None,
    turns: list[Turn] | None = None,
    email: str = "user@example.com",
) -> Session:
    started = datetime(2024, 10, 20, 10, 0, tzinfo=UTC)
    candidate = Candidate(
        id=new_id(),
        organization_id=tenant.id,
        name="Ada Okafor",
        email=email,
        created_at=started,
        erased_at=started if erased else None,
    )
    save_candidate(candidate)
    audio_key = None
    if audio:
        audio_key = file_key(tenant.id, candidate.id, "session.webm")
        boto3.client("s3").put_object(Bucket=BUCKET, Key=audio_key, Body=b"webm", ContentType="audio/webm")
    turns = turns or [
        Turn(timestamp=0, speaker="ai", text="Hello! Thank you for joining today."),
        Turn(timestamp=3.5, speaker="participant", text="Hi, happy to be here.", sentiment="positive"),
    ]
    return save_new_session(
        Session(
            id=new_id(),
            number=0,
            organization_id=tenant.id,
            interview_id=interview_id or new_id(),
            candidate_id=candidate.id,
            campaign_id=campaign_id,
            participant_email=None if erased else email,
            status=SessionStatus.completed,
            turns=turns,
            audio_key=audio_key,
            started_at=started,
            completed_at=started + timedelta(minutes=12),
            updated_at=started + timedelta(minutes=12),
        )
    )


def _get(api, tenant, function, path, session_id):
    return api(function, path=path, path_params={"id": session_id}, headers=tenant.as_member())


def test_details_have_the_seeds_shape_and_the_response_id(api, tenant_a):
    session = make_session(tenant_a)
    reply = _get(api, tenant_a, "get_session", f"/api/sessions/{session.id}", session.id)
    assert reply.status == 200
    assert reply.body == {
        "id": session.id,
        "response_id": session.number,
        "campaign_id": None,
        "participant_email": "user@example.com",
        "status": "completed",
        "duration_minutes": 12,
        "started_at": "2024-10-20T10:00:00Z",
        "completed_at": "2024-10-20T10:12:00Z",
        "candidate_id": session.candidate_id,
        "external_id": None,
        "interview_id": session.interview_id,
        "ai_interview_id": None,
        "overall_score": None,
        "bucket": None,
        "analysis_status": "pending",
        "transcript_url": f"https://api.example.com/api/session/{session.id}/transcript",
        "audio_url": f"https://api.example.com/api/session/{session.id}/audio",
        "consent": None,  # made without a start form: no consent kept (test_notice: a started one has it)
        # no human review required by the organization, none recorded (test_reviews: pending, decided)
        "review": {"required": False, "status": "not_required", "decision": None, "decided_at": None},
    }


def test_the_transcript_has_the_seeds_shape(api, tenant_a):
    session = make_session(tenant_a)
    reply = _get(api, tenant_a, "get_transcript", f"/api/session/{session.id}/transcript", session.id)
    assert reply.status == 200
    assert reply.body == {
        "session_id": session.id,
        "started_at": "2024-10-20T10:00:00Z",
        "completed_at": "2024-10-20T10:12:00Z",
        "turns": [
            {"timestamp": 0, "speaker": "ai", "text": "Hello! Thank you for joining today.", "sentiment": "neutral"},
            {"timestamp": 3.5, "speaker": "participant", "text": "Hi, happy to be here.", "sentiment": "positive"},
        ],
    }


def test_audio_redirects_to_a_short_lived_presigned_url(api, tenant_a):
    session = make_session(tenant_a)
    reply = _get(api, tenant_a, "get_session_audio", f"/api/session/{session.id}/audio", session.id)
    assert reply.status == 302
    location = urlparse(reply.headers["Location"])
    assert location.path.endswith(session.audio_key)
    query = parse_qs(location.query)
    assert "X-Amz-Signature" in query or "Signature" in query
    assert query.get("X-Amz-Expires", ["900"]) == ["900"]


def test_no_audio_means_no_audio_url_and_a_404(api, tenant_a):
    session = make_session(tenant_a, audio=False)
    assert _get(api, tenant_a, "get_session", f"/api/sessions/{session.id}", session.id).body["audio_url"] is None
    reply = _get(api, tenant_a, "get_session_audio", f"/api/session/{session.id}/audio", session.id)
    assert reply.status == 404
    assert reply.body["error"]["message"] == "this session has no audio recording"


def test_an_erased_candidate_shows_no_email(api, tenant_a):
    session = make_session(tenant_a, erased=True)
    assert (
        _get(api, tenant_a, "get_session", f"/api/sessions/{session.id}", session.id).body["participant_email"] is None
    )


def test_unknown_sessions_are_404(api, tenant_a):
    for function, path in (
        ("get_session", "/api/sessions/nope"),
        ("get_transcript", "/api/session/nope/transcript"),
        ("get_session_audio", "/api/session/nope/audio"),
    ):
        reply = _get(api, tenant_a, function, path, "nope")
        assert reply.status == 404
        assert reply.body["error"]["code"] == "NOT_FOUND"
