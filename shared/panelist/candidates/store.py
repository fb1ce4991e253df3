"""Candidate profiles; their files live in the bucket under the organization's prefix."""

from __future__ import annotations

from panelist.core.errors import NotFound
from panelist.core.storage import org_pk, put_op, table
from panelist.models.candidates import Candidate

PREFIX = "CANDIDATE#"


def file_key(organization_id: str, candidate_id: str, name: str) -> str:
    return f"orgs/{organization_id}/candidates/{candidate_id}/{name}"


def save_candidate(candidate: Candidate) -> None:
    table().transact(
        put_op(
            {
                "PK": org_pk(candidate.organization_id),
                "SK": PREFIX + candidate.id,
                "type": "Candidate",
                **candidate.model_dump(mode="json"),
            }
        )
    )


def get_candidate(organization_id: str, candidate_id: str) -> Candidate:
    item = table().get(org_pk(organization_id), PREFIX + candidate_id)
    if item is None:
        raise NotFound("candidate not found", field="candidate_id")
    return Candidate.model_validate(item)
