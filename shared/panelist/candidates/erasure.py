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

The candidate's accommodation requests are blanked (`compliance.accommodations.erase_for_candidate`) and the
self-identification of its sessions deleted (`compliance.self_id_store.erase_for_sessions`).

The erasure is recorded in `ERASURE#<candidate id>`: when, by which key, and how much was erased, never
the data itself. The profile and the record are written last, together, with the audit entry
`candidate.erased` (the candidate's earlier audit entries are kept: they hold ids and counts, never data): an
erasure cut short is simply done again by the next request (every step can be repeated), and one that finished
answers with its record.

A session's data is erased in three parts (`Part`): recordings, transcripts and results. An erasure erases all
three of every session; the retention policy (`compliance.retention`) erases one part of one session once its
days have passed (`erase_session_parts`), through the same steps (`erased_session`, `erase_files`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from panelist.api.auth import Principal
from panelist.candidates import store
from panelist.candidates.store import ERASED, file_key, get_candidate
from panelist.compliance import audit
from panelist.core import aws
from panelist.core.errors import NotFound
from panelist.core.settings import get_settings
from panelist.models.common import Entity, Output, Timestamp, now
from panelist.models.compliance import AuditAction
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
    own = _candidate_places(organization_id, candidate_id, candidate.files)
    gone = erase_files(organization_id, sessions, PARTS, also=own)  # after the texts went
    _erase_records_of_others(organization_id, candidate_id, candidate.email, sessions)
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
        files_deleted=gone.total,
        reports_deleted=gone.reports,
        exports_deleted=gone.exports,
        webhooks_erased=webhooks,
        requested_by={"kind": principal.kind, "key_id": principal.key_id, "role": principal.role},
    )
    # The audit entry is written with the record; the candidate's earlier entries are kept (ids and counts only).
    logged = audit.entry(
        organization_id,
        candidate_id,
        AuditAction.candidate_erased,
        audit.actor_of(principal),
        sessions=erasure.sessions,
        invites=erasure.invites,
        files_deleted=erasure.files_deleted,
    )
    store.record_erasure(
        organization_id,
        candidate_id,
        erasure.model_dump(mode="json"),
        email=candidate.email,
        external_id=candidate.external_id,
        with_ops=[audit.entry_op(logged)],
    )
    return erasure


def _erase_records_of_others(organization_id: str, candidate_id: str, email: str, sessions: list[Session]) -> None:
    """The candidate's accommodation requests (blanked) and the self-identification of its sessions (deleted)."""
    from panelist.compliance import accommodations, self_id_store  # only the erasure needs them

    accommodations.erase_for_candidate(organization_id, candidate_id, email if email != ERASED else None)
    self_id_store.erase_for_sessions(organization_id, [session.id for session in sessions])


def erase_session_parts(
    session: Session, parts: Iterable[Part], *, actor: str, **detail: Any
) -> tuple[Session, Erased]:
    """Erase `parts` of one session (the retention policy), through the steps of a candidate's erasure: the
    session's fields first (the results with their scores, so it leaves the score lists; on its `updated_at`
    as read: ConditionFailed when it changed meanwhile), then its objects, then, together, the mark of what was
    erased (`retention_erased`) and the audit entry (`retention.erased`, with `detail`). Cut short, it is
    simply done again. The session as it now is and how many objects went."""
    parts = sorted(set(parts), key=PARTS.index)
    erased = erased_session(session, parts, keep_scores=False)
    stored_at = session.model_dump(mode="json", include={"updated_at"})["updated_at"]
    write = sessions_store.set_fields_op(
        erased,
        erased_fields(parts),
        condition="attribute_exists(PK) AND #stored_updated_at = :stored_updated_at",
        names={"#stored_updated_at": "updated_at"},
        stored_updated_at=stored_at,
    )
    sessions_store.commit([write, *sessions_store.score_ops(session, erased)])
    gone = erase_files(session.organization_id, [session], parts)
    marked = erased.model_copy(
        update={"retention_erased": [p.value for p in PARTS if p in parts or p.value in session.retention_erased]}
    )
    logged = audit.entry(
        session.organization_id,
        session.candidate_id,
        AuditAction.retention_erased,
        actor,
        session_id=session.id,
        erased=[part.value for part in parts],
        files_deleted=gone.total,
        **detail,
    )
    sessions_store.commit([sessions_store.set_fields_op(marked, ("retention_erased",)), audit.entry_op(logged)])
    return marked, gone


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


class Part(StrEnum):
    """What of a session the retention policy erases, each on its own schedule (an erasure erases all three)."""

    recordings = "recordings"  # answer and session recordings, the intro video, uploads
    transcripts = "transcripts"  # the questions asked, the answers, their transcriptions' words
    results = "results"  # the analyses, the assessment, cached report parts, stored report exports


PARTS = (Part.recordings, Part.transcripts, Part.results)

_PART_FIELDS: dict[Part, tuple[str, ...]] = {
    Part.recordings: ("answers", "audio_key", "recording_key", "intro_video_key"),
    Part.transcripts: ("turns", "answers"),
    Part.results: ("answers", "assessment"),
}


def erased_fields(parts: Iterable[Part]) -> tuple[str, ...]:
    """The session fields that erasing `parts` writes."""
    return tuple(dict.fromkeys(field for part in parts for field in _PART_FIELDS[part]))


def erased_session(session: Session, parts: Iterable[Part] = PARTS, *, keep_scores: bool = True) -> Session:
    """The session without `parts`: by default (an erasure) without anything the candidate said or anything
    written about them, its facts kept (scores included, the address gone). `keep_scores=False` (retention)
    drops the results whole: analyses and assessment, their scores with them."""
    parts = set(parts)
    answers = []
    for answer in session.answers:
        update: dict[str, Any] = {}
        if Part.recordings in parts:
            update["audio_key"] = None
        if Part.transcripts in parts:
            update |= {"text": "", "transcription": transcription.erased(answer.transcription)}  # what was said
        if Part.results in parts:
            analysis = answer.analysis
            if analysis is not None:
                analysis = analysis.model_copy(update={"summary": "", "reasons": []}) if keep_scores else None
            update["analysis"] = analysis
        answers.append(answer.model_copy(update=update))
    update = {"answers": answers}
    if Part.recordings in parts:
        update |= {"audio_key": None, "recording_key": None, "intro_video_key": None}
    if Part.transcripts in parts:
        update["turns"] = [turn.model_copy(update={"text": ""}) for turn in session.turns]
    if Part.results in parts:
        assessment = session.assessment
        if assessment is not None and keep_scores:
            assessment = assessment.model_copy(
                update={"resume_analysis": "", "overall": "", "why_hire": [], "why_not_hire": []}
            )
        update["assessment"] = assessment if keep_scores else None
    if parts == set(PARTS) and keep_scores:
        update["participant_email"] = None  # the whole candidate goes
    return session.model_copy(update=update)


_ERASED_FIELDS = ("participant_email", *erased_fields(PARTS))


# ------------------------------------------------------------------ the bucket
# The bucket keeps versions (30 days, see template.yaml): an object is erased only once every version of it,
# and every delete marker, is deleted. So objects are found and deleted by their versions, never by key alone.


def _candidate_places(organization_id: str, candidate_id: str, files: Iterable[Any]) -> Places:
    """The candidate's own folder and the files named on its profile."""
    return Places([file_key(organization_id, candidate_id, "")], {file.key for file in files})


def session_places(organization_id: str, session: Session, parts: Iterable[Part]) -> Places:
    """Where a session's objects of `parts` are: the folders they are written under and the keys named in it."""
    parts = set(parts)
    places = Places([], set())
    if Part.recordings in parts:
        places.named |= {key for key in (session.audio_key, session.recording_key, session.intro_video_key) if key}
        places.named |= {answer.audio_key for answer in session.answers if answer.audio_key}
        places.prefixes.append(f"orgs/{organization_id}/sessions/{session.id}/")
        places.prefixes.append(upload_prefix(organization_id, session.id))
    if Part.transcripts in parts:
        places.prefixes.append(transcription.transcripts_prefix(organization_id, session.id))
    if Part.results in parts:
        places.prefixes.append(f"exports/sessions/{organization_id}/{session.id}/")  # reports.exports.export_key
    return places


@dataclass
class Places:
    prefixes: list[str]
    named: set[str]


@dataclass(frozen=True)
class Erased:
    """How many objects an erasure deleted: files (recordings, uploads, transcripts), cached report parts, exports."""

    files: int = 0
    reports: int = 0
    exports: int = 0

    @property
    def total(self) -> int:
        return self.files + self.reports + self.exports


def erase_files(
    organization_id: str, sessions: list[Session], parts: Iterable[Part], *, also: Places | None = None
) -> Erased:
    """Delete every version of the sessions' objects of `parts` (and of `also`); the one path of an erasure and of
    the retention policy. Results go with their cached report parts and every stored export holding the session.

    A key named in an item is erased only inside the organization's folder.
    """
    parts = set(parts)
    places = also or Places([], set())
    for session in sessions:
        found = session_places(organization_id, session, parts)
        places = Places([*places.prefixes, *found.prefixes], places.named | found.named)
    own = f"orgs/{organization_id}/"
    named = {key for key in places.named if key.startswith(own) and ".." not in key}
    files = _erase_objects(places.prefixes, {key for key in named if not key.startswith(tuple(places.prefixes))})
    if Part.results not in parts:
        return Erased(files=files)
    reports = sum(forget(organization_id, session.id) for session in sessions)
    _erase_objects(f"{CACHE_PREFIX}{organization_id}/{session.id}/" for session in sessions)  # the parts' versions
    return Erased(files=files, reports=reports, exports=_erase_exports(organization_id, sessions))


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
