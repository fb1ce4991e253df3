"""The only writer of the interviews items: interview plans (`INTERVIEW#`, `INTERVIEWNO#`) and generation jobs.

An interview is addressed by UUID on every surface and by per-organization number on Xobin's. A generation
job is `TASK#<id>`, its log entries `TASK#<id>#LOG#<number>`, newest last.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from panelist.core import idempotency
from panelist.core.errors import NotFound
from panelist.core.storage import Item, counter_op, org_pk, put_op, table
from panelist.models.common import now
from panelist.models.interviews import Interview, TaskExecution, TaskLog, TaskLogOut

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

PREFIX = "INTERVIEW#"
NUMBER_PREFIX = "INTERVIEWNO#"
TASK_PREFIX = "TASK#"


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


# ------------------------------------------------------------------ generation jobs


def _task_sk(task_id: str) -> str:
    return TASK_PREFIX + task_id


def _log_prefix(task_id: str) -> str:
    return f"{TASK_PREFIX}{task_id}#LOG#"


def new_task_op(task: TaskExecution) -> Item:
    """The job's record, to be written in the transaction that charges for it."""
    return put_op(
        {
            "PK": org_pk(task.organization_id),
            "SK": _task_sk(task.id),
            "type": "TaskExecution",
            **task.model_dump(mode="json"),
        },
        unique=True,
    )


def get_task(organization_id: str, task_id: str) -> TaskExecution:
    item = table().get(org_pk(organization_id), _task_sk(task_id))
    if item is None:
        raise NotFound("Task execution not found", field="job_id")
    return TaskExecution.model_validate(item)


def update_task(task: TaskExecution, fields: tuple[str, ...]) -> None:
    stored = task.model_dump(mode="json")
    table().update(
        org_pk(task.organization_id),
        _task_sk(task.id),
        "SET " + ", ".join(f"#{k} = :{k}" for k in fields),
        names={f"#{k}": k for k in fields},
        **{k: stored[k] for k in fields},
    )


def add_task_log(organization_id: str, task_id: str, message: str) -> None:
    number = table().next_number(organization_id, "task_log")
    entry = TaskLog(id=number, task_execution_id=task_id, message=message, created_at=now())
    table().put(
        {
            "PK": org_pk(organization_id),
            "SK": f"{_log_prefix(task_id)}{number:012d}",
            "type": "TaskLog",
            **entry.model_dump(mode="json"),
        }
    )


def recent_task_logs(organization_id: str, task_id: str, limit: int) -> list[TaskLogOut]:
    """The job's latest `limit` log entries, oldest first."""
    page = table().query(org_pk(organization_id), prefix=_log_prefix(task_id), limit=limit, forward=False)
    return [TaskLogOut.model_validate(item) for item in reversed(page.items)]


@cache
def idempotency_records() -> DynamoDBPersistenceLayer:
    """Where Powertools keeps generation requests' idempotency records: one static partition, with a TTL.

    The hashed key includes the organization, so one organization's key never answers another's request.
    """
    return idempotency.records("IDEMPOTENCY#generate_interview")
