"""Seed 004 end to end on `panelist serve --demo`: the InterviewRelay examples, in the order a client uses them."""

import json
import re

from panelist.webhooks import delivery
from tests.e2e.test_generation import _wait, receiver  # noqa: F401 - a fixture


def _keys(reply, status, keys):
    assert reply.status == status, reply.raw
    assert keys <= set(reply.json), reply.json
    return reply.json


def test_the_seed_examples_answer_in_the_seeds_shapes_and_events_reach_a_subscriber(client, served, receiver):  # noqa: F811
    key = {"Authorization": f"Bearer {served['demo']['admin_key']}"}
    ids = served["demo"]["ids"]
    secrets = client.request("GET", "/api/webhooks/secret", headers=key).json["secrets"]
    hook = client.request("POST", "/api/webhooks", body={"url": receiver.url}, headers=key)
    hook = _keys(hook, 201, {"id", "url", "events", "created_at"})

    project = client.request("POST", "/api/projects", body={"name": "Research", "description": "Q4"}, headers=key)
    project = _keys(project, 201, {"id", "name", "description", "created_at"})
    body = {
        "name": "Q4 Customer Feedback",
        "script_id": ids["interviews"][0]["id"],
        "project_id": project["id"],
        "invite_valid_hours": 168,
    }
    before = client.request("GET", "/api/campaigns?limit=1", headers=key).json["total"]  # other tests share the demo
    campaign = client.request("POST", "/api/campaigns", body=body, headers=key)
    campaign = _keys(campaign, 201, {"id", "name", "script_id", "project_id", "status", "created_at"})
    listing = client.request("GET", "/api/campaigns?limit=50&offset=100", headers=key)
    listing = _keys(listing, 200, {"campaigns", "total", "limit", "offset", "pagination"})
    assert listing["pagination"] == {"total": before + 1, "limit": 50, "offset": 100, "has_more": False}
    detail = client.request("GET", f"/api/campaigns/{ids['campaign_id']}", headers=key)
    completed = client.request("GET", f"/api/sessions?campaign_id={ids['campaign_id']}&status=completed", headers=key)
    # three completed in the demo data, and one more once the browser test (same server) has taken its invite
    assert _keys(detail, 200, {"stats"})["stats"]["completed"] == completed.json["total"] >= 3

    emails = {"emails": ["user1@example.com", "user2@example.com"], "send_email": True}
    invites = client.request("POST", f"/api/campaigns/{campaign['id']}/invites", body=emails, headers=key)
    invites = _keys(invites, 201, {"invites", "sent", "failed"})
    assert (invites["sent"], invites["failed"]) == (2, 0)

    def invitations() -> list[dict]:  # the mail goes through a queue: it arrives shortly after the answer
        admin = {"Authorization": f"Bearer {served['platform_admin_key']}"}  # the control plane's credential
        messages = client.request("GET", "/_panelist/mail", headers=admin).json["messages"]
        mailed = [m for m in messages if m["destinations"]["ToAddresses"][0] in emails["emails"]]
        return mailed if len(mailed) == 2 else []

    mail = _wait(invitations, timeout=20.0)
    link = re.search(r"http://\S+/interview/inv_[\w-]+", mail[-1]["body"]).group(0)
    page = client.request("GET", link.removeprefix(served["base_url"]))
    assert (page.status, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    token = link.rsplit("/", 1)[1]
    invite = client.request("GET", f"/api/invites/{token}", headers=key)
    assert _keys(invite, 200, {"id", "email", "token", "status", "campaign_id", "expires_at"})["status"] == "opened"

    query = f"/api/sessions?campaign_id={ids['campaign_id']}&status=completed"
    sessions = _keys(client.request("GET", query, headers=key), 200, {"sessions", "total"})
    assert len(sessions["sessions"]) == sessions["total"] >= 3
    assert {(s["campaign_id"], s["status"]) for s in sessions["sessions"]} == {(ids["campaign_id"], "completed")}
    session_id = sessions["sessions"][0]["id"]
    detail = client.request("GET", f"/api/sessions/{session_id}", headers=key)
    _keys(detail, 200, {"id", "campaign_id", "participant_email", "status", "duration_minutes", "transcript_url"})
    transcript = client.request("GET", f"/api/session/{session_id}/transcript", headers=key)
    assert _keys(transcript, 200, {"session_id", "started_at", "completed_at", "turns"})["turns"]
    pdf = client.request("GET", f"/api/session/{session_id}/pdf", headers=key)
    assert (pdf.status, pdf.raw[:5]) == (200, b"%PDF-")

    done = client.request("PATCH", f"/api/campaigns/{campaign['id']}", body={"status": "completed"}, headers=key)
    assert done.status == 200
    _wait(lambda: len(receiver.received) >= 2)
    events = [delivery.verify(secrets, headers, body) for headers, body in receiver.received]
    assert [e["type"] for e in events] == ["invite.opened", "campaign.completed"]
    assert events[1]["data"]["id"] == campaign["id"]
    assert json.loads(receiver.received[1][1])["data"]["status"] == "completed"
    assert client.request("DELETE", f"/api/webhooks/{hook['id']}", headers=key).status == 204
