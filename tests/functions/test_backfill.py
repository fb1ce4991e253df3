"""The issue-15 backfill (panelist_local.backfill): entities stored the way an earlier deployment stored
them (the main item and the counters it kept, none of the new index items) appear in the new filtered lists
with the right totals after one run; a second run writes nothing; one organization's run leaves others alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from panelist.candidates import store as candidates_store
from panelist.core.storage import counter_op, org_pk, put_op, table
from panelist.interviews import store as interviews_store
from panelist.models.candidates import Candidate
from panelist.models.common import new_id
from panelist.models.interviews import Interview, InterviewStatus
from panelist.models.sessions import Assessment, Session, SessionStatus
from panelist.sessions import store as sessions_store
from panelist_local import backfill
from tests.functions.harness import ROOT
from tests.functions.test_invite_operations import _campaign_with
from tests.functions.test_invite_operations import _list as _list_invites

DAY0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
INVITE_LIST_KEYS = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "lists")


# ------------------------------------------------------------------ as an earlier deployment stored them


def _old_interview(tenant, status: InterviewStatus, number: int) -> Interview:
    event = json.loads((ROOT / "events/persist_interview.json").read_text())
    interview = Interview.model_validate(
        {**event["interview"], "organization_id": tenant.id, "id": new_id(), "status": status, "number": number}
    )
    item = {k: v for k, v in interviews_store._item(interview).items() if not k.startswith("GSI")}
    table().transact(put_op(item, unique=True), counter_op(org_pk(tenant.id), interviews_store.ALL_COUNTER))
    return interview


def _old_candidate(tenant, email: str) -> Candidate:
    candidate = Candidate(id=new_id(), organization_id=tenant.id, name="Ada", email=email, created_at=DAY0)
    table().put(candidates_store._candidate_item(candidate), unique=True)
    return candidate


def _old_session(tenant, n: int, *, interview_id: str, candidate_id: str, score: float | None) -> Session:
    started = DAY0 + timedelta(hours=n)
    status = SessionStatus.completed if score is not None else SessionStatus.in_progress
    session = Session(
        id=new_id(),
        number=n + 1,
        organization_id=tenant.id,
        interview_id=interview_id,
        candidate_id=candidate_id,
        participant_email="ada@example.com",
        status=status,
        assessment=None
        if score is None
        else Assessment(score=score, resume_analysis="r", overall="o", why_hire=["h"], why_not_hire=["n"]),
        started_at=started,
        completed_at=None if score is None else started + timedelta(minutes=12),
        updated_at=started + timedelta(minutes=12),
    )
    pk = org_pk(tenant.id)
    # what an earlier deployment wrote: the session (all/status/campaign lists), its counters, nothing of issue 15
    table().transact(
        put_op(sessions_store.session_item(session), unique=True),
        counter_op(pk, "sessions"),
        *sessions_store._counted(session, list(sessions_store.session_lists(session).values()), 1),
    )
    return session


def _strip_invite_lists(tenant) -> int:
    items = table().query(org_pk(tenant.id), prefix=candidates_store.INVITE_PREFIX, limit=100).items
    for item in items:
        table().update(item["PK"], item["SK"], "REMOVE " + ", ".join(INVITE_LIST_KEYS))
    return len(items)


@pytest.fixture
def old_data(api, tenant_a):
    campaign, _ = _campaign_with(api, tenant_a, "u1@example.com", "u2@example.com")  # its interview is a new one
    assert _strip_invite_lists(tenant_a) == 2
    (published,) = _get(api, "list_interviews", tenant_a, status="published")["interviews"]
    interviews = [
        _old_interview(tenant_a, InterviewStatus.published, 1),
        _old_interview(tenant_a, InterviewStatus.published, 2),
        _old_interview(tenant_a, InterviewStatus.draft, 3),
    ]
    ada = _old_candidate(tenant_a, "ada@example.com")
    bob = _old_candidate(tenant_a, "bob@example.com")
    sessions = [
        _old_session(tenant_a, 0, interview_id=interviews[0].id, candidate_id=ada.id, score=81.5),
        _old_session(tenant_a, 1, interview_id=interviews[0].id, candidate_id=bob.id, score=42),
        _old_session(tenant_a, 2, interview_id=interviews[0].id, candidate_id=ada.id, score=None),
        _old_session(tenant_a, 3, interview_id=interviews[1].id, candidate_id=bob.id, score=67),
    ]
    return {
        "interviews": interviews,
        "candidates": [ada, bob],
        "sessions": sessions,
        "campaign": campaign,
        "new_interview": published["id"],
    }


def _get(api, function, tenant, **query):
    reply = api(function, query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    return reply.body


def _views(api, tenant, data) -> dict[str, object]:
    """What the new filtered lists show: (ids, total) of each."""
    interviews, sessions = data["interviews"], data["sessions"]

    def ids(body, key):
        return [i["id"] for i in body[key]], body["total"]

    return {
        "published": ids(_get(api, "list_interviews", tenant, status="published"), "interviews"),
        "draft": ids(_get(api, "list_interviews", tenant, status="draft"), "interviews"),
        "all_interviews": _get(api, "list_interviews", tenant)["total"],
        "ada": ids(_get(api, "list_candidates", tenant, email="ADA@example.com"), "candidates"),
        "all_candidates": _get(api, "list_candidates", tenant)["total"],
        "by_interview": ids(_get(api, "list_sessions", tenant, interview_id=interviews[0].id), "sessions"),
        "by_interview_completed": ids(
            _get(api, "list_sessions", tenant, interview_id=interviews[0].id, status="completed"), "sessions"
        ),
        "by_candidate": ids(_get(api, "list_sessions", tenant, candidate_id=sessions[1].candidate_id), "sessions"),
        "by_score": ids(_get(api, "list_sessions", tenant, sort="score"), "sessions"),
        "min_score": ids(_get(api, "list_sessions", tenant, min_score=60), "sessions"),
        "invites": _list_invites(api, tenant, data["campaign"]).body["total"],
        "pending_invites": _list_invites(api, tenant, data["campaign"], status="pending").body["total"],
    }


def test_old_entities_are_missing_from_the_new_lists_until_the_backfill(api, tenant_a, old_data):
    before = _views(api, tenant_a, old_data)
    assert before["published"] == ([old_data["new_interview"]], 1)
    assert before["ada"] == ([], 0)
    assert before["by_interview"] == ([], 0)
    assert before["by_score"] == ([], 0)
    assert before["pending_invites"] == 0


def test_the_backfill_lists_old_entities_with_right_totals_and_a_second_run_writes_nothing(api, tenant_a, old_data):
    interviews, (ada, _), sessions = old_data["interviews"], old_data["candidates"], old_data["sessions"]
    dry = backfill.backfill(tenant_a.id, dry_run=True)
    assert _views(api, tenant_a, old_data)["published"][1] == 1  # a dry run writes nothing

    first = backfill.backfill(tenant_a.id)
    assert first["total"] == dry["total"]
    assert {kind: counts["written"] for kind, counts in first["total"].items()} == {
        "interviews": 3,
        "candidates": 2,
        "external_ids": 0,
        "invites": 2,
        "sessions": 4,
    }
    assert all(counts["skipped"] == 0 for counts in first["total"].values())

    after = _views(api, tenant_a, old_data)
    assert after["published"] == ([old_data["new_interview"], interviews[0].id, interviews[1].id], 3)
    assert after["draft"] == ([interviews[2].id], 1)
    assert after["all_interviews"] == 4
    assert after["ada"] == ([ada.id], 1)
    assert after["all_candidates"] == 2
    assert after["by_interview"] == ([s.id for s in sessions[:3]], 3)
    assert after["by_interview_completed"] == ([s.id for s in sessions[:2]], 2)
    assert after["by_candidate"] == ([sessions[1].id, sessions[3].id], 2)
    assert after["by_score"] == ([sessions[0].id, sessions[3].id, sessions[1].id], 3)
    assert after["min_score"] == ([sessions[0].id, sessions[3].id], 2)
    assert (after["invites"], after["pending_invites"]) == (2, 2)

    second = backfill.backfill(tenant_a.id)
    assert all(counts == {"missing": 0, "written": 0, "skipped": 0} for counts in second["total"].values())
    assert _views(api, tenant_a, old_data) == after


def test_new_entities_are_left_alone_and_not_counted_twice(api, tenant_a):
    created = api(
        "create_candidate", body={"name": "New", "email": "new@example.com", "external_id": "ats-1"},
        headers=tenant_a.as_member(),
    )  # fmt: skip
    assert created.status == 201, created.body
    report = backfill.backfill(tenant_a.id)
    assert all(counts["missing"] == 0 for counts in report["total"].values())
    assert _get(api, "list_candidates", tenant_a, email="new@example.com")["total"] == 1
    assert _get(api, "list_candidates", tenant_a, external_id="ats-1")["total"] == 1


def test_a_session_finished_after_the_upgrade_gets_only_what_it_still_misses(api, tenant_a):
    interview = _old_interview(tenant_a, InterviewStatus.published, 1)
    session = _old_session(tenant_a, 0, interview_id=interview.id, candidate_id=new_id(), score=None)
    # A new write meanwhile: the score list item, written (and counted) by the analysis of this version.
    analysed = session.model_copy(update={"assessment": Assessment(
        score=90, resume_analysis="r", overall="o", why_hire=[], why_not_hire=[])})  # fmt: skip
    sessions_store.save_analysis(analysed)
    assert _get(api, "list_sessions", tenant_a, sort="score")["total"] == 1
    backfill.backfill(tenant_a.id)
    assert _get(api, "list_sessions", tenant_a, sort="score")["total"] == 1  # not counted twice
    assert _get(api, "list_sessions", tenant_a, interview_id=interview.id)["total"] == 1
    assert backfill.backfill(tenant_a.id)["total"]["sessions"]["missing"] == 0


def test_backfilling_one_organization_leaves_another_alone(api, tenant_a, tenant_b):
    _old_interview(tenant_a, InterviewStatus.published, 1)
    theirs = _old_interview(tenant_b, InterviewStatus.published, 1)
    _old_candidate(tenant_b, "ada@example.com")
    report = backfill.backfill(tenant_a.id)
    assert list(report["organizations"]) == [tenant_a.id]
    assert _get(api, "list_interviews", tenant_a, status="published")["total"] == 1
    assert _get(api, "list_interviews", tenant_b, status="published")["total"] == 0
    assert _get(api, "list_candidates", tenant_b, email="ada@example.com")["total"] == 0

    everyone = backfill.backfill()
    assert tenant_b.id in everyone["organizations"]
    assert everyone["organizations"][tenant_b.id]["interviews"]["written"] == 1
    assert _get(api, "list_interviews", tenant_b, status="published")["total"] == 1
    assert _get(api, "list_interviews", tenant_b, status="published")["interviews"][0]["id"] == theirs.id
    assert _get(api, "list_candidates", tenant_b, email="ada@example.com")["total"] == 1
