"""The Candidates resource (`/api/candidates`): profiles made by hand, read, listed, found and changed.

Profiles are also made by invite starts (`sessions.flow.start_from_invite`); every profile is stored by
`candidates.store` with its indexes, so a list finds all of them without a Scan: the organization's profiles
in its partition (`CANDIDATE#<id>`, by creation), a profile by address through the address's digest partition
(the invitee index, `ORG#<org>#INVITEE#<sha256>` / `CANDIDATE#<id>`: the address itself is never a key), a
profile by external id through that id's item (`ORG#<org>#CANDIDATEEXTERNAL#<external id>`), which also makes
the external id unique in the organization, under concurrent requests too: it is written in the transaction of
the profile, only when free.

An erased profile (DELETE /api/candidates/{id}) reads as erased and cannot be changed.
"""

from __future__ import annotations

from panelist.candidates import store
from panelist.candidates.campaigns import email_problem
from panelist.core.errors import BadRequest, Conflict, NotFound
from panelist.core.storage import ConditionFailed
from panelist.models.candidates import Candidate, CandidateCreate, CandidateUpdate
from panelist.models.common import new_id, now

EMAIL_EXPECTED = "an email address"


def _checked_email(address: str) -> str:
    if problem := email_problem(address):
        raise BadRequest(f"email is {problem}", field="email", expected=EMAIL_EXPECTED)
    return address


def _taken(external_id: str) -> Conflict:
    return Conflict(
        "another candidate of the organization has this external_id",
        field="external_id",
        expected="an external_id no other candidate has",
    )


def create_candidate(organization_id: str, request: CandidateCreate) -> Candidate:
    """A new profile; a Conflict naming external_id when another profile has it."""
    created = now()
    candidate = Candidate(
        id=new_id(),
        organization_id=organization_id,
        name=request.name,
        email=_checked_email(request.email),
        phone=request.phone,
        linkedin_url=request.linkedin_url,
        external_id=request.external_id,
        metadata=request.metadata or {},
        created_at=created,
        updated_at=created,
    )
    try:
        store.save_new_candidate(candidate)
    except store.ExternalIdTaken:
        raise _taken(str(request.external_id)) from None
    return candidate


def get_candidate(organization_id: str, candidate_id: str) -> Candidate:
    try:
        return store.get_candidate(organization_id, candidate_id)
    except NotFound:
        raise NotFound("candidate not found", field="id") from None


def list_candidates(
    organization_id: str, *, email: str | None, external_id: str | None, offset: int, limit: int
) -> tuple[list[Candidate], int]:
    """A page of profiles, oldest first, and how many match: all of them, those with an address (exact, any
    case), with an external id (exact), or with both."""
    if external_id is not None:
        found = store.candidate_with_external_id(organization_id, external_id)
        matching = [found] if found and (email is None or found.email.lower() == email.strip().lower()) else []
        return matching[offset : offset + limit], len(matching)
    if email is not None:
        return store.candidates_with_email(organization_id, email.strip(), offset=offset, limit=limit)
    return store.list_candidates(organization_id, offset=offset, limit=limit)


def update_candidate(organization_id: str, candidate_id: str, request: CandidateUpdate) -> Candidate:
    """Change the fields sent (null clears an optional one). An erased profile is a Conflict, as is an
    external_id another profile has; a profile changed meanwhile (its address or external id) too."""
    candidate = get_candidate(organization_id, candidate_id)
    if candidate.erased_at is not None:
        raise Conflict(
            "the candidate's personal data was erased: the profile cannot be changed",
            field="id",
            expected="a candidate that is not erased",
        )
    sent = request.model_fields_set
    for required in ("name", "email"):
        if required in sent and getattr(request, required) is None:
            raise BadRequest(f"{required} cannot be null", field=required, expected="a string")
    changes = {field: getattr(request, field) for field in sent}
    if "email" in changes:
        _checked_email(changes["email"])
    if "metadata" in changes:
        changes["metadata"] = changes["metadata"] or {}
    updated = candidate.model_copy(update={**changes, "updated_at": now()})
    try:
        store.update_candidate(candidate, updated)
    except ConditionFailed as exc:
        moved = updated.external_id and updated.external_id != candidate.external_id
        if moved and exc.reasons[-1] == "ConditionalCheckFailed":
            raise _taken(str(updated.external_id)) from None
        raise Conflict(
            "the candidate changed (or was erased) meanwhile; read it and try again",
            field="id",
            expected="the candidate as last read",
        ) from None
    return updated
