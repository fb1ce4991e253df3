"""The only writer of the interviews items: interview plans (`INTERVIEW#`, `INTERVIEWNO#`, `INTERVIEWV#`) and
generation jobs.

An interview is addressed by UUID on every surface and by per-organization number on Xobin's. A generation
job is `TASK#<id>`, its log entries `TASK#<id>#LOG#<number>`, newest last.

Lists: every interview is under `INTERVIEW#` in its organization's partition (all, oldest first, counted by
the `interviews` counter); GSI1 lists it by status, GSI2 by project and GSI3 by both (when it has a project),
each with a list counter moved in the transaction that moves the interview.

Versions: an interview item holds its current `version`. When the content of a published (or already used)
interview changes, the content it had is kept, immutable, as `INTERVIEWV#<id>#<version>`, in the transaction
that writes the next version; a session records the version it started on, and `interview_for(session)` reads
that one back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING

from panelist.core import idempotency
from panelist.core.errors import NotFound
from panelist.core.storage import (
    ConditionFailed,
    Item,
    counter_op,
    list_counter,
    org_pk,
    put_op,
    table,
    update_op,
)
from panelist.models.common import now
from panelist.models.interviews import Interview, InterviewStatus, TaskExecution, TaskLog, TaskLogOut

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from panelist.models.sessions import Session

PREFIX = "INTERVIEW#"
NUMBER_PREFIX = "INTERVIEWNO#"
VERSION_PREFIX = "INTERVIEWV#"
TASK_PREFIX = "TASK#"
ALL_COUNTER = "interviews"  # the counter of the unfiltered list (every interview ever stored)


def number_sk(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:012d}"


def version_sk(interview_id: str, version: int) -> str:
    return f"{VERSION_PREFIX}{interview_id}#{version:06d}"


def interview_partition(
    organization_id: str, project_id: str | None, status: InterviewStatus | None
) -> tuple[str, str | None]:
    """The list partition (and index) of one filter combination; its counter has the same name."""
    base = org_pk(organization_id) + "#INTERVIEWS"
    if project_id and status:
        return f"{base}#PROJECT#{project_id}#{status.value}", "GSI3"
    if project_id:
        return f"{base}#PROJECT#{project_id}", "GSI2"
    if status:
        return f"{base}#{status.value}", "GSI1"
    return org_pk(organization_id), None


def _filtered_lists(interview: Interview) -> dict[str, str]:
    """index → partition of the filtered lists the interview is in (by status; by project and both if any)."""
    org, project, status = interview.organization_id, interview.project_id, interview.status
    lists = {"GSI1": interview_partition(org, None, status)[0]}
    if project:
        lists["GSI2"] = interview_partition(org, project, None)[0]
        lists["GSI3"] = interview_partition(org, project, status)[0]
    return lists


def _item(interview: Interview) -> Item:
    listed: Item = {}
    for index, partition in _filtered_lists(interview).items():
        listed[f"{index}PK"], listed[f"{index}SK"] = partition, interview.id
    return {
        "PK": org_pk(interview.organization_id),
        "SK": PREFIX + interview.id,
        "type": "Interview",
        **listed,
        **interview.model_dump(mode="json"),
    }


def _counted(interview: Interview, partitions: list[str], delta: int) -> list[Item]:
    pk = org_pk(interview.organization_id)
    return [counter_op(pk, list_counter(partition), delta) for partition in partitions]


def save_new_interview(interview: Interview) -> Interview:
    """Store a new interview under the next `ai_interview_id` of its organization."""
    number = table().next_number(interview.organization_id, "interview")
    interview = interview.model_copy(update={"number": number})
    pk = org_pk(interview.organization_id)
    table().transact(
        put_op(_item(interview), unique=True),
        put_op({"PK": pk, "SK": number_sk(number), "interview_id": interview.id}, unique=True),
        counter_op(pk, ALL_COUNTER),
        *_counted(interview, list(_filtered_lists(interview).values()), 1),
    )
    return interview


def get_interview(organization_id: str, interview_id: str) -> Interview:
    item = table().get(org_pk(organization_id), PREFIX + interview_id)
    if item is None:
        raise NotFound("interview not found", field="interview_id")
    return Interview.model_validate(item)


def get_interviews(organization_id: str, interview_ids: Sequence[str]) -> dict[str, Interview]:
    """The interviews of these ids by id, read together (BatchGetItem); ids with no interview are left out."""
    items = table().get_many([(org_pk(organization_id), PREFIX + i) for i in dict.fromkeys(interview_ids)])
    return {str(i["id"]): Interview.model_validate(i) for i in items if i is not None}


def list_interviews(
    organization_id: str, *, project_id: str | None, status: InterviewStatus | None, offset: int, limit: int
) -> tuple[list[Interview], int]:
    """A page of interviews, oldest first, and how many match: one Query, a counter for the total."""
    partition, index = interview_partition(organization_id, project_id, status)
    items = table().query_offset(partition, index=index, prefix=None if index else PREFIX, offset=offset, limit=limit)
    pk = org_pk(organization_id)
    total = table().counter(pk, list_counter(partition) if index else ALL_COUNTER)
    return [Interview.model_validate(i) for i in items], total


def replace_interview(current: Interview, updated: Interview) -> None:
    """Store `updated` in place of `current` (as read: ConditionFailed if it changed since).

    When `updated` is a new version, `current` is kept as the immutable snapshot of its version, in the
    same transaction. A change of status moves the interview between its lists' counters.
    """
    pk = org_pk(current.organization_id)
    ops = [
        put_op(
            _item(updated),
            condition="updated_at = :read",
            **{":read": current.model_dump(mode="json")["updated_at"]},
        )
    ]
    if updated.version != current.version:
        snapshot = {
            "PK": pk,
            "SK": version_sk(current.id, current.version),
            "type": "InterviewVersion",
            **current.model_dump(mode="json"),
        }
        ops.append(put_op(snapshot, unique=True))
    before, after = set(_filtered_lists(current).values()), set(_filtered_lists(updated).values())
    ops += _counted(current, sorted(before - after), -1) + _counted(updated, sorted(after - before), 1)
    table().transact(*ops)


def get_interview_version(organization_id: str, interview_id: str, version: int) -> Interview:
    """The interview as it was at `version`: its snapshot, or the interview itself while that is its version."""
    pk = org_pk(organization_id)
    snapshot, current = table().get_many([(pk, version_sk(interview_id, version)), (pk, PREFIX + interview_id)])
    if snapshot is not None:
        return Interview.model_validate(snapshot)
    if current is None:
        raise NotFound("interview not found", field="interview_id")
    interview = Interview.model_validate(current)
    if interview.version == version:
        return interview
    # The next version was written between the two reads: its transaction wrote the snapshot too.
    snapshot = table().get(pk, version_sk(interview_id, version))
    if snapshot is None:
        raise NotFound(f"version {version} of the interview not found", field="interview_version")
    return Interview.model_validate(snapshot)


def interview_for(session: Session) -> Interview:
    """The interview a session runs on, as it was when the session started (its `interview_version`).

    Every reader of a session's questions (the flow, scoring, reports) goes through here, so an edit that
    makes a new version never changes what an existing session is asked or scored against.
    """
    return get_interview_version(session.organization_id, session.interview_id, session.interview_version)


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


# ------------------------------------------------------------------ backfill (panelist_local.backfill)


def unlisted_interviews(organization_id: str) -> Iterator[Interview]:
    """Every interview of the organization stored before the filtered lists (no GSI1 key), page by page."""
    partition, cursor = org_pk(organization_id), None
    while True:
        page = table().query(partition, prefix=PREFIX, limit=100, cursor=cursor)
        yield from (Interview.model_validate(item) for item in page.items if "GSI1PK" not in item)
        if not (cursor := page.cursor):
            return


def backfill_interview(interview: Interview, *, dry_run: bool = False) -> bool:
    """List an interview stored before the filtered lists: its list keys and their counters, in one transaction.

    Only while the item still has no list key and is as read (status and `updated_at`): a second run, a
    concurrent run or an edit since (which wrote the keys) makes it write nothing, so no counter counts it
    twice. True when it was listed (with `dry_run`: would be; nothing is written).
    """
    if dry_run:
        return True
    listed = _item(interview)
    keys = {name: listed[name] for name in listed if name.startswith("GSI")}
    try:
        table().transact(
            update_op(
                org_pk(interview.organization_id),
                PREFIX + interview.id,
                "SET " + ", ".join(f"{name} = :{name}" for name in keys),
                condition="attribute_exists(PK) AND attribute_not_exists(GSI1PK) AND #status = :was "
                "AND updated_at = :read",
                names={"#status": "status"},
                was=interview.status.value,
                read=interview.model_dump(mode="json")["updated_at"],
                **keys,
            ),
            *_counted(interview, list(_filtered_lists(interview).values()), 1),
        )
    except ConditionFailed:
        return False
    return True
