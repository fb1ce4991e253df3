"""The Python SDK (sdk/panelist_client) against a real `panelist serve --demo`: the README's walk-through.

On test_contract_fuzz.py's own server (one xdist worker for both): the walk-through writes into the demo
organization, whose counts other e2e tests rely on.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from panelist_client import ApiError, Client, verify_webhook

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("contract")]


@pytest.fixture
def receiver():
    """A webhook receiver on a loopback port: the raw bodies and headers it got."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    server.shutdown()


def test_the_walk_through_create_a_campaign_invite_list_sessions_and_verify_a_webhook(contract_server, receiver):
    url, received = receiver
    demo = contract_server["demo"]
    client = Client(contract_server["base_url"], api_key=demo["admin_key"])

    secrets = client.webhook_secrets()
    hook = client.create_webhook(url, events=["invite.opened", "session.started"])
    project = client.create_project("Hiring Q4", "Backend roles")
    interview = demo["ids"]["interviews"][0]["id"]
    campaign = client.create_campaign("Backend engineers", interview, project["id"], invite_valid_hours=72)
    assert campaign["status"] == "active"
    invites = client.create_invites(campaign["id"], ["ada@example.com", "grace@example.com"], send_email=False)
    assert invites["failed"] == 0
    assert {i["email"] for i in invites["invites"]} == {"ada@example.com", "grace@example.com"}
    assert [c["id"] for c in client.campaigns(project_id=project["id"])] == [campaign["id"]]

    # Opening an invite link publishes invite.opened to the endpoint: checked with the SDK's verifier.
    token = invites["invites"][0]["token"]
    client.send("GET", f"/interview/{token}", raw=True)
    deadline = time.monotonic() + 20
    while not received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert received, "no webhook arrived"
    headers, body = received[0]
    event = verify_webhook(secrets, headers, body)
    assert event["type"] == headers["webhook-event"] == "invite.opened"
    assert client.get_invite(token)["status"] == "opened"

    # Every completed session of the demo campaign, two per page.
    completed = list(client.sessions(campaign_id=demo["ids"]["campaign_id"], status="completed", page_size=2))
    assert len(completed) >= 3
    assert len({s["id"] for s in completed}) == len(completed)
    detail = client.get_session(completed[0]["id"])
    assert detail["id"] == completed[0]["id"]
    client.delete_webhook(hook["id"])


def test_the_three_credential_forms_and_errors_against_the_server(contract_server):
    base_url, key = contract_server["base_url"], contract_server["demo"]["member_key"]
    for client in (
        Client(base_url, api_key=key),
        Client(base_url, api_key=key, bearer=True),
        Client(base_url, api_key=key, exchange=True),
    ):
        assert client.credits()["total_credits"] > 0
    token = Client(base_url, api_key=key).create_access_token(expires_in=300)
    assert Client(base_url, access_token=token["access_token"]).list_projects() is not None
    with pytest.raises(ApiError) as raised:
        Client(base_url, api_key="pnl_not_a_key").list_projects()
    assert (raised.value.status, raised.value.code) == (401, "UNAUTHORIZED")
    with pytest.raises(ApiError) as raised:
        Client(base_url, api_key=key).create_campaign("x", "no-such-interview", "no-such-project")
    assert raised.value.status in (400, 404)
    assert raised.value.field or raised.value.code == "NOT_FOUND"
