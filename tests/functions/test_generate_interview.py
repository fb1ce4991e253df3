import json

import boto3
import pytest

from tests.functions.harness import queued_webhooks

SEED_REQUEST = {
    "job_role": "Senior Python Developer",
    "job_description": "We are looking for a Senior Python Developer with 5+ years of experience in Django, Flask, "
    "and FastAPI. The candidate should have strong knowledge of databases, REST APIs, and cloud technologies. "
    "Experience with Docker, Kubernetes, and CI/CD pipelines is preferred.",
    "notification_url": "https://your-webhook-url.com/ai-interview-status",
}


def test_the_seed_example_is_accepted_with_202_and_a_job(api, tenant_a):
    reply = api("generate_interview", body=SEED_REQUEST, headers=tenant_a.as_member())
    assert reply.status == 202
    assert set(reply.body) == {"job_id", "status", "message"}
    assert reply.body["status"] == "pending"
    assert reply.body["message"] == "AI interview plan generation job has been queued successfully"
    executions = boto3.client("stepfunctions").list_executions(
        stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:panelist-test-generate-interview"
    )["executions"]
    assert [e["name"] for e in executions] == [reply.body["job_id"]]


def test_the_pending_status_is_sent_to_the_notification_url(api, tenant_a):
    job_id = api("generate_interview", body=SEED_REQUEST, headers=tenant_a.as_member()).body["job_id"]
    queue = boto3.client("sqs").get_queue_url(QueueName="panelist-test-webhooks.fifo")["QueueUrl"]
    [message] = queued_webhooks(queue)
    assert message["url"] == SEED_REQUEST["notification_url"]
    assert message["payload"]["job_id"] == job_id
    assert message["payload"]["status"] == "pending"


@pytest.mark.parametrize(
    "body",
    [{}, {"job_role": "Dev"}, {"job_description": "Python"}, {"job_role": "  ", "job_description": "x"}, None],
)
def test_role_and_description_are_required_in_the_seeds_words(api, tenant_a, body):
    reply = api("generate_interview", body=body, headers=tenant_a.as_member())
    assert reply.status == 400
    assert reply.body == {"error": "Job role and job description are required"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.com/x",
        "http://[::1]/x",
        "http://10.0.0.5/x",
    ],
)
def test_notification_urls_that_point_inside_are_refused(api, tenant_a, url):
    reply = api("generate_interview", body={**SEED_REQUEST, "notification_url": url}, headers=tenant_a.as_member())
    assert reply.status == 400
    assert set(reply.body) == {"error"}
    assert "notification_url" in reply.body["error"] or "URL" in reply.body["error"]


def test_an_idempotency_key_returns_the_same_job(api, tenant_a, tenant_b):
    headers = {**tenant_a.as_member(), "Idempotency-Key": "req-42"}
    first = api("generate_interview", body=SEED_REQUEST, headers=headers).body["job_id"]
    assert api("generate_interview", body=SEED_REQUEST, headers=headers).body["job_id"] == first
    other_org = api(
        "generate_interview", body=SEED_REQUEST, headers={**tenant_b.as_member(), "Idempotency-Key": "req-42"}
    )
    assert other_org.body["job_id"] != first
    changed = api("generate_interview", body={**SEED_REQUEST, "job_role": "Staff Engineer"}, headers=headers)
    assert changed.status == 409
    assert "Idempotency-Key" in changed.body["error"]


def test_the_status_of_a_new_job_has_the_seeds_shape(api, tenant_a):
    job_id = api("generate_interview", body=SEED_REQUEST, headers=tenant_a.as_member()).body["job_id"]
    reply = api(
        "get_task_status",
        path=f"/api/v2/task-executions/status/{job_id}",
        path_params={"job_id": job_id},
        headers=tenant_a.as_member(),
    )
    assert reply.status == 200
    assert set(reply.body) == {
        "created_at",
        "current_step",
        "id",
        "notification_url",
        "recent_logs",
        "result",
        "status",
        "type",
        "updated_at",
    }
    assert reply.body["status"] == "pending"
    assert reply.body["type"] == "ai_interview_generation"
    assert reply.body["result"] is None
    assert reply.body["notification_url"] == SEED_REQUEST["notification_url"]
    assert len(reply.body["created_at"]) == len("2025-10-09T16:51:14")
    log = reply.body["recent_logs"][0]
    assert set(log) == {"created_at", "id", "message", "task_execution_id"}
    assert log["task_execution_id"] == job_id
    assert isinstance(log["id"], int)


def test_unknown_jobs_and_interviews_are_404(api, tenant_a):
    job = api(
        "get_task_status",
        path="/api/v2/task-executions/status/nope",
        path_params={"job_id": "nope"},
        headers=tenant_a.as_member(),
    )
    assert job.status == 404
    assert job.body == {"error": "Task execution not found"}
    interview = api(
        "get_interview_details",
        path="/api/v2/ai-interviews/details/99",
        path_params={"ai_interview_id": "99"},
        headers=tenant_a.as_member(),
    )
    assert interview.status == 404
    assert interview.body == {"error": "AI interview not found"}
    bad = api(
        "get_interview_details",
        path="/api/v2/ai-interviews/details/abc",
        path_params={"ai_interview_id": "abc"},
        headers=tenant_a.as_member(),
    )
    assert bad.status == 400
    assert "ai_interview_id" in bad.body["error"]


def test_missing_credentials_are_401_in_xobin_format(api):
    reply = api("generate_interview", body=SEED_REQUEST, headers={})
    assert reply.status == 401
    assert set(reply.body) == {"error"}
    assert json.dumps(reply.body).count("error") == 1
