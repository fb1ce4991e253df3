"""Operating webhook endpoints: read and change one, send it a test ping, list its deliveries, replay one;
and the events `session.scored`, `analysis.failed` and generation's `completed` notification with its ids."""

import base64
import copy
import hashlib
import hmac
import json
import time

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from panelist.core.storage import org_pk, table
from panelist.interviews import analysis, generation
from panelist.interviews.analysis import analyse_session
from panelist.interviews.store import get_task
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.sessions.store import get_session
from panelist.webhooks import delivery
from panelist.webhooks.endpoints import EVENTS, create_endpoint, list_endpoints, publish
from tests.functions import test_deliver_webhooks
from tests.functions.harness import BAD_PAGING, invoke, queued_webhooks, sample_event
from tests.functions.test_analysis import unanalysed
from tests.functions.test_deliver_webhooks import _fast_forward, _receive, _run
from tests.functions.test_generate_interview import SEED_REQUEST
from tests.unit.reports_data import make_interview

URL = "https://hooks.example.com/panelist"

# The delivery tests' fixtures: the emulated queues (loopback receivers allowed) and an HTTP receiver.
queues = test_deliver_webhooks.queues
receiver = test_deliver_webhooks.receiver


def _error(reply) -> tuple[int, str, str | None]:
    return reply.status, reply.body["error"]["code"], reply.body["error"]["details"].get("field")


def _get(api, headers, endpoint_id):
    return api("get_webhook", path=f"/api/webhooks/{endpoint_id}", path_params={"id": endpoint_id}, headers=headers)


def _patch(api, headers, endpoint_id, body):
    return api(
        "update_webhook",
        path=f"/api/webhooks/{endpoint_id}",
        path_params={"id": endpoint_id},
        body=body,
        headers=headers,
    )


def _ping(api, headers, endpoint_id):
    return api(
        "test_webhook", path=f"/api/webhooks/{endpoint_id}/test", path_params={"id": endpoint_id}, headers=headers
    )


def _deliveries(api, headers, endpoint_id, **query):
    return api(
        "list_webhook_deliveries",
        path=f"/api/webhooks/{endpoint_id}/deliveries",
        path_params={"id": endpoint_id},
        query={k: str(v) for k, v in query.items()},
        headers=headers,
    )


def _replay(api, headers, delivery_id):
    return api(
        "replay_webhook_delivery",
        path=f"/api/webhooks/deliveries/{delivery_id}/replay",
        path_params={"id": delivery_id},
        headers=headers,
    )


def readme_verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    """The README's receiver-side `verify`, verbatim."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        raise ValueError("stale webhook")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    if not any(
        hmac.compare_digest(expected, sig.split(",", 1)[1].encode()) for sig in headers["webhook-signature"].split()
    ):
        raise ValueError("bad signature")


# ------------------------------------------------------------------ GET / PATCH


def test_any_key_reads_an_endpoint_and_another_organization_gets_404(api, tenant_a, tenant_b):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, description="ATS"))

    reply = _get(api, tenant_a.as_member(), endpoint.id)

    assert reply.status == 200
    assert reply.body["id"] == endpoint.id
    assert (reply.body["url"], reply.body["events"], reply.body["enabled"]) == (URL, list(EVENTS), True)
    assert reply.body["description"] == "ATS"
    assert _error(_get(api, tenant_b.as_admin(), endpoint.id)) == (404, "NOT_FOUND", "id")
    assert _error(_get(api, tenant_a.as_admin(), "0190f3a2-0000-7000-8000-000000000000")) == (404, "NOT_FOUND", "id")


def test_an_admin_changes_an_endpoint_and_only_what_is_given_changes(api, tenant_a):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, description="ATS"))

    reply = _patch(api, tenant_a.as_admin(), endpoint.id, {"events": ["session.scored", "session.scored"]})
    assert reply.status == 200, reply.body
    assert (reply.body["events"], reply.body["description"], reply.body["url"]) == (["session.scored"], "ATS", URL)
    assert reply.body["updated_at"] >= reply.body["created_at"]

    reply = _patch(api, tenant_a.as_admin(), endpoint.id, {"description": None, "enabled": False})
    assert (reply.body["description"], reply.body["enabled"]) == (None, False)
    assert _get(api, tenant_a.as_member(), endpoint.id).body == reply.body


def test_a_url_change_is_checked_and_swaps_the_url_lookup(api, tenant_a):
    first = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    second = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL + "/2"))

    taken = _patch(api, tenant_a.as_admin(), second.id, {"url": "https://HOOKS.example.com:443/panelist"})
    assert _error(taken) == (409, "CONFLICT", "url")
    assert _error(_patch(api, tenant_a.as_admin(), second.id, {"url": "https://10.0.0.7/x"})) == (
        400,
        "INVALID_PARAMETER",
        "url",
    )
    moved = _patch(api, tenant_a.as_admin(), first.id, {"url": URL + "/moved"})
    assert (moved.status, moved.body["url"]) == (200, URL + "/moved")
    # The old URL is free again, the new one taken: the lookup items moved with it.
    assert api("create_webhook", body={"url": URL}, headers=tenant_a.as_admin()).status == 201
    assert _error(api("create_webhook", body={"url": URL + "/moved"}, headers=tenant_a.as_admin())) == (
        409,
        "CONFLICT",
        "url",
    )
    # Its own URL again (however spelled) is no conflict.
    same = _patch(api, tenant_a.as_admin(), first.id, {"url": "https://hooks.example.com:443/panelist/moved"})
    assert same.status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"url": None}, "url"),
        ({"url": ""}, "url"),
        ({"url": "http://hooks.example.com/x"}, "url"),
        ({"url": "https://169.254.169.254/latest"}, "url"),
        ({"events": []}, "events"),
        ({"events": None}, "events"),
        ({"events": ["candidate.hired"]}, "events"),
        ({"events": ["ping"]}, "events"),
        ({"description": "x" * 201}, "description"),
        ({"enabled": "maybe"}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_invalid_changes_are_400_naming_the_field_and_change_nothing(api, tenant_a, body, field):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    reply = _patch(api, tenant_a.as_admin(), endpoint.id, body)
    assert _error(reply) == (400, "INVALID_PARAMETER", field), reply.body
    [stored] = list_endpoints(tenant_a.id)
    assert stored == endpoint


def test_changes_need_an_admin_and_an_endpoint_of_the_organization(api, tenant_a, tenant_b):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    assert _error(_patch(api, tenant_a.as_member(), endpoint.id, {"enabled": False}))[:2] == (403, "FORBIDDEN")
    assert _error(_patch(api, tenant_b.as_admin(), endpoint.id, {"enabled": False})) == (404, "NOT_FOUND", "id")
    assert _error(_ping(api, tenant_a.as_member(), endpoint.id))[:2] == (403, "FORBIDDEN")
    assert _error(_ping(api, tenant_b.as_admin(), endpoint.id)) == (404, "NOT_FOUND", "id")
    assert list_endpoints(tenant_a.id) == [endpoint]


# ------------------------------------------------------------------ test ping, deliveries, replay


def _loopback_endpoint(api, tenant, receiver, path="/hook", **body) -> str:
    reply = api("create_webhook", body={"url": f"{receiver.url}{path}", **body}, headers=tenant.as_admin())
    assert reply.status == 201, reply.body
    return reply.body["id"]


def test_the_test_ping_arrives_signed_and_is_recorded(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver, events=["session.scored"])

    reply = _ping(api, tenant_a.as_admin(), endpoint_id)

    assert reply.status == 202, reply.body
    delivery_id = reply.body["id"]
    assert delivery_id == reply.body["webhook_id"]
    assert (reply.body["event_type"], reply.body["status"], reply.body["attempts"]) == ("ping", "pending", [])
    _, failed = _run(queues)
    assert not failed
    [(path, headers, body)] = receiver.requests
    assert path == "/hook"
    secret = api("get_webhook_secret", headers=tenant_a.as_admin()).body["secrets"][0]
    readme_verify(secret, headers, body)
    with pytest.raises(ValueError, match="bad signature"):
        readme_verify(secret, headers, body.replace(b"ping", b"pong"))
    assert (headers["webhook-id"], headers["webhook-event"]) == (delivery_id, "ping")
    payload = json.loads(body)
    assert payload["type"] == "ping"
    assert payload["data"]["endpoint_id"] == endpoint_id
    [listed] = _deliveries(api, tenant_a.as_member(), endpoint_id).body["deliveries"]
    assert (listed["id"], listed["status"], listed["next_retry_at"]) == (delivery_id, "delivered", None)
    [attempt] = listed["attempts"]
    assert (attempt["attempt"], attempt["outcome"], attempt["status_code"]) == (1, "delivered", 200)
    assert attempt["duration_ms"] >= 0


def test_deliveries_list_attempts_of_a_failing_then_succeeding_receiver(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver)
    receiver.responses["/hook"] = (503, {})
    [first] = publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="one")
    messages, failed = _run(queues)
    assert failed

    pending = _deliveries(api, tenant_a.as_member(), endpoint_id).body
    [listed] = pending["deliveries"]
    assert (listed["id"], listed["status"], listed["event_type"]) == (first, "pending", "session.scored")
    assert listed["next_retry_at"] is not None
    assert [(a["outcome"], a["status_code"]) for a in listed["attempts"]] == [("retrying", 503)]
    assert _error(_replay(api, tenant_a.as_admin(), first)) == (409, "CONFLICT", "id")  # still pending

    receiver.responses["/hook"] = (200, {})
    _fast_forward(queues, messages)
    _run(queues)
    [second] = publish(tenant_a.id, "session.scored", {"id": "s2"}, idempotency_key="two")
    _run(queues)

    listing = _deliveries(api, tenant_a.as_member(), endpoint_id).body
    assert [d["id"] for d in listing["deliveries"]] == [second, first]  # newest first
    assert (listing["total"], listing["limit"], listing["offset"]) == (2, 50, 0)
    older = listing["deliveries"][1]
    assert older["status"] == "delivered"
    assert older["next_retry_at"] is None
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in older["attempts"]] == [
        (1, "retrying", 503),
        (2, "delivered", 200),
    ]
    page = _deliveries(api, tenant_a.as_member(), endpoint_id, limit=1, offset=1).body
    assert [d["id"] for d in page["deliveries"]] == [first]
    assert page["pagination"] == {"total": 2, "limit": 1, "offset": 1, "has_more": False}


@pytest.mark.parametrize(("query", "field"), BAD_PAGING)
def test_bad_paging_of_deliveries_is_400_naming_the_field(api, tenant_a, query, field):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    assert _error(_deliveries(api, tenant_a.as_member(), endpoint.id, **query)) == (400, "INVALID_PARAMETER", field)


def test_deliveries_of_another_organization_are_404(api, tenant_a, tenant_b):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL))
    assert _error(_deliveries(api, tenant_b.as_admin(), endpoint.id)) == (404, "NOT_FOUND", "id")


def test_a_dead_lettered_delivery_is_replayed_with_the_same_webhook_id(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver)
    receiver.responses["/hook"] = (500, {})
    [webhook_id] = publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="dead")
    for _ in range(delivery.MAX_ATTEMPTS):
        messages, failed = _run(queues)
        assert failed
        _fast_forward(queues, messages)
    assert _receive(queues["webhooks.fifo"]) == []
    [dead] = _receive(queues["webhooks-dlq.fifo"])
    assert json.loads(dead["Body"])["id"] == webhook_id
    [listed] = _deliveries(api, tenant_a.as_member(), endpoint_id).body["deliveries"]
    assert (listed["status"], len(listed["attempts"]), listed["next_retry_at"]) == (
        "dead-lettered",
        delivery.MAX_ATTEMPTS,
        None,
    )
    assert _error(_replay(api, tenant_a.as_member(), webhook_id))[:2] == (403, "FORBIDDEN")

    receiver.responses["/hook"] = (200, {})
    reply = _replay(api, tenant_a.as_admin(), webhook_id)

    assert reply.status == 202, reply.body
    assert (reply.body["id"], reply.body["status"], reply.body["replays"]) == (webhook_id, "pending", 1)
    _, failed = _run(queues)
    assert not failed
    assert {headers["webhook-id"] for _, headers, _ in receiver.requests} == {webhook_id}
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS + 1
    [listed] = _deliveries(api, tenant_a.as_member(), endpoint_id).body["deliveries"]
    assert listed["status"] == "delivered"
    assert [a["attempt"] for a in listed["attempts"]] == list(range(1, delivery.MAX_ATTEMPTS + 2))
    assert listed["attempts"][-1]["outcome"] == "delivered"
    # A delivered one can be replayed again (a receiver that lost it), the same webhook-id again.
    assert _replay(api, tenant_a.as_admin(), webhook_id).status == 202
    _run(queues)
    assert [h["webhook-id"] for _, h, _ in receiver.requests[-1:]] == [webhook_id]


def test_an_erased_or_unknown_delivery_is_not_replayed(api, queues, receiver, tenant_a, tenant_b):
    _loopback_endpoint(api, tenant_a, receiver)
    [webhook_id] = publish(
        tenant_a.id, "session.scored", {"id": "s1", "candidate_id": "cand-1"}, idempotency_key="erased"
    )
    _run(queues)
    assert delivery.erase_about(tenant_a.id, ["candidate:cand-1"], at=delivery.now()) == 1

    reply = _replay(api, tenant_a.as_admin(), webhook_id)

    assert _error(reply) == (410, "GONE", "id")
    assert "erased" in reply.body["error"]["message"]
    assert _receive(queues["webhooks.fifo"]) == []
    assert _error(_replay(api, tenant_b.as_admin(), webhook_id)) == (404, "NOT_FOUND", "id")
    assert _error(_replay(api, tenant_a.as_admin(), "msg_0123")) == (404, "NOT_FOUND", "id")


def test_an_expired_payload_is_not_replayed(api, queues, receiver, tenant_a):
    _loopback_endpoint(api, tenant_a, receiver)
    [webhook_id] = publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="expired")
    _run(queues)
    table()._client.delete_item(
        TableName=table().name,
        Key={"PK": {"S": org_pk(tenant_a.id)}, "SK": {"S": f"WEBHOOK#{webhook_id}#PAYLOAD"}},
    )
    reply = _replay(api, tenant_a.as_admin(), webhook_id)
    assert _error(reply) == (410, "GONE", "id")
    assert "no longer kept" in reply.body["error"]["message"]


def test_a_disabled_endpoint_gets_nothing_and_what_was_queued_is_skipped(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver)
    [queued] = publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="before")
    assert _patch(api, tenant_a.as_admin(), endpoint_id, {"enabled": False}).body["enabled"] is False

    assert publish(tenant_a.id, "session.scored", {"id": "s2"}, idempotency_key="after") == []
    _, failed = _run(queues)

    assert not failed
    assert receiver.requests == []
    [listed] = _deliveries(api, tenant_a.as_member(), endpoint_id).body["deliveries"]
    assert (listed["id"], listed["status"]) == (queued, "skipped")
    assert listed["attempts"][0]["error"] == "not sent: its webhook endpoint is disabled"
    assert _error(_ping(api, tenant_a.as_admin(), endpoint_id)) == (409, "CONFLICT", "enabled")
    assert _error(_replay(api, tenant_a.as_admin(), queued)) == (409, "CONFLICT", "enabled")

    # Enabled again: the skipped one can be replayed, and new events arrive.
    _patch(api, tenant_a.as_admin(), endpoint_id, {"enabled": True})
    assert _replay(api, tenant_a.as_admin(), queued).status == 202
    _run(queues)
    assert [h["webhook-id"] for _, h, _ in receiver.requests] == [queued]


def test_queued_events_follow_the_endpoint_to_its_new_url(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver, path="/old")
    publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="moved")
    assert _patch(api, tenant_a.as_admin(), endpoint_id, {"url": f"{receiver.url}/new"}).status == 200
    _run(queues)
    assert receiver.paths() == ["/new"]


def test_a_deleted_endpoints_queued_events_are_skipped(api, queues, receiver, tenant_a):
    endpoint_id = _loopback_endpoint(api, tenant_a, receiver)
    [queued] = publish(tenant_a.id, "session.scored", {"id": "s1"}, idempotency_key="gone")
    api(
        "delete_webhook",
        path=f"/api/webhooks/{endpoint_id}",
        path_params={"id": endpoint_id},
        headers=tenant_a.as_admin(),
    )
    _run(queues)
    assert receiver.requests == []
    record = delivery.store.get_delivery(tenant_a.id, queued)
    assert record is not None
    assert record.status.value == "skipped"


# ------------------------------------------------------------------ events


def test_session_scored_is_published_once_per_analysis_write(queue, tenant_a):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["session.scored"]))
    session = unanalysed(tenant_a.id)

    analysed = analyse_session(tenant_a.id, session.id)
    analyse_session(tenant_a.id, session.id)  # a rerun that writes nothing sends nothing

    [message] = queued_webhooks(queue)
    assert (message["type"], message["url"]) == ("session.scored", endpoint.url)
    data = message["payload"]["data"]
    assert analysed.assessment is not None
    assert data == {
        "id": session.id,
        "response_id": session.number,
        "candidate_id": session.candidate_id,
        "interview_id": session.interview_id,
        "ai_interview_id": data["ai_interview_id"],
        "overall_score": analysed.assessment.score,
        "bucket": analysis.ai.bucket_of(analysed.assessment.score).value,
        "analysed_at": data["analysed_at"],
        "advisory": False,  # the organization requires no human review (test_reviews: true where it does)
    }
    assert isinstance(data["ai_interview_id"], int)
    assert data["analysed_at"].endswith("Z")


def test_a_failed_write_publishes_nothing(queue, tenant_a, monkeypatch):
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["session.scored"]))
    session = unanalysed(tenant_a.id)

    def broken(*args, **kwargs):
        raise RuntimeError("the model is down")

    monkeypatch.setattr(analysis, "_analysed", broken)
    with pytest.raises(RuntimeError):
        analyse_session(tenant_a.id, session.id)
    assert queued_webhooks(queue) == []


def _analysis_event(tenant_id: str, session_id: str, receive_count: int) -> dict:
    event = copy.deepcopy(sample_event("analyse_session"))
    [record] = event["Records"]
    record["body"] = json.dumps({"organization_id": tenant_id, "session_id": session_id})
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return event


def test_analysis_failed_when_the_last_attempt_fails(queue, tenant_a, monkeypatch, template):
    assert template.resources["AnalysisQueue"].properties["RedrivePolicy"]["maxReceiveCount"] == 3
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url=URL, events=["analysis.failed", "session.scored"]))
    session = unanalysed(tenant_a.id)

    def broken(*args, **kwargs):
        raise RuntimeError("Ada Okafor's answer broke the model")  # never repeated in the event

    monkeypatch.setattr(analysis, "_analysed", broken)
    for attempt in (1, 2):  # retried: nothing yet
        with pytest.raises(BatchProcessingError):
            invoke("analyse_session", _analysis_event(tenant_a.id, session.id, attempt))
    assert queued_webhooks(queue) == []
    assert get_session(tenant_a.id, session.id).analysis_error is None

    with pytest.raises(BatchProcessingError):  # still failed: on to the dead-letter queue
        invoke("analyse_session", _analysis_event(tenant_a.id, session.id, 3))

    [message] = queued_webhooks(queue)
    assert message["type"] == "analysis.failed"
    data = message["payload"]["data"]
    assert (data["id"], data["response_id"], data["candidate_id"]) == (
        session.id,
        session.number,
        session.candidate_id,
    )
    assert (data["interview_id"], data["attempts"]) == (session.interview_id, 3)
    assert data["error"].startswith("RuntimeError")
    assert "Ada" not in json.dumps(message["payload"])
    stored = get_session(tenant_a.id, session.id)
    assert stored.analysis_error == data["error"]
    assert stored.analysis_status.value == "failed"

    monkeypatch.undo()
    analyse_session(tenant_a.id, session.id)  # a later success clears the failure
    assert get_session(tenant_a.id, session.id).analysis_status.value == "completed"


def test_generation_completed_notification_names_the_interview(api, queue, tenant_a):
    job_id = api("generate_interview", body=SEED_REQUEST, headers=tenant_a.as_member()).body["job_id"]
    draft = make_interview(tenant_a.id).model_copy(update={"task_execution_id": job_id})

    generation.persist_interview(
        {"organization_id": tenant_a.id, "task_id": job_id, "interview": draft.model_dump(mode="json")}
    )

    task = get_task(tenant_a.id, job_id)
    assert task.result is not None
    by_status = {m["payload"]["status"]: m["payload"] for m in queued_webhooks(queue)}
    assert set(by_status["pending"]) == {"job_id", "status", "message", "timestamp"}
    completed = by_status["completed"]
    assert list(completed) == ["job_id", "status", "message", "timestamp", "ai_interview_id", "interview_id"]
    assert completed["job_id"] == job_id
    assert completed["ai_interview_id"] == task.result["ai_interview_id"]
    assert completed["interview_id"] == task.result["interview_id"] == draft.id
