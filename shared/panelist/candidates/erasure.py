"""Erasing a candidate's personal data on request (`DELETE /api/candidates/{id}`), and recording that it was.

Everything of the candidate is found without a Scan: the profile (`CANDIDATE#<id>`), its sessions through
the index `save_new_session` writes (`ORG#<org>#CANDIDATE#<id>` / `SESSION#<session id>`), its invites
through the sessions that used them and through the index `invite_ops` writes under a digest of the
address (`ORG#<org>#INVITEE#<sha256>` / `INVITE#<id>`).

Erased: every object in the bucket (files, session and answer recordings, intro videos, uploads under the
session's folder, large exports of its sessions, cached report parts); in the table the profile's name
and email become "erased" and its phone, LinkedIn, address and files go; a session keeps its facts
(status, times, scores, buckets, speech figures, counters, list keys) so lists, stats and billing stay as
they were, but loses every text (turns, answers, analysis summaries and reasons, the assessment) and its
recording keys; an invite's address becomes "erased". Reports then show "Erased candidate".

The erasure is recorded in `ERASURE#<candidate id>`: when, by which key, and how much was erased, never
the data itself. The profile and the record are written last, together: an erasure cut short is simply
done again by the next request (every step can be repeated), and one that finished answers with its record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from panelist.api.auth import Principal
from panelist.candidates import store
from panelist.candidates.store import ERASED, file_key, get_candidate
from panelist.core import aws
from panelist.core.errors import NotFound
from panelist.core.settings import get_settings
from panelist.models.common import Entity, Output, Timestamp, now
from panelist.models.sessions import Session
from panelist.reports.pipeline import forget
from panelist.sessions import store as sessions_store
from panelist.sessions.store import candidate_session_ids, get_session


class Erasure(Entity):
    """The record of an erasure: who, when and how much; none of the erased data."""

    candidate_id: str
    organization_id: str
    erased_at: datetime
    sessions: int
    invites: int
    files_deleted: int
    reports_deleted: int
    requested_by: dict[str, str]


class ErasureOut(Output):
    candidate_id: str
    erased_at: Timestamp
    sessions: int
    files_deleted: int


def get_erasure(organization_id: str, candidate_id: str) -> Erasure | None:
    item = store.get_erasure_item(organization_id, candidate_id)
    return Erasure.model_validate(item) if item else None


def erase_candidate(organization_id: str, candidate_id: str, principal: Principal) -> Erasure:
    """Erase the candidate's personal data (see the module doc); again: the first erasure's record."""
    try:
        candidate = get_candidate(organization_id, candidate_id)
    except NotFound:
        raise NotFound("candidate not found", field="id") from None
    recorded = get_erasure(organization_id, candidate_id)
    if recorded is not None and candidate.erased_at is not None:
        return recorded
    sessions = _sessions(organization_id, candidate_id)
    invite_ids = _invite_ids(organization_id, candidate.email, sessions)
    erased = [sessions_store.set_fields_op(erased_session(session), _ERASED_FIELDS) for session in sessions]
    # 25 writes a transaction: session items carry their (erased) turns and answers, well under 4 MB together
    sessions_store.commit(erased + store.erased_invite_ops(organization_id, candidate.email, invite_ids), chunk=25)
    files = _delete_objects(_object_keys(organization_id, candidate_id, candidate.files, sessions))
    reports = sum(forget(organization_id, session.id) for session in sessions)  # after the texts went
    erasure = Erasure(
        candidate_id=candidate_id,
        organization_id=organization_id,
        erased_at=candidate.erased_at or now(),
        sessions=len(sessions),
        invites=len(invite_ids),
        files_deleted=files + reports,
        reports_deleted=reports,
        requested_by={"kind": principal.kind, "key_id": principal.key_id, "role": principal.role},
    )
    store.record_erasure(organization_id, candidate_id, erasure.model_dump(mode="json"))
    return erasure


def summary(erasure: Erasure) -> ErasureOut:
    return ErasureOut(
        candidate_id=erasure.candidate_id,
        erased_at=erasure.erased_at,
        sessions=erasure.sessions,
        files_deleted=erasure.files_deleted,
    )


# ------------------------------------------------------------------ what belongs to the candidate


def _sessions(organization_id: str, candidate_id: str) -> list[Session]:
    found: list[Session] = []
    for session_id in candidate_session_ids(organization_id, candidate_id):
        try:
            session = get_session(organization_id, session_id)
        except NotFound:
            continue
        if session.candidate_id == candidate_id:
            found.append(session)
    return found


def _invite_ids(organization_id: str, email: str, sessions: list[Session]) -> list[str]:
    """The invites that started the candidate's sessions and every invite sent to the candidate's address."""
    ids = {session.invite_id for session in sessions if session.invite_id}
    if email and email != ERASED:
        ids |= store.invite_ids_sent_to(organization_id, email)
    return sorted(ids)


# ------------------------------------------------------------------ the table


def erased_session(session: Session) -> Session:
    """The session without anything the candidate said or anything written about them; its facts kept."""
    answers = [
        answer.model_copy(
            update={
                "text": "",
                "audio_key": None,
                "analysis": (
                    answer.analysis.model_copy(update={"summary": "", "reasons": []}) if answer.analysis else None
                ),
            }
        )
        for answer in session.answers
    ]
    assessment = session.assessment
    if assessment is not None:
        assessment = assessment.model_copy(
            update={"resume_analysis": "", "overall": "", "why_hire": [], "why_not_hire": []}
        )
    return session.model_copy(
        update={
            "participant_email": None,
            "turns": [turn.model_copy(update={"text": ""}) for turn in session.turns],
            "answers": answers,
            "assessment": assessment,
            "audio_key": None,
            "recording_key": None,
            "intro_video_key": None,
        }
    )


_ERASED_FIELDS = (
    "participant_email",
    "turns",
    "answers",
    "assessment",
    "audio_key",
    "recording_key",
    "intro_video_key",
)


# ------------------------------------------------------------------ the bucket


def _object_keys(organization_id: str, candidate_id: str, files: Iterable[Any], sessions: list[Session]) -> set[str]:
    """Every object of the candidate: under its folder, its sessions' folders and exports, and each key named."""
    s3, bucket = aws.client("s3"), get_settings().bucket
    named = {file.key for file in files}
    prefixes = [file_key(organization_id, candidate_id, "")]
    for session in sessions:
        named |= {key for key in (session.audio_key, session.recording_key, session.intro_video_key) if key}
        named |= {answer.audio_key for answer in session.answers if answer.audio_key}
        prefixes.append(f"orgs/{organization_id}/sessions/{session.id}/")
        prefixes.append(f"exports/sessions/{organization_id}/{session.id}/")  # reports.exports.export_key
    keys: set[str] = set()
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys |= {str(item["Key"]) for item in page.get("Contents", [])}
    own = f"orgs/{organization_id}/"  # a key named in an item is deleted only inside the organization's folder
    for key in sorted(named - keys):
        if key.startswith(own) and ".." not in key and _exists(key):
            keys.add(key)
    return keys


def _exists(key: str) -> bool:
    try:
        aws.client("s3").head_object(Bucket=get_settings().bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _delete_objects(keys: set[str]) -> int:
    """Delete the objects (1,000 a request); a key that could not be deleted fails the erasure, to be repeated."""
    s3, bucket = aws.client("s3"), get_settings().bucket
    ordered = sorted(keys)
    for start in range(0, len(ordered), 1000):
        batch = [{"Key": key} for key in ordered[start : start + 1000]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if errors := response.get("Errors"):
            raise RuntimeError(f"{len(errors)} objects of the candidate could not be deleted: {errors[0].get('Code')}")
    return len(ordered)
