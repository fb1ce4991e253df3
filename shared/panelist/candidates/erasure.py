"""Erasing a candidate's personal data on request (`DELETE /api/candidates/{id}`), and recording that it was.

Everything of the candidate is found without a Scan: the profile (`CANDIDATE#<id>`), its sessions through
the index `save_new_session` writes (`ORG#<org>#CANDIDATE#<id>` / `SESSION#<session id>`), its invites
through the sessions that used them and through the index `invite_ops` writes under a digest of the
address (`ORG#<org>#INVITEE#<sha256>` / `INVITE#<id>`).

Erased: every object in the bucket, with every version of it (files, session and answer recordings, intro videos,
uploads under the session's folder and its unattached uploads, Amazon Transcribe's transcripts of its answers
(`transcripts/`), large exports of its sessions, cached report parts,
and every stored report export that holds one of its sessions, found through the index `reports.store.record_export`
writes: a combined report goes whole, whichever of its candidates is erased); in the table the profile's name and
email become "erased" and its phone, LinkedIn, address, files and metadata go, its address's index entry goes and
its external id is released (an integrator's key for the person: after the erasure it names nobody, and may be given
to a new profile); a session keeps its facts (status, times, scores, buckets, speech figures, counters, list keys)
so lists, stats and billing stay as they were, but loses every text (turns, answers and their transcriptions' words,
analysis summaries and reasons, the assessment) and its recording keys; an invite's address becomes "erased"; every
kept webhook payload that names
the candidate, one of its sessions or invites loses its body, so a message still queued for it (or parked in the
dead-letter queue, which cannot be edited) is not sent (`webhooks.delivery.erase_about`). Reports then show "Erased
candidate".

The erasure is recorded in `ERASURE#<candidate id>`: when, by which key, and how much was erased, never
the data itself. The profile and the record are written last, together: an erasure cut short is simply
done again by the next request (every step can be repeated), and one that finished answers with its record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from panelist.api.auth import Principal
from panelist.candidates import store
from panelist.candidates.store import ERASED, file_key, get_candidate
from panelist.core import aws
from panelist.core.errors import NotFound
from panelist.core.settings import get_settings
from panelist.models.common import Entity, Output, Timestamp, now
from panelist.models.sessions import Session
from panelist.reports import store as reports_store
from panelist.reports.pipeline import CACHE_PREFIX, forget
from panelist.reports.store import StoredExport
from panelist.sessions import store as sessions_store
from panelist.sessions import transcription
from panelist.sessions.flow import upload_prefix
from panelist.sessions.store import candidate_session_ids, get_session
from panelist.webhooks import delivery


class Erasure(Entity):
    """The record of an erasure: who, when and how much; none of the erased data."""

    candidate_id: str
    organization_id: str
    erased_at: datetime
    sessions: int
    invites: int
    files_deleted: int
    reports_deleted: int
    exports_deleted: int = 0  # recorded since stored exports are erased too
    webhooks_erased: int = 0  # recorded since webhook payloads are kept in the table
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
    files = _erase_objects(*_places(organization_id, candidate_id, candidate.files, sessions))
    reports = sum(forget(organization_id, session.id) for session in sessions)  # after the texts went
    _erase_objects(f"{CACHE_PREFIX}{organization_id}/{session.id}/" for session in sessions)  # the parts' versions
    exports = _erase_exports(organization_id, sessions)
    erased_at = candidate.erased_at or now()
    about = [
        delivery.subject("candidate", candidate_id),
        *(delivery.subject("session", session.id) for session in sessions),
        *(delivery.subject("invite", invite_id) for invite_id in invite_ids),
    ]
    webhooks = delivery.erase_about(organization_id, about, at=erased_at)
    erasure = Erasure(
        candidate_id=candidate_id,
        organization_id=organization_id,
        erased_at=erased_at,
        sessions=len(sessions),
        invites=len(invite_ids),
        files_deleted=files + reports + exports,
        reports_deleted=reports,
        exports_deleted=exports,
        webhooks_erased=webhooks,
        requested_by={"kind": principal.kind, "key_id": principal.key_id, "role": principal.role},
    )
    store.record_erasure(
        organization_id,
        candidate_id,
        erasure.model_dump(mode="json"),
        email=candidate.email,
        external_id=candidate.external_id,
    )
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
                "transcription": transcription.erased(answer.transcription),  # its words: what was said
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
# The bucket keeps versions (30 days, see template.yaml): an object is erased only once every version of it,
# and every delete marker, is deleted. So objects are found and deleted by their versions, never by key alone.


def _places(
    organization_id: str, candidate_id: str, files: Iterable[Any], sessions: list[Session]
) -> tuple[list[str], set[str]]:
    """Where the candidate's objects are: its folder, its sessions' folders and exports, and the keys named in items.

    A key named in an item is erased only inside the organization's folder.
    """
    named = {file.key for file in files}
    prefixes = [file_key(organization_id, candidate_id, "")]
    for session in sessions:
        named |= {key for key in (session.audio_key, session.recording_key, session.intro_video_key) if key}
        named |= {answer.audio_key for answer in session.answers if answer.audio_key}
        prefixes.append(f"orgs/{organization_id}/sessions/{session.id}/")
        prefixes.append(f"exports/sessions/{organization_id}/{session.id}/")  # reports.exports.export_key
        prefixes.append(upload_prefix(organization_id, session.id))
        prefixes.append(transcription.transcripts_prefix(organization_id, session.id))
    own = f"orgs/{organization_id}/"
    outside = {key for key in named if key.startswith(own) and ".." not in key}
    return prefixes, {key for key in outside if not key.startswith(tuple(prefixes))}


def _export_folders(organization_id: str) -> tuple[str, ...]:
    """Where `/job-interview-pdf` stores the organization's PDFs (kept, and emptied by the lifecycle)."""
    return (f"reports/exports/{organization_id}/", f"exports/reports/{organization_id}/")


def _erase_exports(organization_id: str, sessions: list[Session]) -> int:
    """Delete every version of each stored export holding one of the sessions, then its index; how many files.

    An export combining sessions of several candidates goes whole: it holds this candidate's data too.
    """
    found = {e.export_id: e for session in sessions for e in reports_store.exports_of(organization_id, session.id)}
    exports: list[StoredExport] = list(found.values())
    keys = {e.key for e in exports if e.key.startswith(_export_folders(organization_id)) and ".." not in e.key}
    deleted = _erase_objects((), keys)
    reports_store.forget_exports(exports)
    return deleted


def _versions(prefix: str, *, exact: bool = False) -> tuple[list[dict[str, str]], set[str]]:
    """Every version and delete marker under `prefix` (of the key `prefix` itself with `exact`), and the keys
    whose current version is an object (not a delete marker)."""
    s3, bucket = aws.client("s3"), get_settings().bucket
    versions: list[dict[str, str]] = []
    current: set[str] = set()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for kind in ("Versions", "DeleteMarkers"):
            for item in page.get(kind, []):
                key = str(item["Key"])
                if exact and key != prefix:
                    continue
                versions.append({"Key": key, "VersionId": str(item["VersionId"])})
                if kind == "Versions" and item.get("IsLatest"):
                    current.add(key)
    return versions, current


def _erase_objects(prefixes: Iterable[str], named: Iterable[str] = ()) -> int:
    """Delete every version of every object under `prefixes` and of each `named` key; how many objects there were."""
    versions: list[dict[str, str]] = []
    current: set[str] = set()
    for prefix, exact in [*((p, False) for p in prefixes), *((k, True) for k in sorted(named))]:
        found, latest = _versions(prefix, exact=exact)
        versions += found
        current |= latest
    _delete_versions(versions)
    return len(current)


def _delete_versions(versions: list[dict[str, str]]) -> None:
    """Delete the versions (1,000 a request); one that could not be deleted fails the erasure, to be repeated."""
    s3, bucket = aws.client("s3"), get_settings().bucket
    for start in range(0, len(versions), 1000):
        batch = versions[start : start + 1000]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if errors := response.get("Errors"):
            raise RuntimeError(f"{len(errors)} objects of the candidate could not be deleted: {errors[0].get('Code')}")
