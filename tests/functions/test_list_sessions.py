"""Session lists (seed 004) and the session lifecycle behind their counters.

Totals come from counters kept in the transaction of each change, so they must stay exact: filters,
date ranges, paging edges, and 50 sessions completing at once.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from panelist.accounts.projects import create_project
from panelist.candidates.campaigns import (
    create_campaign,
    create_invites,
    get_campaign,
    get_invite_by_token,
    open_invite,
)
from panelist.core.errors import Conflict, Gone
from panelist.core.storage import org_pk, table
from panelist.interviews.store import save_new_interview
from panelist.models.campaigns import CampaignCreate, InviteRequest, InviteStatus, ProjectCreate
from panelist.models.common import new_id, now
from panelist.models.interviews import Interview
from panelist.models.sessions import Session, SessionStatus
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.sessions.lifecycle import finish_session, save_new_session
from panelist.sessions.store import list_sessions
from panelist.webhooks.endpoints import create_endpoint
from tests.functions.harness import BAD_PAGING, ROOT, queued_webhooks

DAY0 = datetime(2024, 10, 20, 10, 0, tzinfo=UTC)


def make_campaign(tenant, **fields) -> str:
    event = json.loads((ROOT / "events/persist_interview.json").read_text())
    draft = Interview.model_validate({**event["interview"], "organization_id": tenant.id, "id": new_id()})
    script = save_new_interview(draft).id
    project = create_project(tenant.id, ProjectCreate(name="P")).id
    return create_campaign(tenant.id, CampaignCreate(name="C", script_id=script, project_id=project, **fields)).id


def start(tenant, started=DAY0, *, campaign_id=None, invite_id=None, status=SessionStatus.in_progress) -> Session:
    return save_new_session(
        Session(
            id=new_id(),
            number=0,
            organization_id=tenant.id,
            interview_id=new_id(),
            candidate_id=new_id(),
            campaign_id=campaign_id,
            invite_id=invite_id,
            participant_email="user@example.com",
            status=status,
            started_at=started,
            completed_at=started + timedelta(minutes=12) if status is SessionStatus.completed else None,
            updated_at=started + timedelta(minutes=12),
        )
    )


def _list(api, tenant, **query):
    return api("list_sessions", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


@pytest.fixture
def spread(tenant_a):
    """Ten sessions, one a day from DAY0: two campaigns, statuses mixed; some finished."""
    campaigns = [make_campaign(tenant_a), make_campaign(tenant_a)]
    sessions = [start(tenant_a, DAY0 + timedelta(days=i), campaign_id=campaigns[i % 2]) for i in range(10)]
    for s in sessions[:6]:
        finish_session(tenant_a.id, s.id, SessionStatus.completed, at=s.started_at + timedelta(minutes=12))
    finish_session(tenant_a.id, sessions[6].id, SessionStatus.abandoned)
    return campaigns, sessions


def test_the_seed_example_lists_a_campaigns_completed_sessions_in_the_seeds_shape(api, tenant_a, spread):
    campaigns, sessions = spread
    body = _list(api, tenant_a, campaign_id=campaigns[0], status="completed").body
    assert [s["id"] for s in body["sessions"]] == [sessions[i].id for i in (0, 2, 4)]
    assert body["total"] == 3
    first = body["sessions"][0]
    assert first == {
        "id": sessions[0].id,
        "response_id": sessions[0].number,
        "campaign_id": campaigns[0],
        "participant_email": "user@example.com",
        "status": "completed",
        "duration_minutes": 12,
        "started_at": "2024-10-20T10:00:00Z",
        "completed_at": "2024-10-20T10:12:00Z",
        # issue 15: ids and scoring (no candidate or interview stored here; not analysed)
        "candidate_id": sessions[0].candidate_id,
        "external_id": None,
        "interview_id": sessions[0].interview_id,
        "ai_interview_id": None,
        "overall_score": None,
        "bucket": None,
        "analysis_status": "pending",
        "review": {"required": False, "status": "not_required", "decision": None, "decided_at": None},
    }
    assert body["pagination"] == {"total": 3, "limit": 50, "offset": 0, "has_more": False}


FILTERS = [
    ({}, list(range(10))),
    ({"status": "completed"}, [0, 1, 2, 3, 4, 5]),
    ({"status": "abandoned"}, [6]),
    ({"status": "in_progress"}, [7, 8, 9]),
    ({"start_date": "2024-10-25"}, [5, 6, 7, 8, 9]),
    ({"end_date": "2024-10-21"}, [0, 1]),
    ({"start_date": "2024-10-22", "end_date": "2024-10-22"}, [2]),
    ({"start_date": "2024-10-21", "end_date": "2024-10-27", "status": "completed"}, [1, 2, 3, 4, 5]),
    ({"start_date": "2024-10-24", "status": "in_progress", "campaign": 1}, [7, 9]),
    ({"start_date": "2025-01-01"}, []),
    ({"end_date": "2024-10-19"}, []),
]


def test_filters_and_date_ranges_give_the_right_sessions_and_total(api, tenant_a, spread):
    campaigns, sessions = spread
    for query, expected in FILTERS:
        if "campaign" in query:
            query = {**query, "campaign_id": campaigns[query["campaign"]]}
            del query["campaign"]
        body = _list(api, tenant_a, **query).body
        assert [s["id"] for s in body["sessions"]] == [sessions[i].id for i in expected], query
        assert body["total"] == len(expected), query


def test_totals_over_years_months_and_days_add_up(tenant_a):
    """A range spanning whole years, whole months and single days is totalled from those counters."""
    days = ["2023-12-30", "2024-01-01", "2024-02-29", "2024-12-31", "2025-01-01", "2025-03-15", "2025-03-16"]
    for day in days:
        start(tenant_a, datetime.fromisoformat(day).replace(hour=23, tzinfo=UTC))
    cases = {
        ("2023-12-31", "2025-03-15"): 5,
        ("2023-01-01", "2026-01-01"): 7,
        ("2024-01-01", "2024-12-31"): 3,
        ("2024-02-29", "2025-01-01"): 3,
        ("2025-03-16", "2025-03-16"): 1,
    }
    for (low, high), total in cases.items():
        found, counted = list_sessions(
            tenant_a.id, start_date=datetime.fromisoformat(low).date(), end_date=datetime.fromisoformat(high).date()
        )
        assert (len(found), counted) == (total, total), (low, high)


def test_pages_walk_the_list_and_stop_past_the_end(api, tenant_a, spread):
    _, sessions = spread
    page = _list(api, tenant_a, limit=4, offset=8).body
    assert [s["id"] for s in page["sessions"]] == [sessions[8].id, sessions[9].id]
    assert page["pagination"] == {"total": 10, "limit": 4, "offset": 8, "has_more": False}
    page = _list(api, tenant_a, limit=3, offset=3).body
    assert [s["id"] for s in page["sessions"]] == [s.id for s in sessions[3:6]]
    assert page["pagination"]["has_more"] is True
    past = _list(api, tenant_a, offset=50).body
    assert (past["sessions"], past["total"]) == ([], 10)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        *BAD_PAGING,
        ({"status": "done"}, "status"),
        ({"start_date": "20-10-2024"}, "start_date"),
        ({"end_date": "2024-10-20T10:30:00Z"}, "end_date"),
        ({"start_date": "2024-10-21", "end_date": "2024-10-20"}, "end_date"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(api, tenant_a, query, field):
    reply = _list(api, tenant_a, **query)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field


def test_finishing_moves_a_session_between_lists_once(tenant_a):
    campaign = make_campaign(tenant_a)
    session = start(tenant_a, campaign_id=campaign)
    assert list_sessions(tenant_a.id, status=SessionStatus.in_progress)[1] == 1
    done = finish_session(tenant_a.id, session.id, SessionStatus.completed)
    again = finish_session(tenant_a.id, session.id, SessionStatus.completed)
    assert again.completed_at == done.completed_at
    assert list_sessions(tenant_a.id, status=SessionStatus.in_progress) == ([], 0)
    assert list_sessions(tenant_a.id, campaign_id=campaign, status=SessionStatus.completed)[1] == 1
    assert (get_campaign(tenant_a.id, campaign).started, get_campaign(tenant_a.id, campaign).completed) == (1, 1)
    with pytest.raises(Conflict):
        finish_session(tenant_a.id, session.id, SessionStatus.abandoned)


@pytest.mark.slow
def test_fifty_sessions_completing_at_once_count_fifty(tenant_a):
    campaign = make_campaign(tenant_a)
    sessions = [start(tenant_a, now(), campaign_id=campaign) for _ in range(50)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda s: finish_session(tenant_a.id, s.id, SessionStatus.completed), sessions))
    stats = get_campaign(tenant_a.id, campaign)
    assert (stats.started, stats.completed) == (50, 50)
    assert list_sessions(tenant_a.id, campaign_id=campaign, status=SessionStatus.completed, limit=100)[1] == 50
    assert list_sessions(tenant_a.id, status=SessionStatus.in_progress)[1] == 0
    today = now().date()
    assert list_sessions(tenant_a.id, start_date=today, end_date=today, limit=1)[1] == 50


def _invite(tenant, campaign_id) -> str:
    request = InviteRequest(emails=["candidate@example.com"], send_email=False)
    return create_invites(tenant.id, campaign_id, request, base_url="https://x.example")[0][0].token


def test_an_invite_starts_one_session_and_follows_it(tenant_a):
    campaign = make_campaign(tenant_a)
    token = _invite(tenant_a, campaign)
    invite = get_invite_by_token(tenant_a.id, token)
    session = start(tenant_a, now(), campaign_id=campaign, invite_id=invite.id)
    assert get_invite_by_token(tenant_a.id, token).status is InviteStatus.started
    with pytest.raises(Conflict):
        start(tenant_a, now(), campaign_id=campaign, invite_id=invite.id)
    finish_session(tenant_a.id, session.id, SessionStatus.completed)
    assert get_invite_by_token(tenant_a.id, token).status is InviteStatus.completed
    assert get_campaign(tenant_a.id, campaign).started == 1
    assert list_sessions(tenant_a.id)[1] == 1


def test_an_expired_invite_cannot_start_a_session(tenant_a):
    campaign = make_campaign(tenant_a)
    invite = get_invite_by_token(tenant_a.id, _invite(tenant_a, campaign))
    table().update(org_pk(tenant_a.id), f"INVITE#{invite.id}", "SET expires_at = :past", past="2024-01-01T00:00:00Z")
    with pytest.raises(Gone):
        start(tenant_a, now(), campaign_id=campaign, invite_id=invite.id)
    assert list_sessions(tenant_a.id) == ([], 0)
    assert get_campaign(tenant_a.id, campaign).started == 0


def test_an_invite_opened_started_and_completed_notifies_subscribers_in_order(queue, tenant_a):
    endpoint = create_endpoint(tenant_a.id, WebhookEndpointCreate(url="https://hooks.example.com/relay"))
    campaign = make_campaign(tenant_a)
    token = _invite(tenant_a, campaign)
    invite = open_invite(token)
    assert open_invite(token).opened_at == invite.opened_at  # opened once
    session = start(tenant_a, now(), campaign_id=campaign, invite_id=invite.id)
    finish_session(tenant_a.id, session.id, SessionStatus.completed)
    finish_session(tenant_a.id, session.id, SessionStatus.completed)  # a retry notifies nobody again

    messages = queued_webhooks(queue)
    assert [m["type"] for m in messages] == ["invite.opened", "session.started", "session.completed"]
    assert {m["url"] for m in messages} == {endpoint.url}
    opened, started, completed = (m["payload"]["data"] for m in messages)
    assert (opened["id"], opened["status"], opened["campaign_id"]) == (invite.id, "opened", campaign)
    assert "token" not in opened
    assert (started["id"], started["status"], started["invite_id"]) == (session.id, "in_progress", invite.id)
    assert (completed["id"], completed["status"], completed["response_id"]) == (session.id, "completed", session.number)
    assert completed["completed_at"].endswith("Z")


def test_an_expired_invite_cannot_be_opened(tenant_a):
    campaign = make_campaign(tenant_a)
    token = _invite(tenant_a, campaign)
    invite = get_invite_by_token(tenant_a.id, token)
    table().update(org_pk(tenant_a.id), f"INVITE#{invite.id}", "SET expires_at = :past", past="2024-01-01T00:00:00Z")
    with pytest.raises(Gone):
        open_invite(token)
