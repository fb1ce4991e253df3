"""Seed 002 end to end on `panelist serve`: the job, its workflow, and signed status webhooks."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from panelist.webhooks import delivery
from tests.functions.test_generate_interview import SEED_REQUEST


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/ai-interview-status"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()


def _wait(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def test_generation_sends_signed_status_webhooks_in_order(client, served, receiver):
    admin = {"apiKey": served["demo"]["admin_key"]}
    secrets = client.request("GET", "/api/webhooks/secret", headers=admin).json["secrets"]
    accepted = client.request(
        "POST",
        "/api/v2/ai-interviews/generate-interview",
        body={**SEED_REQUEST, "notification_url": receiver.url},
        headers=admin,
    )
    assert accepted.status == 202, accepted.raw
    job_id = accepted.json["job_id"]

    def completed():
        status = client.request("GET", f"/api/v2/task-executions/status/{job_id}", headers=admin).json
        return status if status["status"] in ("completed", "failed") else None

    status = _wait(completed)
    assert status["status"] == "completed", status
    number = status["result"]["ai_interview_id"]
    details = client.request("GET", f"/api/v2/ai-interviews/details/{number}", headers=admin)
    assert details.status == 200
    assert details.json["created_by_job_id"] == job_id

    _wait(lambda: len(receiver.received) >= 3)
    payloads = []
    for headers, body in receiver.received:
        delivery.verify(secrets, headers, body)  # raises unless one signature matches
        payloads.append(json.loads(body))
    assert [p["status"] for p in payloads] == ["pending", "processing", "completed"]
    seed = {"job_id", "status", "message", "timestamp"}
    assert [set(p) for p in payloads] == [seed, seed, seed | {"ai_interview_id", "interview_id"}]
    assert all(p["job_id"] == job_id for p in payloads)
    assert payloads[2]["ai_interview_id"] == number
    assert payloads[2]["interview_id"] == details.json["id"]
    assert payloads[1]["message"] == "AI Progress: Analyzing job requirements..."
