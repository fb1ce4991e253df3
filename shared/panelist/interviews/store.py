"""Interview plans, addressed by UUID on every surface and by per-organization number on Xobin's."""

from __future__ import annotations

from panelist.core.errors import NotFound
from panelist.core.storage import counter_op, org_pk, put_op, table
from panelist.models.interviews import Interview

PREFIX = "INTERVIEW#"
NUMBER_PREFIX = "INTERVIEWNO#"


def number_sk(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:012d}"


def save_new_interview(interview: Interview) -> Interview:
    """Store a new interview under the next `ai_interview_id` of its organization."""
    number = table().next_number(interview.organization_id, "interview")
    interview = interview.model_copy(update={"number": number})
    pk = org_pk(interview.organization_id)
    table().transact(
        put_op(
            {"PK": pk, "SK": PREFIX + interview.id, "type": "Interview", **interview.model_dump(mode="json")},
            unique=True,
        ),
        put_op({"PK": pk, "SK": number_sk(number), "interview_id": interview.id}, unique=True),
        counter_op(pk, "interviews"),
    )
    return interview


def get_interview(organization_id: str, interview_id: str) -> Interview:
    item = table().get(org_pk(organization_id), PREFIX + interview_id)
    if item is None:
        raise NotFound("interview not found", field="interview_id")
    return Interview.model_validate(item)


def get_interview_by_number(organization_id: str, number: int) -> Interview:
    alias = table().get(org_pk(organization_id), number_sk(number))
    if alias is None:
        raise NotFound("AI interview not found", field="ai_interview_id")
    return get_interview(organization_id, alias["interview_id"])
