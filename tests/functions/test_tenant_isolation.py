"""Organization B's keys never reach organization A's data, route by route.

Every route whose path takes an id has a row here (a test fails when one is missing). A tenant
route answers B with 404, exactly as for an id that does not exist; a platform-admin route answers
any organization key with 403. List routes have rows too: B's list never shows A's items.
"""

import json

import pytest

from panelist.accounts.projects import create_project
from panelist.billing import credits
from panelist.candidates.campaigns import create_campaign, create_invites, list_campaigns
from panelist.interviews.store import get_interview_by_number, save_new_interview
from panelist.models.billing import ChargeKind
from panelist.models.campaigns import CampaignCreate, InviteRequest, ProjectCreate
from panelist.models.common import new_id
from panelist.models.interviews import Interview
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.reports import shares
from panelist.webhooks.endpoints import create_endpoint, list_endpoints
from tests.functions.harness import ROOT
from tests.functions.test_sessions import make_session


def _admin_path(tenant_a, suffix=""):
    return f"/api/admin/organizations/{tenant_a.id}/api-keys{suffix}"


def _job_of(api, tenant) -> str:
    """A generation job of `tenant` (one per tenant: the call is idempotent)."""
    body = {"job_role": "Data Engineer", "job_description": "Spark, Airflow and SQL."}
    headers = {**tenant.as_member(), "Idempotency-Key": "isolation"}
    return api("generate_interview", body=body, headers=headers).body["job_id"]


def _interview_of(tenant) -> int:
    event = json.loads((ROOT / "events/persist_interview.json").read_text())
    draft = Interview.model_validate({**event["interview"], "organization_id": tenant.id, "id": new_id()})
    return save_new_interview(draft).number


def _campaign_of(tenant) -> str:
    """A campaign of `tenant` (the same one on every call)."""
    found = list_campaigns(tenant.id, project_id=None, status=None, offset=0, limit=1)[0]
    if found:
        return found[0].id
    script = _interview_of(tenant)
    project = create_project(tenant.id, ProjectCreate(name="P")).id
    interview_id = get_interview_by_number(tenant.id, script).id
    return create_campaign(tenant.id, CampaignCreate(name="C", script_id=interview_id, project_id=project)).id


def _token_of(tenant) -> str:
    request = InviteRequest(emails=["candidate@example.com"], send_email=False)
    return create_invites(tenant.id, _campaign_of(tenant), request, base_url="https://x.example")[0][0].token


_sessions: dict[str, str] = {}


def _session_of(tenant) -> str:
    if tenant.id not in _sessions:
        _sessions[tenant.id] = make_session(tenant).id
    return _sessions[tenant.id]


def _as_b_on_session(api, a, b, function: str, path: str):
    session_id = _session_of(a)
    return api(function, path=path.format(session_id), path_params={"id": session_id}, headers=b.as_member())


_responses: dict[str, int] = {}


def _response_of(tenant) -> int:
    """The `response_id` of a session of `tenant` with its interview (the same one on every call)."""
    if tenant.id not in _responses:
        interview_id = get_interview_by_number(tenant.id, _interview_of(tenant)).id
        _responses[tenant.id] = make_session(tenant, interview_id=interview_id).number
    return _responses[tenant.id]


def _share_of(tenant) -> tuple[int, str]:
    """A response of `tenant` and a share of its report."""
    number = _response_of(tenant)
    shares.create_share(tenant.id, number, 1.0, base_url="https://x.example")
    return number, shares.list_shares(tenant.id, number).shares[0].share_id


def _share_report_as_b(api, a, b, option):
    number = _response_of(a)
    return api(
        "share_report",
        path=f"/ai-interviews/report/{number}/{option}",
        path_params={"response_id": str(number), "option": option},
        headers=b.as_member(),
    )


def _revoke_share_as_b(api, a, b):
    number, share_id = _share_of(a)
    reply = api(
        "revoke_report_share",
        path=f"/ai-interviews/report/{number}/shares/{share_id}",
        path_params={"response_id": str(number), "share_id": share_id},
        headers=b.as_member(),
    )
    assert shares.list_shares(a.id, number).shares[0].status == "active", "B's revoke revoked A's share"
    return reply


def _list_shares_as_b(api, a, b):
    number, share_id = _share_of(a)
    reply = api(
        "list_report_shares",
        path=f"/ai-interviews/report/{number}/shares",
        path_params={"response_id": str(number)},
        headers=b.as_member(),
    )
    assert share_id not in str(reply.body)
    return reply


def _endpoint_of(tenant) -> str:
    """A webhook endpoint of `tenant` (the same one on every call)."""
    found = list_endpoints(tenant.id, limit=1)
    if found:
        return found[0].id
    return create_endpoint(tenant.id, WebhookEndpointCreate(url="https://hooks.example.com/isolation")).id


def _delete_webhook_as_b(api, a, b):
    endpoint_id = _endpoint_of(a)
    reply = api(
        "delete_webhook", path=f"/api/webhooks/{endpoint_id}", path_params={"id": endpoint_id}, headers=b.as_admin()
    )
    assert [e.id for e in list_endpoints(a.id)] == [endpoint_id], "B's delete removed A's endpoint"
    return reply


def _on_endpoint_as_b(api, a, b, function, path, body=None):
    endpoint_id = _endpoint_of(a)
    reply = api(
        function,
        path=path.format(endpoint_id),
        path_params={"id": endpoint_id},
        body=body,
        headers=b.as_admin(),
    )
    [endpoint] = list_endpoints(a.id)
    assert (endpoint.id, endpoint.enabled) == (endpoint_id, True), "B changed A's endpoint"
    return reply


def _replay_delivery_as_b(api, a, b):
    from panelist.models.common import now
    from panelist.models.webhooks import DeliveryStatus, WebhookDelivery
    from panelist.webhooks import store

    at = now()
    record = WebhookDelivery(
        id="msg_isolation",
        organization_id=a.id,
        endpoint_id=_endpoint_of(a),
        url="https://hooks.example.com/isolation",
        event_type="session.scored",
        status=DeliveryStatus.delivered,
        created_at=at,
        updated_at=at,
    )
    store.insert_delivery(record, at.replace(year=at.year + 1))
    reply = api(
        "replay_webhook_delivery",
        path=f"/api/webhooks/deliveries/{record.id}/replay",
        path_params={"id": record.id},
        headers=b.as_admin(),
    )
    kept = store.get_delivery(a.id, record.id)
    assert kept is not None
    assert (kept.status, kept.replays) == (DeliveryStatus.delivered, 0), "B replayed A's delivery"
    return reply


def _erase_candidate_as_b(api, a, b):
    from panelist.candidates.store import get_candidate

    candidate_id = _candidate_of(a)
    reply = api(
        "erase_candidate",
        path=f"/api/candidates/{candidate_id}",
        path_params={"id": candidate_id},
        headers=b.as_admin(),
    )
    assert get_candidate(a.id, candidate_id).erased_at is None, "B's erasure erased A's candidate"
    return reply


def _interview_route_as_b(api, a, b, function: str, body=None):
    """B on A's interview (by its UUID) through the Interviews resource; A's interview stays as it was."""
    from panelist.interviews.store import get_interview

    interview_id = _interview_uuid_of(a)
    before = get_interview(a.id, interview_id)
    reply = api(
        function,
        path=f"/api/interviews/{interview_id}",
        path_params={"id": interview_id},
        body=body,
        headers=b.as_admin(),
    )
    assert get_interview(a.id, interview_id) == before, f"B's {function} changed A's interview"
    return reply


def _profile_of(tenant) -> str:
    """A candidate profile of `tenant` made through the Candidates resource (the same one on every call)."""
    from panelist.candidates import profiles
    from panelist.models.candidates import CandidateCreate

    found = profiles.list_candidates(tenant.id, email=None, external_id="isolation", offset=0, limit=1)[0]
    if found:
        return found[0].id
    request = CandidateCreate(name="Iso Late", email="iso@example.com", external_id="isolation")
    return profiles.create_candidate(tenant.id, request).id


def _candidate_route_as_b(api, a, b, function: str, body=None):
    """B on A's candidate profile; A's profile stays as it was."""
    from panelist.candidates.store import get_candidate

    candidate_id = _profile_of(a)
    before = get_candidate(a.id, candidate_id)
    reply = api(
        function,
        path=f"/api/candidates/{candidate_id}",
        path_params={"id": candidate_id},
        body=body,
        headers=b.as_admin(),
    )
    assert get_candidate(a.id, candidate_id) == before, f"B's {function} changed A's candidate"
    return reply


def _invite_route_as_b(api, a, b, function: str, suffix: str = ""):
    """B on A's invite token (revoke, resend); A's invite stays as it was."""
    from panelist.candidates.campaigns import get_invite_by_token

    token = _token_of(a)
    before = get_invite_by_token(a.id, token)
    reply = api(function, path=f"/api/invites/{token}{suffix}", path_params={"token": token}, headers=b.as_admin())
    assert get_invite_by_token(a.id, token) == before, f"B's {function} changed A's invite"
    return reply


def _candidates_listed_by_b(api, a, b) -> tuple[str, list]:
    candidate_id = _profile_of(a)
    listed = []
    for query in ({}, {"external_id": "isolation"}, {"email": "iso@example.com"}):
        listed += api("list_candidates", query=query, headers=b.as_member()).body["candidates"]
    return candidate_id, listed


def _review_as_b(api, a, b):
    """B's member key recording a decision on A's completed session: A's session and its reviews stay as they were."""
    from panelist.compliance.review_store import count_reviews
    from panelist.sessions.store import get_session

    session_id = _session_of(a)
    reply = api(
        "review_session",
        path=f"/api/sessions/{session_id}/review",
        path_params={"id": session_id},
        body={"reviewer": "B", "decision": "reject"},
        headers=b.as_member(),
    )
    assert get_session(a.id, session_id).decision is None, "B's review decided A's session"
    assert count_reviews(a.id, session_id) == 0
    return reply


def _hiring_settings_seen_by_b(api, a, b) -> tuple[str, list]:
    """A's hiring settings never show in B's, and B's admin PATCH never changes A's (test_hiring_settings)."""
    from panelist.compliance.settings import hiring_settings

    contact = f"a-{a.id[:8]}@example.com"
    api("update_organization_settings", body={"alternative_contact": contact}, headers=a.as_admin())
    patched = api(
        "update_organization_settings",
        body={"alternative_contact": "b@example.com", "human_review_required": True},
        headers=b.as_admin(),
    )
    assert patched.status == 200, patched.body
    after = hiring_settings(a.id)
    assert (after.alternative_contact, after.human_review_required) == (contact, False), "B changed A's settings"
    return contact, [patched.body, api("get_organization_settings", headers=b.as_member()).body]


def _accommodation_of(tenant) -> str:
    """An accommodation request of `tenant` (a new one on every call)."""
    from panelist.compliance.accommodations import Asker, read_form, submit
    from panelist.models.accommodations import AccommodationSource

    asker = Asker(
        organization_id=tenant.id,
        interview_id=_interview_uuid_of(tenant),
        source=AccommodationSource.take,
        link=f"ISOLATION#{new_id()}",
        candidate_id=None,
        name="Iso Late",
        email="iso@example.com",
    )
    form = read_form({"kind": "accommodation", "details": "A's words"}, name_required=False)
    return submit(asker, form, language="en").id


def _update_accommodation_as_b(api, a, b):
    from panelist.compliance import accommodation_store

    request_id = _accommodation_of(a)
    before = accommodation_store.get(a.id, request_id)
    reply = api(
        "update_accommodation_request",
        path=f"/api/accommodation-requests/{request_id}",
        path_params={"id": request_id},
        body={"status": "resolved", "resolution_note": "B's note"},
        headers=b.as_admin(),
    )
    assert accommodation_store.get(a.id, request_id) == before, "B's update changed A's request"
    return reply


def _accommodations_listed_by_b(api, a, b) -> tuple[str, list]:
    request_id = _accommodation_of(a)
    listed = []
    for query in ({}, {"status": "open"}, {"interview_id": _interview_uuid_of(a)}):
        listed += api("list_accommodation_requests", query=query, headers=b.as_member()).body["requests"]
    return request_id, listed


# function -> (call as B on A's resource, expected status, what must not leak)
ROWS = {
    "create_api_key": lambda api, a, b: api(
        "create_api_key",
        path=_admin_path(a),
        path_params={"id": a.id},
        body={"name": "x"},
        headers=b.as_admin(),
    ),
    "list_api_keys": lambda api, a, b: api(
        "list_api_keys", path=_admin_path(a), path_params={"id": a.id}, headers=b.as_admin()
    ),
    "revoke_api_key": lambda api, a, b: api(
        "revoke_api_key",
        path=_admin_path(a, f"/{a.member_key_id}"),
        path_params={"id": a.id, "key_id": a.member_key_id},
        headers=b.as_admin(),
    ),
    "get_task_status": lambda api, a, b: api(
        "get_task_status",
        path=f"/api/v2/task-executions/status/{_job_of(api, a)}",
        path_params={"job_id": _job_of(api, a)},
        headers=b.as_member(),
    ),
    "get_interview_details": lambda api, a, b: api(
        "get_interview_details",
        path=f"/api/v2/ai-interviews/details/{_interview_of(a)}",
        path_params={"ai_interview_id": str(_interview_of(a))},
        headers=b.as_member(),
    ),
    "get_interview": lambda api, a, b: _interview_route_as_b(api, a, b, "get_interview"),
    "update_interview": lambda api, a, b: _interview_route_as_b(
        api, a, b, "update_interview", {"status": "archived", "role": "B's role"}
    ),
    "delete_interview": lambda api, a, b: _interview_route_as_b(api, a, b, "delete_interview"),
    "get_campaign": lambda api, a, b: api(
        "get_campaign",
        path=f"/api/campaigns/{_campaign_of(a)}",
        path_params={"id": _campaign_of(a)},
        headers=b.as_member(),
    ),
    "update_campaign": lambda api, a, b: api(
        "update_campaign",
        path=f"/api/campaigns/{_campaign_of(a)}",
        path_params={"id": _campaign_of(a)},
        body={"status": "archived"},
        headers=b.as_member(),
    ),
    "create_invites": lambda api, a, b: api(
        "create_invites",
        path=f"/api/campaigns/{_campaign_of(a)}/invites",
        path_params={"id": _campaign_of(a)},
        body={"emails": ["x@example.com"]},
        headers=b.as_member(),
    ),
    "get_invite": lambda api, a, b: api(
        "get_invite", path=f"/api/invites/{_token_of(a)}", path_params={"token": _token_of(a)}, headers=b.as_member()
    ),
    "get_session": lambda api, a, b: _as_b_on_session(api, a, b, "get_session", "/api/sessions/{}"),
    "get_session_result": lambda api, a, b: _as_b_on_session(
        api, a, b, "get_session_result", "/api/sessions/{}/result"
    ),
    "get_transcript": lambda api, a, b: _as_b_on_session(api, a, b, "get_transcript", "/api/session/{}/transcript"),
    "get_session_audio": lambda api, a, b: _as_b_on_session(api, a, b, "get_session_audio", "/api/session/{}/audio"),
    "get_session_pdf": lambda api, a, b: _as_b_on_session(api, a, b, "get_session_pdf", "/api/session/{}/pdf"),
    "delete_webhook": _delete_webhook_as_b,
    "get_webhook": lambda api, a, b: _on_endpoint_as_b(api, a, b, "get_webhook", "/api/webhooks/{}"),
    "update_webhook": lambda api, a, b: _on_endpoint_as_b(
        api, a, b, "update_webhook", "/api/webhooks/{}", body={"enabled": False}
    ),
    "test_webhook": lambda api, a, b: _on_endpoint_as_b(api, a, b, "test_webhook", "/api/webhooks/{}/test"),
    "list_webhook_deliveries": lambda api, a, b: _on_endpoint_as_b(
        api, a, b, "list_webhook_deliveries", "/api/webhooks/{}/deliveries"
    ),
    "replay_webhook_delivery": _replay_delivery_as_b,
    "share_report": lambda api, a, b: _share_report_as_b(api, a, b, "share"),
    "list_report_shares": _list_shares_as_b,
    "revoke_report_share": _revoke_share_as_b,
    "erase_candidate": _erase_candidate_as_b,
    "list_candidate_audit": lambda api, a, b: api(
        "list_candidate_audit",
        path=f"/api/candidates/{_candidate_of(a)}/audit",
        path_params={"id": _candidate_of(a)},
        query={},
        headers=b.as_admin(),
    ),
    "get_candidate": lambda api, a, b: _candidate_route_as_b(api, a, b, "get_candidate"),
    "update_candidate": lambda api, a, b: _candidate_route_as_b(
        api, a, b, "update_candidate", {"name": "B's name", "external_id": "b"}
    ),
    "list_campaign_invites": lambda api, a, b: api(
        "list_campaign_invites",
        path=f"/api/campaigns/{_campaign_of(a)}/invites",
        path_params={"id": _campaign_of(a)},
        query={},
        headers=b.as_member(),
    ),
    "revoke_invite": lambda api, a, b: _invite_route_as_b(api, a, b, "revoke_invite"),
    "resend_invite": lambda api, a, b: _invite_route_as_b(api, a, b, "resend_invite", "/resend"),
    "update_accommodation_request": _update_accommodation_as_b,
    # B's admin key recording a self-identification for A's session (test_self_identification, test_impact_report)
    "put_self_identification": lambda api, a, b: api(
        "put_self_identification",
        path=f"/api/sessions/{_session_of(a)}/self-identification",
        path_params={"id": _session_of(a)},
        body={"sex": "decline"},
        headers=b.as_admin(),
    ),
    # B's impact report on A's interview: 404 as for an unknown interview (B's report never counts A's sessions)
    "impact_report": lambda api, a, b: api(
        "impact_report", query={"interview_id": _interview_uuid_of(a)}, headers=b.as_member()
    ),
    # Responsible hiring (test_reviews, test_explanations): B's key on A's session, 404 as for an unknown one.
    "review_session": _review_as_b,
    "list_session_reviews": lambda api, a, b: _as_b_on_session(
        api, a, b, "list_session_reviews", "/api/sessions/{}/reviews"
    ),
    "create_explanation": lambda api, a, b: _as_b_on_session(
        api, a, b, "create_explanation", "/api/sessions/{}/explanation"
    ),
}
# B's download of A's report is a 404 too (the same function as share_report, another option).
ROWS_BY_OPTION = {"share_report_download": lambda api, a, b: _share_report_as_b(api, a, b, "download")}
# Pages a candidate's link opens: no organization key is involved, the unguessable token is the
# credential (test_open_invite: an unknown or forged token is a 404 page). A shared report's or a report
# file's token names its organization and is signed: test_view_shared_report and test_open_report_file
# show that a forged, tampered or foreign token opens nothing (403).
# An interview session's pages (start_interview through record_signals) take a signed session token naming
# its organization and session: test_interview_flow shows a forged, foreign or expired one opens nothing.
TOKEN_PAGES = {
    "open_invite",
    "view_shared_report",
    "open_report_file",
    "start_interview",
    "interview_session",
    "submit_answer",
    "create_interview_upload",
    "attach_resume",
    "record_signals",
    "get_question_voice",  # test_question_voice: a forged token gets nothing
    "record_self_identification",  # test_self_identification: a forged token records nothing (403)
    "view_explanation",  # test_explanations: a forged, tampered, foreign-audience or expired token shows nothing
}
# JobMojito's interview pages: their token names its organization and is signed (test_candidate_pages:
# forged, tampered, foreign, another type or another id: 403; the token route below signs nothing foreign).
TOKEN_PAGES |= {
    "take_interview",
    "start_profile_interview",
    "profile_results",
    "result_for_candidate",
    "result_for_recruiter",
    "position_results",
}
# A candidate's request for an alternative process or an accommodation: the invite page's takes the invite's
# unguessable token (as open_invite), the take page's the same signed interview-for-profile token as
# start_profile_interview (test_accommodations: a forged one is a 403 and stores nothing).
TOKEN_PAGES |= {"request_accommodation", "request_take_accommodation"}
PLATFORM_SCOPED = {"create_api_key", "list_api_keys", "revoke_api_key"}
LISTS = {
    "list_candidates": _candidates_listed_by_b,
    # The organization's own settings (no id in the path): B reads and changes only B's.
    "get_organization_settings": _hiring_settings_seen_by_b,
    "update_organization_settings": _hiring_settings_seen_by_b,
    "list_sessions": lambda api, a, b: (
        _session_of(a),
        api("list_sessions", query={}, headers=b.as_member()).body["sessions"],
    ),
    "list_interviews": lambda api, a, b: (
        _interview_uuid_of(a),
        api("list_interviews", query={}, headers=b.as_member()).body["interviews"],
    ),
    "list_campaigns": lambda api, a, b: (
        _campaign_of(a),
        api("list_campaigns", query={}, headers=b.as_member()).body["campaigns"],
    ),
    "list_projects": lambda api, a, b: (
        create_project(a.id, ProjectCreate(name="A only")).id,
        api("list_projects", query={}, headers=b.as_member()).body["projects"],
    ),
    "list_accommodation_requests": _accommodations_listed_by_b,
    "list_webhooks": lambda api, a, b: (
        _endpoint_of(a),
        api("list_webhooks", query={}, headers=b.as_member()).body["webhooks"],
    ),
    # An organization admin's summary covers it and its sub-merchants only: never a sibling tenant.
    "get_credit_summary": lambda api, a, b: (
        a.id,
        api("get_credit_summary", headers=b.as_admin()).body,
    ),
    # A's charge (0.7 credits, a figure B's usage cannot otherwise show) never appears in B's usage.
    "get_billing_usage": lambda api, a, b: (
        _charged(a, 7),
        api("get_billing_usage", query={}, headers=b.as_member()).body,
    ),
}


def _charged(tenant, tenths: int) -> str:
    credits.charge(tenant.id, tenths, kind=ChargeKind.translation, reference=new_id(), description="isolation")
    return f"{tenths / 10}"


def test_every_route_with_an_id_or_a_list_has_a_row(template):
    for route in template.routes:
        folder = template.functions[route.function].code_dir.name
        if "{" in route.path and folder not in TOKEN_PAGES:
            assert folder in ROWS, f"{route.method} {route.path} needs a tenant-isolation row"
        if folder.startswith("list_") and "{" not in route.path and not route.path.startswith("/api/admin/"):
            assert folder in LISTS, f"{route.method} {route.path} needs a tenant-isolation list row"


@pytest.mark.parametrize("function", sorted(ROWS | ROWS_BY_OPTION))
def test_b_cannot_reach_a_resource_of_a(api, tenant_a, tenant_b, function):
    reply = (ROWS | ROWS_BY_OPTION)[function](api, tenant_a, tenant_b)
    assert reply.status == (403 if function in PLATFORM_SCOPED else 404), reply.body
    assert tenant_a.id not in str(reply.body)


@pytest.mark.parametrize("function", sorted(LISTS))
def test_b_never_lists_a_resource_of_a(api, tenant_a, tenant_b, function):
    a_id, listed = LISTS[function](api, tenant_a, tenant_b)
    assert a_id not in str(listed)


# POST /job-interview-token names ids in its body: B naming A's answers JobMojito's 422 naming the field,
# exactly as for an id that does not exist, and signs nothing.
JOB_INTERVIEW_TOKEN_ROWS = {
    "interview-for-profile": (
        "interview_id",
        lambda a: {"interview_id": _interview_uuid_of(a), "interview_profile_id": "x"},
    ),
    "results-for-profile": ("interview_profile_id", lambda a: {"interview_profile_id": _candidate_of(a)}),
    "interview-result-candidate": ("interview_result_id", lambda a: {"interview_result_id": _session_of(a)}),
    "interview-result-talent-seeker": ("interview_result_id", lambda a: {"interview_result_id": _session_of(a)}),
    "interview-results-for-position": ("interview_id", lambda a: {"interview_id": _interview_uuid_of(a)}),
}


def _interview_uuid_of(tenant) -> str:
    return get_interview_by_number(tenant.id, _interview_of(tenant)).id


def _candidate_of(tenant) -> str:
    from panelist.sessions.store import get_session

    return get_session(tenant.id, _session_of(tenant)).candidate_id


@pytest.mark.parametrize("kind", sorted(JOB_INTERVIEW_TOKEN_ROWS))
def test_b_cannot_sign_a_link_to_a_resource_of_a(api, tenant_a, tenant_b, kind):
    field, ids = JOB_INTERVIEW_TOKEN_ROWS[kind]
    body = {"type": kind, **ids(tenant_a)}
    reply = api("create_job_interview_token", body=body, headers=tenant_b.as_admin())
    assert (reply.status, reply.body["name"]) == (422, field), reply.body
    assert tenant_a.id not in str(reply.body)
    reply = api("create_job_interview_token", body={**body, "merchant_id": tenant_a.id}, headers=tenant_b.as_admin())
    assert (reply.status, reply.body["name"]) == (500, "merchant_id"), "B cannot act for A either"


# POST /job-interview-pdf names results in its body: B naming A's answers the same 422 as an id that does
# not exist, for both fields and whatever the export type, and exports nothing.
@pytest.mark.parametrize("export_type", ["pdf", "html", "json"])
@pytest.mark.parametrize("field", ["interview_result_id", "interview_result_ids"])
def test_b_cannot_export_a_report_of_a(api, tenant_a, tenant_b, field, export_type):
    session_id = _session_of(tenant_a)
    ids = session_id if field == "interview_result_id" else [session_id]
    reply = api("export_report", body={field: ids, "export_type": export_type}, headers=tenant_b.as_member())
    assert (reply.status, reply.body) == (
        422,
        {"error": f"No interview result {session_id} in this organization", "name": field},
    )
    assert tenant_a.id not in str(reply.body)
