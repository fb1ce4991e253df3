"""Campaigns (seed 004): create, list with filters and paging, details with stats, status changes."""

import json

import pytest

from panelist.accounts.projects import create_project
from panelist.interviews.store import save_new_interview
from panelist.models.campaigns import ProjectCreate
from panelist.models.common import new_id
from panelist.models.interviews import Interview, InterviewStatus
from panelist.models.sessions import Session, SessionStatus
from panelist.sessions.lifecycle import save_new_session
from tests.functions.harness import BAD_PAGING, ROOT


def _script(tenant, status=InterviewStatus.published) -> str:
    event = json.loads((ROOT / "events/persist_interview.json").read_text())
    draft = Interview.model_validate(
        {**event["interview"], "organization_id": tenant.id, "id": new_id(), "status": status}
    )
    return save_new_interview(draft).id


def _project(tenant, name="Q4") -> str:
    return create_project(tenant.id, ProjectCreate(name=name)).id


def _create(api, tenant, **fields):
    body = {"name": "Q4 Customer Feedback", "invite_valid_hours": 168, **fields}
    body.setdefault("script_id", _script(tenant))
    body.setdefault("project_id", _project(tenant))
    return api("create_campaign", body=body, headers=tenant.as_member())


def _status(api, tenant, campaign_id, status):
    return api(
        "update_campaign",
        path=f"/api/campaigns/{campaign_id}",
        path_params={"id": campaign_id},
        body={"status": status},
        headers=tenant.as_member(),
    )


def _list(api, tenant, **query):
    return api("list_campaigns", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


def test_the_seed_example_creates_an_active_campaign(api, tenant_a):
    script, project = _script(tenant_a), _project(tenant_a)
    reply = _create(api, tenant_a, script_id=script, project_id=project)
    assert reply.status == 201
    assert set(reply.body) == {"id", "name", "script_id", "project_id", "status", "created_at"}
    assert (reply.body["script_id"], reply.body["project_id"], reply.body["status"]) == (script, project, "active")
    assert reply.body["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"invite_valid_hours": 0}, "invite_valid_hours"),
        ({"invite_valid_hours": -1}, "invite_valid_hours"),
        ({"invite_valid_hours": "x"}, "invite_valid_hours"),
        ({"script_id": "nope"}, "script_id"),
        ({"project_id": "nope"}, "project_id"),
    ],
)
def test_invalid_campaigns_are_400_naming_the_field(api, tenant_a, fields, field):
    reply = _create(api, tenant_a, **fields)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_a_draft_script_or_another_organizations_cannot_be_used(api, tenant_a, tenant_b):
    assert _create(api, tenant_a, script_id=_script(tenant_a, InterviewStatus.draft)).status == 400
    assert _create(api, tenant_a, script_id=_script(tenant_b)).status == 400
    assert _create(api, tenant_a, project_id=_project(tenant_b)).status == 400


def test_lists_filter_by_project_and_status_with_exact_totals(api, tenant_a):
    script, first, second = _script(tenant_a), _project(tenant_a, "one"), _project(tenant_a, "two")
    ids = [
        _create(api, tenant_a, name=f"C{i}", script_id=script, project_id=first if i < 3 else second).body["id"]
        for i in range(5)
    ]
    _status(api, tenant_a, ids[0], "completed")
    _status(api, tenant_a, ids[4], "archived")
    everything = _list(api, tenant_a).body
    assert [c["name"] for c in everything["campaigns"]] == ["C0", "C1", "C2", "C3", "C4"]
    assert set(everything["campaigns"][0]) == {"id", "name", "status", "invites_sent", "completed", "created_at"}
    assert _list(api, tenant_a, project_id=first).body["total"] == 3
    active = _list(api, tenant_a, status="active").body
    assert ([c["name"] for c in active["campaigns"]], active["total"]) == (["C1", "C2", "C3"], 3)
    both = _list(api, tenant_a, project_id=first, status="active").body
    assert ([c["name"] for c in both["campaigns"]], both["total"]) == (["C1", "C2"], 2)
    assert _list(api, tenant_a, project_id=second, status="archived").body["total"] == 1
    page = _list(api, tenant_a, limit=2, offset=2).body
    assert [c["name"] for c in page["campaigns"]] == ["C2", "C3"]
    assert page["pagination"] == {"total": 5, "limit": 2, "offset": 2, "has_more": True}
    past = _list(api, tenant_a, offset=10).body
    assert (past["campaigns"], past["total"], past["pagination"]["has_more"]) == ([], 5, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        *BAD_PAGING,
        ({"status": "paused"}, "status"),
    ],
)
def test_bad_list_parameters_are_400(api, tenant_a, query, field):
    reply = _list(api, tenant_a, **query)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_details_carry_stats_from_the_counters(api, tenant_a):
    campaign = _create(api, tenant_a).body
    for completed in (True, True, False):
        save_new_session(
            Session(
                id=new_id(),
                number=0,
                organization_id=tenant_a.id,
                interview_id=campaign["script_id"],
                candidate_id=new_id(),
                campaign_id=campaign["id"],
                status=SessionStatus.completed if completed else SessionStatus.in_progress,
                started_at="2026-11-20T10:00:00Z",
                updated_at="2026-11-20T10:12:00Z",
            )
        )
    reply = api(
        "get_campaign",
        path=f"/api/campaigns/{campaign['id']}",
        path_params={"id": campaign["id"]},
        headers=tenant_a.as_member(),
    )
    assert reply.status == 200
    assert reply.body["stats"] == {"invites_sent": 0, "started": 3, "completed": 2, "completion_rate": 0.67}
    assert {k: reply.body[k] for k in campaign} == campaign


def test_status_moves_forward_only(api, tenant_a):
    campaign_id = _create(api, tenant_a).body["id"]
    assert _status(api, tenant_a, campaign_id, "completed").body["status"] == "completed"
    back = _status(api, tenant_a, campaign_id, "active")
    assert back.status == 409
    assert back.body["error"]["details"] == {"field": "status", "expected": "archived"}
    assert _status(api, tenant_a, campaign_id, "archived").body["status"] == "archived"
    assert _status(api, tenant_a, campaign_id, "archived").status == 200  # already there: nothing to do
    assert _status(api, tenant_a, campaign_id, "completed").status == 409
    assert _status(api, tenant_a, campaign_id, "paused").status == 400
