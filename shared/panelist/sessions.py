"""Interview sessions, addressed by UUID and by per-organization number (Xobin's `response_id`)."""

from __future__ import annotations

from panelist import aws
from panelist.candidates import get_candidate
from panelist.errors import NotFound
from panelist.models.sessions import Session, SessionDetail, TranscriptOut, TranscriptTurn
from panelist.settings import get_settings
from panelist.storage import Item, counter_op, org_pk, put_op, table, update_op

PREFIX = "SESSION#"
NUMBER_PREFIX = "RESPONSE#"


def number_sk(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:012d}"


def session_item(session: Session) -> Item:
    return {
        "PK": org_pk(session.organization_id),
        "SK": PREFIX + session.id,
        "type": "Session",
        **session.model_dump(mode="json"),
    }


def save_new_session(session: Session, *, counts_as: tuple[str, ...] = ()) -> Session:
    """Store a new session under the next `response_id`; `counts_as` names campaign counters it adds to."""
    number = table().next_number(session.organization_id, "session")
    session = session.model_copy(update={"number": number})
    pk = org_pk(session.organization_id)
    ops = [
        put_op(session_item(session), unique=True),
        put_op({"PK": pk, "SK": number_sk(number), "session_id": session.id}, unique=True),
        counter_op(pk, "sessions"),
    ]
    if session.campaign_id and counts_as:
        expression = "ADD " + ", ".join(f"{name} :one" for name in counts_as)
        ops.append(
            update_op(pk, f"CAMPAIGN#{session.campaign_id}", expression, condition="attribute_exists(PK)", one=1)
        )
    table().transact(*ops)
    return session


def get_session(organization_id: str, session_id: str) -> Session:
    item = table().get(org_pk(organization_id), PREFIX + session_id)
    if item is None:
        raise NotFound("session not found", field="id")
    return Session.model_validate(item)


def get_session_by_number(organization_id: str, number: int) -> Session:
    alias = table().get(org_pk(organization_id), number_sk(number))
    if alias is None:
        raise NotFound("response not found", field="response_id")
    return get_session(organization_id, alias["session_id"])


def session_detail(organization_id: str, session_id: str, *, base_url: str) -> SessionDetail:
    session = get_session(organization_id, session_id)
    try:
        candidate = get_candidate(organization_id, session.candidate_id)
        email = None if candidate.erased_at else candidate.email
    except NotFound:
        email = None
    links = f"{base_url}/api/session/{session.id}"
    return SessionDetail(
        id=session.id,
        response_id=session.number,
        campaign_id=session.campaign_id,
        participant_email=email,
        status=session.status,
        duration_minutes=session.duration_minutes,
        started_at=session.started_at,
        completed_at=session.completed_at,
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
