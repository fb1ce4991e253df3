"""Webhooks end to end on the emulated queues: enqueue, the delivery function, a real HTTP receiver.

The test plays Lambda's SQS poller: it receives (with VisibilityTimeout 0, so that only the function's
own ChangeMessageVisibility can hide a message), invokes the function, and deletes what succeeded.
"Time passes" by making a delayed message visible again: no test sleeps.
"""

import copy
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from panelist.core import storage
from panelist.core.errors import BadRequest
from panelist.core.settings import get_settings
from panelist.webhooks import delivery
from panelist.webhooks.delivery import DeliveryFailed, get_signing_secrets, verify
from panelist_local.events_sqs import sqs_record
from panelist_local.handlers import load_handler
from tests.functions.harness import ROOT, LambdaContext, invoke, sample_event

ORG = "0190f3a2-7c4e-7b2d-9a1f-5e6d4c3b2a10"
PAYLOAD = {
    "job_id": "0190f3a5-1b2c-7d3e-8f4a-5b6c7d8e9f01",
    "status": "completed",
    "message": "Interview generated successfully — 12 questions",
    "timestamp": "2025-10-09T16:51:14",
}


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers `responses[path]`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.responses: dict[str, tuple[int, dict[str, str]]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = receiver.responses.get(self.path, (200, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(5)


@pytest.fixture
def queues(emulated, monkeypatch):
    """The queue URLs, the settings pointed at them, and loopback receivers allowed (as `panelist serve` does)."""
    sqs = boto3.client("sqs")
    urls = {
        name: sqs.get_queue_url(QueueName=f"panelist-test-{name}")["QueueUrl"]
        for name in ("webhooks.fifo", "webhooks-dlq.fifo")
    }
    monkeypatch.setenv("PANELIST_WEBHOOK_QUEUE_URL", urls["webhooks.fifo"])
    monkeypatch.setenv("PANELIST_ALLOW_LOOPBACK_WEBHOOKS", "1")
    get_settings.cache_clear()
    yield urls
    get_settings.cache_clear()


def _arn(queue_url: str) -> str:
    return boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _receive(queue_url: str) -> list[dict]:
    return (
        boto3.client("sqs")
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["All"],
        )
        .get("Messages", [])
    )


def _run(queues, context=None) -> tuple[list[dict], set[str]]:
    """One poll as Lambda's poller does it: the messages received and the ids the function failed."""
    messages = _receive(queues["webhooks.fifo"])
    assert messages, "nothing to deliver"
    event = {"Records": [sqs_record(m, _arn(queues["webhooks.fifo"])) for m in messages]}
    result = load_handler(ROOT / "functions" / "deliver_webhooks")(event, context or LambdaContext())
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        boto3.client("sqs").delete_message_batch(
            QueueUrl=queues["webhooks.fifo"],
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    return messages, failed


def _fast_forward(queues, messages) -> None:
    """The delay the function set has passed: the messages are visible again."""
    for message in messages:
        boto3.client("sqs").change_message_visibility(
            QueueUrl=queues["webhooks.fifo"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )


def _attempts(webhook_id: str) -> list[dict]:
    return storage.table().query(storage.org_pk(ORG), prefix=f"WEBHOOK#{webhook_id}#ATTEMPT#").items


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_receiver_gets_exactly_the_payload_signed(queues, receiver):
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook?source=panelist", "interview.completed", PAYLOAD)

    messages, failed = _run(queues)

    assert len(messages) == 1
    assert not failed
    [(path, headers, body)] = receiver.requests
    assert path == "/hook?source=panelist"
    assert body == json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()
    assert verify(get_signing_secrets(ORG), headers, body) == PAYLOAD
    assert headers["webhook-id"] == webhook_id
    assert webhook_id.startswith("msg_")
    assert headers["webhook-event"] == "interview.completed"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Panelist-Webhooks/1"
    assert headers["host"] == receiver.url.removeprefix("http://")
    assert get_signing_secrets(ORG)[0].startswith("whsec_")
    [attempt] = _attempts(webhook_id)
    assert attempt["SK"] == f"WEBHOOK#{webhook_id}#ATTEMPT#001"
    assert (attempt["outcome"], attempt["status"], attempt["attempt"]) == ("delivered", 200, 1)
    assert attempt["url"] == f"{receiver.url}/hook?source=panelist"
    assert attempt["duration_ms"] >= 0
    assert attempt["ttl"] > 0
    assert _receive(queues["webhooks.fifo"]) == []


def test_a_receiver_that_is_down_fails_the_record_and_delays_it(queues, monkeypatch):
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: high)
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    webhook_id = delivery.enqueue(ORG, url, "interview.completed", PAYLOAD)
    body = json.loads(_receive(queues["webhooks.fifo"])[0]["Body"])
    with pytest.raises(DeliveryFailed, match="connection refused") as caught:
        delivery.deliver(body, 1)
    assert caught.value.retry_in == 2

    messages, failed = _run(queues)

    assert failed == {messages[0]["MessageId"]}
    assert _receive(queues["webhooks.fifo"]) == []  # received with visibility 0: only the function hid it
    [attempt] = [a for a in _attempts(webhook_id) if a["SK"].endswith("#002")]
    assert (attempt["outcome"], attempt["error"], attempt["attempt"]) == ("retrying", "connection refused", 2)
    assert "status" not in attempt


def test_after_the_last_attempt_the_message_is_in_the_dead_letter_queue(queues, receiver, template):
    assert template.resources["WebhookQueue"].properties["RedrivePolicy"]["maxReceiveCount"] == delivery.MAX_ATTEMPTS
    receiver.responses["/hook"] = (503, {"retry-after": "30"})
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)

    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        messages, failed = _run(queues)
        assert [m["Attributes"]["ApproximateReceiveCount"] for m in messages] == [str(attempt)]
        assert failed == {messages[0]["MessageId"]}
        _fast_forward(queues, messages)

    assert _receive(queues["webhooks.fifo"]) == []  # this receive moved it
    [dead] = _receive(queues["webhooks-dlq.fifo"])
    assert json.loads(dead["Body"])["id"] == webhook_id
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS
    assert {headers["webhook-id"] for _, headers, _ in receiver.requests} == {webhook_id}
    attempts = _attempts(webhook_id)
    assert [a["attempt"] for a in attempts] == list(range(1, delivery.MAX_ATTEMPTS + 1))
    assert {a["status"] for a in attempts} == {503}
    assert [a["outcome"] for a in attempts] == ["retrying"] * (delivery.MAX_ATTEMPTS - 1) + ["exhausted"]


@pytest.mark.parametrize(
    ("status", "retried"),
    [(400, False), (401, False), (404, False), (410, False), (408, True), (429, True), (500, True)],
)
def test_a_4xx_is_permanent_except_408_and_429(queues, receiver, status, retried):
    receiver.responses["/hook"] = (status, {})
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)

    messages, failed = _run(queues)

    assert bool(failed) is retried
    _fast_forward(queues, messages if retried else [])
    assert len(_receive(queues["webhooks.fifo"])) == (1 if retried else 0)
    [attempt] = _attempts(webhook_id)
    assert (attempt["status"], attempt["outcome"]) == (status, "retrying" if retried else "rejected")


def test_redirects_are_not_followed(queues, receiver):
    receiver.responses["/hook"] = (307, {"location": f"{receiver.url}/inside"})
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)

    _, failed = _run(queues)

    assert receiver.paths() == ["/hook"]
    assert failed
    [attempt] = _attempts(webhook_id)
    assert (attempt["status"], attempt["outcome"]) == (307, "retrying")


def test_a_url_refused_at_delivery_is_recorded_and_not_retried(queues, receiver, monkeypatch):
    """DNS now says the name is inside (rebinding), or loopback is no longer allowed: permanent."""
    rebound = delivery.enqueue(ORG, "https://hooks.example.com/x", "interview.completed", PAYLOAD)
    loopback = delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port, *a, **k: [(socket.AF_INET, 1, 6, "", ("169.254.169.254", port))]
    )
    monkeypatch.setenv("PANELIST_ALLOW_LOOPBACK_WEBHOOKS", "0")
    get_settings.cache_clear()

    messages, failed = _run(queues)

    assert len(messages) == 2
    assert not failed
    assert receiver.requests == []
    assert _receive(queues["webhooks.fifo"]) == []
    [metadata] = _attempts(rebound)
    assert metadata["outcome"] == "refused"
    assert "cloud metadata" in metadata["error"]
    [local] = _attempts(loopback)
    assert local["outcome"] == "refused"
    assert "loopback" in local["error"]
    with pytest.raises(BadRequest) as caught:
        delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)
    assert caught.value.field == "url"


def test_enqueue_refuses_what_could_never_be_sent(queues):
    for url in ("ftp://example.com/", "http://10.0.0.1/", "https://user:pw@example.com/", "http://x.internal/"):
        with pytest.raises(BadRequest):
            delivery.enqueue(ORG, url, "interview.completed", PAYLOAD)
    with pytest.raises(ValueError, match="type"):
        delivery.enqueue(ORG, "https://hooks.example.com/", "completed\r\nx-injected: 1", PAYLOAD)
    assert _receive(queues["webhooks.fifo"]) == []


def test_a_name_that_does_not_resolve_at_delivery_is_retried(queues, monkeypatch):
    def unresolvable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    webhook_id = delivery.enqueue(ORG, "https://your-webhook-url.com/api/webhook", "interview.completed", PAYLOAD)

    _, failed = _run(queues)

    assert failed
    [attempt] = _attempts(webhook_id)
    assert attempt["outcome"] == "retrying"
    assert "does not resolve" in attempt["error"]


def test_records_are_not_attempted_without_time_left_for_a_full_attempt(queues, receiver):
    delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)

    class ShortContext(LambdaContext):
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 5_000

    messages, failed = _run(queues, ShortContext())

    assert failed == {messages[0]["MessageId"]}
    assert receiver.requests == []
    assert _attempts(json.loads(messages[0]["Body"])["id"]) == []


def test_rotation_sends_both_signatures_for_a_day(queues, receiver, monkeypatch):
    old = get_signing_secrets(ORG)
    assert get_signing_secrets(ORG) == old
    assert len(old) == 1
    new = delivery.rotate_secret(ORG)
    assert get_signing_secrets(ORG) == [new, old[0]]
    delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)

    _run(queues)

    [(_, headers, body)] = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(old, headers, body) == verify([new], headers, body) == PAYLOAD
    later = delivery.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(delivery, "now", lambda: later)
    assert get_signing_secrets(ORG) == [new]


def test_the_first_secret_is_created_once_even_in_a_race(queues, monkeypatch):
    winner = get_signing_secrets("org-race")
    real_get = storage.Table.get
    calls = []

    def get(self, pk, sk):  # the first read misses the item another request is creating
        calls.append(sk)
        return None if len(calls) == 1 else real_get(self, pk, sk)

    monkeypatch.setattr(storage.Table, "get", get)
    assert get_signing_secrets("org-race") == winner


def test_the_sample_event_runs(queues, monkeypatch):
    def unresolvable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    event = copy.deepcopy(sample_event("deliver_webhooks"))
    result = invoke("deliver_webhooks", event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


# ------------------------------------------------------------------ payloads kept in the table (issue 14, item 2)

SESSION_EVENT = {
    "type": "session.completed",
    "timestamp": "2026-01-05T10:00:00Z",
    "data": {
        "id": "ses-1",
        "participant_email": "ada.okafor@example.com",
        "candidate_id": "cand-1",
        "invite_id": "inv-1",
        "campaign_id": None,
    },
}


def test_the_message_only_refers_to_the_payload_kept_in_the_table(queues):
    webhook_id = delivery.enqueue(ORG, "https://hooks.example.com/x", "session.completed", SESSION_EVENT)

    [message] = _receive(queues["webhooks.fifo"])
    body = json.loads(message["Body"])
    assert set(body) == {"id", "organization_id", "url", "type", "created_at"}
    assert "ada.okafor" not in message["Body"]
    assert body["id"] == webhook_id
    assert delivery.payload_of(body) == SESSION_EVENT
    kept = storage.table().get(storage.org_pk(ORG), f"WEBHOOK#{webhook_id}#PAYLOAD")
    assert kept["subjects"] == ["candidate:cand-1", "invite:inv-1", "session:ses-1"]
    assert kept["ttl"] > int(delivery.now().timestamp()) + 18 * 86400  # outlives the queue and the DLQ


def test_subjects_are_every_candidate_session_and_invite_a_payload_names():
    assert delivery.subjects("session.started", SESSION_EVENT) == ["candidate:cand-1", "invite:inv-1", "session:ses-1"]
    opened = {"type": "invite.opened", "data": {"id": "inv-2", "email": "a@example.com", "campaign_id": "c"}}
    assert delivery.subjects("invite.opened", opened) == ["invite:inv-2"]
    nested = {"data": {"results": [{"session_id": "s1"}, {"candidate_id": "c1"}]}}
    assert delivery.subjects("campaign.completed", nested) == ["candidate:c1", "session:s1"]
    assert delivery.subjects("interview.completed", PAYLOAD) == []


def test_a_repeated_enqueue_keeps_the_first_payload(queues):
    first = delivery.enqueue(ORG, "https://hooks.example.com/x", "interview.completed", PAYLOAD, idempotency_key="k")
    again = delivery.enqueue(
        ORG, "https://hooks.example.com/x", "interview.completed", {**PAYLOAD, "status": "x"}, idempotency_key="k"
    )
    assert again == first
    [message] = _receive(queues["webhooks.fifo"])  # SQS deduplicated the second
    assert delivery.payload_of(json.loads(message["Body"])) == PAYLOAD


def test_a_webhook_whose_candidate_was_erased_is_not_sent_and_recorded_so(queues, receiver):
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook", "session.completed", SESSION_EVENT)
    assert delivery.erase_about(ORG, ["candidate:someone-else"], at=delivery.now()) == 0
    assert delivery.erase_about(ORG, ["candidate:cand-1", "session:ses-1"], at=delivery.now()) == 1

    messages, failed = _run(queues)

    assert len(messages) == 1
    assert not failed  # dropped: not retried, never parked in the dead-letter queue
    assert receiver.requests == []
    assert _receive(queues["webhooks.fifo"]) == []
    [attempt] = _attempts(webhook_id)
    assert (attempt["outcome"], attempt["error"]) == ("erased", "not sent: the data of a candidate it names was erased")
    kept = storage.table().get(storage.org_pk(ORG), f"WEBHOOK#{webhook_id}#PAYLOAD")
    assert "body" not in kept
    assert "ada.okafor" not in json.dumps(kept)


def test_a_payload_no_longer_kept_is_not_sent_and_recorded_so(queues, receiver):
    webhook_id = delivery.enqueue(ORG, f"{receiver.url}/hook", "interview.completed", PAYLOAD)
    boto3.client("dynamodb").delete_item(  # the table's TTL removed it (a message redriven a month later)
        TableName=get_settings().table,
        Key={"PK": {"S": storage.org_pk(ORG)}, "SK": {"S": f"WEBHOOK#{webhook_id}#PAYLOAD"}},
    )

    _, failed = _run(queues)

    assert not failed
    assert receiver.requests == []
    [attempt] = _attempts(webhook_id)
    assert (attempt["outcome"], attempt["error"]) == ("expired", "not sent: its payload is no longer kept")


def test_a_message_queued_with_its_payload_inline_before_the_upgrade_is_delivered(queues, receiver):
    """Messages queued by the previous version carry the payload itself: still sent exactly, and signed."""
    body = {
        "id": "msg_0123456789abcdef0123456789abcdef",
        "organization_id": ORG,
        "url": f"{receiver.url}/hook",
        "type": "interview.completed",
        "payload": PAYLOAD,
        "created_at": "2026-01-05T10:00:00.000Z",
    }
    boto3.client("sqs").send_message(
        QueueUrl=queues["webhooks.fifo"], MessageBody=json.dumps(body), MessageGroupId="g", MessageDeduplicationId="d"
    )

    _, failed = _run(queues)

    assert not failed
    [(_, headers, sent)] = receiver.requests
    assert sent == json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()
    assert verify(get_signing_secrets(ORG), headers, sent) == PAYLOAD
    assert headers["webhook-id"] == body["id"]
    assert _attempts(body["id"])[0]["outcome"] == "delivered"
