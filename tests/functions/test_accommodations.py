"""Requests for an alternative process or an accommodation: from both candidate pages to the organization's API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from panelist.candidates.campaigns import get_invite_by_token
from panelist.compliance import accommodation_store
from panelist.compliance.accommodations import MAX_PER_LINK, erase_for_candidate
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.sessions.store import candidate_session_ids
from panelist.webhooks.endpoints import create_endpoint
from panelist_local import demo
from tests.functions.harness import queued_webhooks
from tests.functions.test_interview_flow import FORM, _interview, _invite


def _ask(api, token: str, form: dict[str, str]):
    return api(
        "request_accommodation",
        path=f"/interview/{token}/accommodation",
        path_params={"token": token},
        raw_body=urlencode(form),
        headers=FORM,
    )


def _take_link(api, tenant, interview_id: str, candidate_id: str) -> str:
    body = {"type": "interview-for-profile", "interview_id": interview_id, "interview_profile_id": candidate_id}
    return api("create_job_interview_token", body=body, headers=tenant.as_member()).body


def _ask_on_take(api, url: str, form: dict[str, str], *, token: str | None = None):
    parts = urlsplit(url)
    interview_id = parts.path.split("/")[3]
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if token is not None:
        query["interview_token"] = token
    return api(
        "request_take_accommodation",
        path=f"/interview/take/{interview_id}/accommodation",
        path_params={"interview_id": interview_id},
        query=query,
        raw_body=urlencode(form),
        headers=FORM,
    )


def _list(api, tenant, **query):
    reply = api("list_accommodation_requests", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    return reply.body


def _patch(api, tenant, request_id: str, body):
    return api(
        "update_accommodation_request",
        path=f"/api/accommodation-requests/{request_id}",
        path_params={"id": request_id},
        body=body,
        headers=tenant.as_member(),
    )


@pytest.fixture
def invited(tenant_a):
    interview = _interview(tenant_a.id)
    return tenant_a, interview, _invite(tenant_a.id, interview)


def test_an_invite_page_request_is_stored_listed_and_published_once(api, invited, queue):
    tenant, interview, invite = invited
    create_endpoint(tenant.id, WebhookEndpointCreate(url="https://hooks.example.com/acc"))
    reply = _ask(
        api,
        invite.token,
        {
            "kind": "alternative_process",
            "details": "I would prefer a person.",
            "name": "Sam Lee",
            "notice_version": "1",
        },
    )
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "Request received" in reply.body
    assert "will contact you" in reply.body

    listed = _list(api, tenant)
    assert listed["total"] == 1
    [request] = listed["requests"]
    assert request["kind"] == "alternative_process"
    assert request["status"] == "open"
    assert (request["name"], request["email"]) == ("Sam Lee", invite.email)
    assert request["details"] == "I would prefer a person."
    assert (request["interview_id"], request["invite_id"], request["source"]) == (interview.id, invite.id, "invite")
    assert request["notice_version"] == 1

    events = queued_webhooks(queue)
    requested = [e for e in events if e["type"] == "accommodation.requested"]
    assert len(requested) == 1
    assert requested[0]["payload"]["data"]["id"] == request["id"]
    assert requested[0]["payload"]["data"]["kind"] == "alternative_process"
    assert "Sam Lee" not in str(requested[0]), "the event carries ids, not personal data"

    # Asking starts nothing and blocks nothing: the invite can still start the interview.
    assert get_invite_by_token(tenant.id, invite.token).session_id is None
    started = api(
        "start_interview",
        path=f"/interview/{invite.token}/start",
        path_params={"token": invite.token},
        raw_body=urlencode({"consent": "on", "name": "Sam Lee"}),
        headers=FORM,
    )
    assert started.status == 303


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"details": "x", "name": "Sam"}, "kind"),
        ({"kind": "teleport", "name": "Sam"}, "kind"),
        ({"kind": "accommodation", "name": "Sam"}, "details"),
        ({"kind": "accommodation", "name": "Sam", "details": "x" * 2001}, "details"),
        ({"kind": "alternative_process"}, "name"),
        ({"kind": "alternative_process", "name": "S" * 201}, "name"),
    ],
)
def test_bad_input_shows_the_form_again_naming_the_field_and_stores_nothing(api, invited, form, field):
    tenant, _, invite = invited
    reply = _ask(api, invite.token, form)
    assert reply.status == 400, reply.body
    assert 'role="alert"' in reply.body
    assert 'id="accommodation"' in reply.body, "the form again"
    marker = {"kind": 'name="kind"', "details": 'id="accommodation-details"', "name": 'id="accommodation-name"'}[field]
    at = reply.body.index(marker)
    assert 'aria-invalid="true"' in reply.body[max(0, at - 400) : at + 400]
    assert _list(api, tenant)["total"] == 0


def test_a_known_candidates_invite_does_not_ask_for_a_name(api, tenant_a):
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Ana Ruiz", "ana@example.com", "+1 555 0101", "Lima", ["Analyst"])
    invite = _invite(tenant_a.id, interview, candidate_id=candidate.id)
    page = api("open_invite", path=f"/interview/{invite.token}", path_params={"token": invite.token}).body
    assert 'id="accommodation-name"' not in page
    assert _ask(api, invite.token, {"kind": "accommodation", "details": "Screen reader"}).status == 200
    [request] = _list(api, tenant_a)["requests"]
    assert (request["candidate_id"], request["name"]) == (candidate.id, "Ana Ruiz")


def test_an_unknown_invite_token_is_a_404_page(api, tenant_a):
    reply = _ask(api, "inv_nothing_here", {"kind": "alternative_process", "name": "X"})
    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("text/html")


def test_a_take_page_request_names_the_links_candidate(api, tenant_a, queue):
    create_endpoint(tenant_a.id, WebhookEndpointCreate(url="https://hooks.example.com/acc"))
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Chen Wei", "chen@example.com", "+1 555 0100", "Toronto", ["Engineer"])
    url = _take_link(api, tenant_a, interview.id, candidate.id)
    reply = _ask_on_take(api, url, {"kind": "accommodation", "details": "Extra time please", "notice_version": "1"})
    assert reply.status == 200, reply.body
    assert "noindex" in reply.headers["X-Robots-Tag"]
    [request] = _list(api, tenant_a)["requests"]
    assert (request["candidate_id"], request["name"], request["email"]) == (
        candidate.id,
        "Chen Wei",
        "chen@example.com",
    )
    assert request["source"] == "take"
    assert [
        e["payload"]["data"]["candidate_id"] for e in queued_webhooks(queue) if e["type"] == "accommodation.requested"
    ] == [candidate.id]
    assert candidate_session_ids(tenant_a.id, candidate.id) == [], "asking starts nothing"


def test_a_forged_take_token_is_a_403_page_and_stores_nothing(api, tenant_a):
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Chen Wei", "chen@example.com", "+1 555 0100", "Toronto", ["Engineer"])
    url = _take_link(api, tenant_a, interview.id, candidate.id)
    token = parse_qs(urlsplit(url).query)["interview_token"][0]
    for forged in (token[:-2] + "xx", "", "not-a-jwt"):
        reply = _ask_on_take(api, url, {"kind": "alternative_process"}, token=forged)
        assert reply.status == 403, reply.body
    assert _list(api, tenant_a)["total"] == 0


def test_one_link_makes_at_most_a_few_requests(api, invited):
    tenant, _, invite = invited
    form = {"kind": "alternative_process", "name": "Sam"}
    for _ in range(MAX_PER_LINK):
        assert _ask(api, invite.token, form).status == 200
    refused = _ask(api, invite.token, form)
    assert refused.status == 409
    assert _list(api, tenant)["total"] == MAX_PER_LINK


def test_the_list_filters_pages_and_the_patch_moves_a_request(api, tenant_a):
    first, second = _interview(tenant_a.id), _interview(tenant_a.id)
    invites = [_invite(tenant_a.id, first), _invite(tenant_a.id, first), _invite(tenant_a.id, second)]
    for invite in invites:
        assert _ask(api, invite.token, {"kind": "alternative_process", "name": "Sam"}).status == 200
    everything = _list(api, tenant_a)
    assert everything["total"] == 3
    newest_first = [r["invite_id"] for r in everything["requests"]]
    assert newest_first == [i.id for i in reversed(invites)]
    page = _list(api, tenant_a, limit=1, offset=1)
    assert [r["invite_id"] for r in page["requests"]] == [invites[1].id]
    assert page["pagination"]["has_more"] is True
    assert _list(api, tenant_a, interview_id=first.id)["total"] == 2

    target = next(r for r in everything["requests"] if r["invite_id"] == invites[0].id)
    moved = _patch(api, tenant_a, target["id"], {"status": "resolved", "resolution_note": "Phone interview booked"})
    assert moved.status == 200, moved.body
    assert moved.body["status"] == "resolved"
    assert moved.body["resolved_at"] is not None
    assert moved.body["resolution_note"] == "Phone interview booked"
    assert _list(api, tenant_a, status="resolved")["total"] == 1
    assert [r["id"] for r in _list(api, tenant_a, status="resolved")["requests"]] == [target["id"]]
    assert _list(api, tenant_a, status="open")["total"] == 2
    assert _list(api, tenant_a, status="open", interview_id=first.id)["total"] == 1
    assert _list(api, tenant_a, status="resolved", interview_id=second.id)["total"] == 0

    reopened = _patch(api, tenant_a, target["id"], {"status": "in_progress"})
    assert (reopened.body["status"], reopened.body["resolved_at"]) == ("in_progress", None)
    assert reopened.body["resolution_note"] == "Phone interview booked", "a note is kept unless changed"
    assert _list(api, tenant_a, status="resolved")["total"] == 0
    assert _list(api, tenant_a, status="in_progress")["total"] == 1


@pytest.mark.parametrize(
    "body",
    [{"status": "done"}, {"status": None}, {"resolution_note": "x" * 2001}, {"extra": 1}, [], "resolved"],
)
def test_a_bad_patch_is_a_4xx_naming_the_field_and_changes_nothing(api, invited, body):
    tenant, _, invite = invited
    _ask(api, invite.token, {"kind": "alternative_process", "name": "Sam"})
    [request] = _list(api, tenant)["requests"]
    reply = _patch(api, tenant, request["id"], body)
    assert 400 <= reply.status < 500, reply.body
    assert "error" in reply.body
    assert _list(api, tenant)["requests"] == [request]


def test_an_unknown_request_is_a_404(api, tenant_a):
    reply = _patch(api, tenant_a, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", {"status": "resolved"})
    assert reply.status == 404
    assert reply.body["error"]["code"] == "NOT_FOUND"


def test_erasing_the_candidate_blanks_their_requests(api, tenant_a):
    interview = _interview(tenant_a.id)
    candidate = demo._candidate(tenant_a.id, "Ana Ruiz", "ana@example.com", "+1 555 0101", "Lima", ["Analyst"])
    known = _invite(tenant_a.id, interview, candidate_id=candidate.id)
    _ask(api, known.token, {"kind": "accommodation", "details": "I use a screen reader"})
    unknown = _invite(tenant_a.id, interview)  # sam@example.com: a request made before the invite had a candidate
    _ask(api, unknown.token, {"kind": "alternative_process", "name": "Sam Lee", "details": "Prefer a call"})

    assert erase_for_candidate(tenant_a.id, candidate.id, "ana@example.com") == 1
    by_invite = {r["invite_id"]: r for r in _list(api, tenant_a)["requests"]}
    erased = by_invite[known.id]
    assert (erased["details"], erased["name"], erased["email"], erased["erased"]) == ("", None, None, True)
    assert by_invite[unknown.id]["name"] == "Sam Lee", "another candidate's request is untouched"

    # Both invites went to sam@example.com: an erasure naming the address finds the requests made through them.
    assert erase_for_candidate(tenant_a.id, "someone-else", "SAM@example.com ") == 2, "found by address"
    assert {r["details"] for r in _list(api, tenant_a)["requests"]} == {""}
    assert erase_for_candidate(tenant_a.id, candidate.id, "ana@example.com") == 1, "idempotent"
    assert not accommodation_store.requests_of(tenant_a.id, "someone-else", "sam@example.com")[0]
