"""Interview generation (seed 002): an asynchronous job run by the generate_interview state machine.

`submit` records the job and starts the workflow; each task function of the workflow calls one step
here. Every step updates the job's `current_step`, appends "AI Progress: ..." log entries, and every
status change (pending → processing → completed | failed) is sent to the job's notification_url; the
`completed` one also names the interview (`ai_interview_id`, and `interview_id`, its UUID).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from panelist.billing import credits
from panelist.core import aws, idempotency, net, times
from panelist.core.errors import BadRequest, NotFound, ServiceUnavailable
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.interviews import ai, store
from panelist.interviews.store import get_interview, get_task, save_new_interview
from panelist.models.billing import ChargeKind
from panelist.models.common import now
from panelist.models.interviews import (
    GenerateInterviewRequest,
    Interview,
    Proctoring,
    Question,
    Seniority,
    Skill,
    TaskExecution,
    TaskStatus,
    TaskStatusOut,
)
from panelist.webhooks import delivery

RECENT_LOGS = 10
QUESTION_SECONDS = {Seniority.junior: 150, Seniority.mid: 180, Seniority.senior: 210, Seniority.lead: 240}
WELCOME_MINUTES = 3
QUEUED = "AI interview plan generation job has been queued successfully"


# ------------------------------------------------------------------ the job record


_CHANGING = ("status", "current_step", "updated_at", "result", "error")


def _update(task: TaskExecution, *, message: str, notify: bool = False, **changes: Any) -> TaskExecution:
    """Move the job on: new step (and status), a log entry, and a webhook when the status changed.

    The log entry is written first, so a client that sees the new status also sees the entry.
    """
    task = task.model_copy(update={"current_step": message, "updated_at": now(), **changes})
    store.add_task_log(task.organization_id, task.id, message)
    store.update_task(task, _CHANGING)
    if notify:
        _notify(task, message)
    return task


def _notify(task: TaskExecution, message: str) -> None:
    if task.notification_url:
        payload: dict[str, Any] = {
            "job_id": task.id,
            "status": task.status.value,
            "message": message,
            "timestamp": times.iso_seconds(task.updated_at),
        }
        if task.status is TaskStatus.completed and task.result:  # the seed's fields, then the interview's ids
            payload |= {k: task.result[k] for k in ("ai_interview_id", "interview_id") if k in task.result}
        delivery.enqueue(
            task.organization_id,
            task.notification_url,
            "ai_interview.generation." + task.status.value,
            payload,
            idempotency_key=f"{task.id}:{task.status.value}",
        )


def task_status(organization_id: str, task_id: str) -> TaskStatusOut:
    task = get_task(organization_id, task_id)
    logs = store.recent_task_logs(organization_id, task_id, RECENT_LOGS)
    return TaskStatusOut.model_validate({**task.model_dump(), "recent_logs": logs})  # the seed's fields only


# ------------------------------------------------------------------ submission


def submit(
    organization_id: str,
    request: GenerateInterviewRequest,
    *,
    idempotency_key: str | None,
    lambda_context: LambdaContext | None = None,
) -> TaskExecution:
    """Record a generation job and start its workflow; a repeated Idempotency-Key returns the first job.

    The Lambda context lets an interrupted request's in-progress record expire with the invocation.
    """
    if not request.job_role or not request.job_description:
        raise BadRequest(
            "Job role and job description are required", field="job_role" if not request.job_role else "job_description"
        )
    if request.notification_url:
        net.check_url(request.notification_url, resolve=False, allow_loopback=get_settings().allow_loopback_webhooks)
    if not idempotency_key:
        return _start(organization_id, request)
    idempotency.check_key(idempotency_key)
    data = {"organization_id": organization_id, "idempotency_key": idempotency_key, "request": request.model_dump()}
    return idempotency.once(
        _start_from_data,
        data,
        output=TaskExecution,
        persistence=store.idempotency_records(),
        payload="request",
        lambda_context=lambda_context,
    )


def _start_from_data(data: dict[str, Any]) -> TaskExecution:
    return _start(data["organization_id"], GenerateInterviewRequest.model_validate(data["request"]))


def _start(organization_id: str, request: GenerateInterviewRequest) -> TaskExecution:
    created = now()
    task = TaskExecution(
        id=str(uuid.uuid4()),
        organization_id=organization_id,
        current_step="Queued",
        notification_url=request.notification_url,
        input=request.model_dump(exclude_none=True),
        created_at=created,
        updated_at=created,
    )
    # The job is recorded and charged in one transaction (reference: the job id), before anything
    # starts: a balance that cannot cover it is a 402 and leaves nothing behind.
    job = store.new_task_op(task)
    credits.charge(
        organization_id,
        credits.price("interview_generation"),
        kind=ChargeKind.generation,
        reference=f"generation:{task.id}",
        description=f"Interview generation: {request.job_role}"[:200],
        extra_ops=[job],
    )
    store.add_task_log(organization_id, task.id, "AI Progress: Job queued")
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().generation_state_machine_arn,
            name=task.id,
            input=json.dumps({"organization_id": organization_id, "task_id": task.id}),
        )
    except ClientError as exc:  # nothing runs: the job is failed and its charge given back, so a retry is clean
        logger.exception("could not start the generation workflow", job_id=task.id)
        _update(task, status=TaskStatus.failed, message="AI Progress: The job could not be started", error=str(exc))
        credits.refund(organization_id, f"generation:{task.id}", "Refund: the interview generation could not start")
        raise ServiceUnavailable("The interview generation could not be started; please retry") from None
    _notify(task, QUEUED)
    return task


# ------------------------------------------------------------------ the workflow's steps


def analyse_job(state: dict[str, Any]) -> dict[str, Any]:
    task = get_task(state["organization_id"], state["task_id"])
    task = _update(
        task, status=TaskStatus.processing, message="AI Progress: Analyzing job requirements...", notify=True
    )
    analysis = ai.provider().analyse_job(task.input["job_role"], task.input["job_description"])
    skills = ", ".join(s.name for s in analysis.skills)
    _update(
        task,
        message=f"AI Progress: Identified {len(analysis.skills)} skills ({analysis.seniority.value} level): {skills}",
    )
    return {**state, "analysis": analysis.model_dump(mode="json")}


def questions_for(skill: Skill) -> int:
    return 2 if skill.weight >= 0.15 else 1


def write_questions(state: dict[str, Any]) -> list[dict[str, Any]]:
    """One Map iteration: the questions for one skill."""
    skill = Skill.model_validate(state["skill"])
    store.add_task_log(
        state["organization_id"], state["task_id"], f"AI Progress: Generating interview questions for {skill.name}"
    )
    drafts = ai.provider().write_questions(skill, Seniority(state["seniority"]), state["role"], questions_for(skill))
    store.add_task_log(
        state["organization_id"],
        state["task_id"],
        f"AI Progress: Completed questions for skill: {skill.name} ({len(drafts)} written)",
    )
    return [draft.model_dump(mode="json") for draft in drafts]


def assemble_interview(state: dict[str, Any]) -> dict[str, Any]:
    task = get_task(state["organization_id"], state["task_id"])
    analysis = ai.JobAnalysis.model_validate(state["analysis"])
    drafts = [ai.QuestionDraft.model_validate(d) for per_skill in state["questions"] for d in per_skill]
    seconds = QUESTION_SECONDS[analysis.seniority]
    questions = [
        Question(
            id=f"q{number}",
            skill=d.skill,
            prompt=d.prompt,
            evaluation_criteria=d.evaluation_criteria,
            expectations=d.expectations,
            time_limit_seconds=seconds,
        )
        for number, d in enumerate(drafts, 1)
    ]
    minutes = WELCOME_MINUTES + -(-len(questions) * seconds // 60)
    senior = analysis.seniority in (Seniority.senior, Seniority.lead)
    created = now()
    interview = Interview(
        id=str(uuid.uuid4()),
        number=0,
        organization_id=task.organization_id,
        name=f"{analysis.role} - AI interview",
        role=analysis.role,
        description=task.input["job_description"],
        seniority=analysis.seniority,
        skills=analysis.skills,
        questions=questions,
        duration_minutes=minutes,
        proctoring=Proctoring(tab_switch_detection=True, paste_detection=True, webcam_required=senior),
        task_execution_id=task.id,
        created_at=created,
        updated_at=created,
    )
    _update(task, message=f"AI Progress: Assembled {len(questions)} questions into a {minutes}-minute interview")
    return {"organization_id": task.organization_id, "task_id": task.id, "interview": interview.model_dump(mode="json")}


def persist_interview(state: dict[str, Any]) -> dict[str, Any]:
    task = get_task(state["organization_id"], state["task_id"])
    draft = Interview.model_validate(state["interview"])
    try:  # a retried step must not store the interview twice
        interview = get_interview(draft.organization_id, draft.id)
    except NotFound:
        interview = save_new_interview(draft)
    result = {"ai_interview_id": interview.number, "interview_id": interview.id, "name": interview.name}
    _update(
        task,
        status=TaskStatus.completed,
        result=result,
        notify=True,
        message="AI Progress: Interview plan generated successfully",
    )
    return {**state, "interview": None, "result": result}


def fail(state: dict[str, Any]) -> dict[str, Any]:
    """The workflow's Catch: the job failed; say why in plain words, not with a stack trace."""
    error = state.get("error") or {}
    cause = error.get("Cause") or ""
    with contextlib.suppress(ValueError, AttributeError):  # a Lambda error's Cause is its JSON error record
        cause = json.loads(cause).get("errorMessage", cause)
    reason = f"{error.get('Error', 'Error')}: {cause}".strip(": ")[:500]
    task = get_task(state["organization_id"], state["task_id"])
    _update(
        task, status=TaskStatus.failed, error=reason, notify=True, message=f"AI Progress: Generation failed ({reason})"
    )
    return {"organization_id": task.organization_id, "task_id": task.id, "status": "failed"}
