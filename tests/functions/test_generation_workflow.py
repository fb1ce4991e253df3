"""The generate_interview state machine, run from its ASL by the emulator with the real task handlers."""

import json

import boto3
import pytest

from panelist.interviews import ai, generation
from panelist.webhooks import delivery
from tests.functions.harness import ROOT, make_tenant
from tests.functions.test_generate_interview import SEED_REQUEST
from tests.local.support import poll
from tests.unit.test_ai_offline import SEED_SKILLS

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:panelist-test-generate-interview"


@pytest.fixture
def emulated(stack):
    """Emulated AWS whose Step Functions run the template's state machines on the in-process handlers.

    (Overrides conftest's `emulated`, so `api` runs on it.)"""
    with stack.running(workflows=True):
        yield


def _run(api, tenant, body=SEED_REQUEST):
    job_id = api("generate_interview", body=body, headers=tenant.as_member()).body["job_id"]

    def settled():
        status = api(
            "get_task_status",
            path=f"/api/v2/task-executions/status/{job_id}",
            path_params={"job_id": job_id},
            headers=tenant.as_member(),
        ).body
        return status if status["status"] in ("completed", "failed") else None

    return job_id, poll(settled, timeout=60)


def _webhook_statuses(expected: int) -> list[str]:
    """The statuses queued for delivery, in queue order; SQS may answer a receive with fewer than are there."""
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="panelist-test-webhooks.fifo")["QueueUrl"]
    statuses: list[str] = []

    def enough() -> bool:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        statuses.extend(delivery.payload_of(json.loads(m["Body"]))["status"] for m in messages)
        for m in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        return len(statuses) >= expected

    poll(enough, timeout=10)
    return statuses


def test_the_seed_example_becomes_an_interview(api):
    tenant = make_tenant("Acme Labs")
    job_id, status = _run(api, tenant)
    assert status["status"] == "completed", status
    assert status["result"]["ai_interview_id"] == 1
    messages = [log["message"] for log in status["recent_logs"]]
    assert all(m.startswith("AI Progress: ") for m in messages)
    assert messages[-1] == "AI Progress: Interview plan generated successfully"

    details = api(
        "get_interview_details",
        path="/api/v2/ai-interviews/details/1",
        path_params={"ai_interview_id": "1"},
        headers=tenant.as_member(),
    )
    assert details.status == 200
    interview = details.body
    assert interview["ai_interview_id"] == 1
    assert interview["created_by_job_id"] == job_id
    skills = {s["name"] for s in interview["skills"]}
    assert skills == SEED_SKILLS
    assert {q["skill"] for q in interview["questions"]} == skills
    for question in interview["questions"]:
        assert question["evaluation_criteria"]
        assert all(question["expectations"][b] for b in ("strong", "moderate", "weak"))
    assert interview["configuration"]["question_count"] == len(interview["questions"])
    assert interview["duration_minutes"] >= len(interview["questions"]) * 3
    assert interview["proctoring"]["tab_switch_detection"] is True

    assert _webhook_statuses(3) == ["pending", "processing", "completed"]


def test_a_failing_step_marks_the_job_failed_and_says_why(api, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ai.ModelOutputError("the model's answer did not match the schema twice")

    monkeypatch.setattr(ai.provider("offline"), "analyse_job", broken)
    tenant = make_tenant("Acme Labs")
    _, status = _run(api, tenant)
    assert status["status"] == "failed", status
    assert status["result"] is None
    assert "did not match the schema" in status["recent_logs"][-1]["message"], status["recent_logs"]
    assert "Traceback" not in json.dumps(status)
    assert _webhook_statuses(3) == ["pending", "processing", "failed"]


def _throttled(operation: str) -> Exception:
    """What a step raises once DynamoDB throttled it past the SDK's own retries (its errorType is the class name)."""
    client = boto3.client("dynamodb")
    error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}}
    return client.exceptions.ProvisionedThroughputExceededException(error, operation)


def _once(real, error: Exception):
    """`real`, failing with `error` the first time it is called."""
    calls = []

    def flaky(state):
        calls.append(state)
        if len(calls) == 1:
            raise error
        return real(state)

    flaky.calls = calls
    return flaky


def test_a_transient_failure_of_assemble_interview_is_retried_to_completion(api, monkeypatch):
    flaky = _once(generation.assemble_interview, _throttled("UpdateItem"))
    monkeypatch.setattr(generation, "assemble_interview", flaky)
    tenant = make_tenant("Acme Labs")
    _, status = _run(api, tenant)
    assert status["status"] == "completed", status
    assert len(flaky.calls) == 2
    assert _webhook_statuses(3) == ["pending", "processing", "completed"]


def test_a_failure_handler_that_fails_once_still_marks_the_job_failed(api, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ai.ModelOutputError("the model's answer did not match the schema twice")

    monkeypatch.setattr(ai.provider("offline"), "analyse_job", broken)
    flaky = _once(generation.fail, _throttled("UpdateItem"))
    monkeypatch.setattr(generation, "fail", flaky)
    tenant = make_tenant("Acme Labs")
    _, status = _run(api, tenant)
    assert status["status"] == "failed", status  # not left `processing`: MarkFailed's Retry ran it again
    assert len(flaky.calls) == 2
    assert "did not match the schema" in status["recent_logs"][-1]["message"], status["recent_logs"]
    assert _webhook_statuses(3) == ["pending", "processing", "failed"]


def test_every_task_of_the_workflow_retries_transient_errors():
    """Each Task (MarkFailed and AssembleInterview included) has a Retry for the Lambda service's transient
    errors; MarkFailed, the last word on a job, retries anything."""
    definition = json.loads((ROOT / "statemachines" / "generate_interview.asl.json").read_text())
    transient = {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }

    def tasks(states):
        for name, state in states.items():
            if state["Type"] == "Task":
                yield name, state
            if state["Type"] == "Map":
                yield from tasks(state["ItemProcessor"]["States"])

    found = dict(tasks(definition["States"]))
    assert {"AnalyseJob", "WriteSkillQuestions", "AssembleInterview", "PersistInterview", "MarkFailed"} <= set(found)
    for name, state in found.items():
        retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
        assert transient <= retried or retried == {"States.ALL"}, (name, retried)
        if "States.Timeout" in retried:
            assert state.get("TimeoutSeconds"), f"{name} retries States.Timeout but never times out"
    assert found["MarkFailed"]["Retry"][-1]["ErrorEquals"] == ["States.ALL"]
