"""The Interviews resource (issue 15): create by hand, list with filters, read, lifecycle, versions, archive."""

from __future__ import annotations

import copy

import pytest

from panelist.accounts.projects import create_project
from panelist.candidates.campaigns import create_campaign
from panelist.core.errors import Conflict
from panelist.interviews.analysis import analyse_session
from panelist.interviews.store import get_interview, get_interview_version, interview_for
from panelist.models.campaigns import CampaignCreate, ProjectCreate
from panelist.models.candidates import Candidate
from panelist.models.common import new_id, now
from panelist.models.sessions import SessionStatus
from panelist.reports.result import load_result
from panelist.sessions import flow
from tests.functions.test_interview_flow import _answer, _session_of

QUESTION = {
    "skill": "Python",
    "prompt": "How do you profile a slow Python service?",
    "evaluation_criteria": ["Measures first", "Knows profilers"],
    "expectations": {
        "strong": "Profiles, fixes the hot path, measures again.",
        "moderate": "Mentions profiling without a loop.",
        "weak": "Guesses.",
    },
}
BODY = {
    "role": "Senior Python Developer",
    "description": "Builds and runs our Django services.",
    "skills": [{"name": "Python", "weight": 0.6}, {"name": "Django", "category": "framework", "weight": 0.4}],
    "questions": [
        QUESTION,
        {**QUESTION, "skill": "django", "prompt": "How do you keep Django migrations safe on a busy table?"},
    ],
    "duration_minutes": 20,
    "language": "en",
}


def _body(**changes):
    return {**copy.deepcopy(BODY), **changes}


def _create(api, tenant, **changes):
    return api("create_interview", body=_body(**changes), headers=tenant.as_member())


def _id_call(api, function, tenant, interview_id, *, body=None, headers=None):
    return api(
        function,
        path=f"/api/interviews/{interview_id}",
        path_params={"id": interview_id},
        body=body,
        headers=headers or tenant.as_member(),
    )


def _patch(api, tenant, interview_id, **body):
    return _id_call(api, "update_interview", tenant, interview_id, body=body)


def _list(api, tenant, **query):
    return api("list_interviews", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


# ------------------------------------------------------------------ create and read


def test_an_interview_written_by_hand_is_a_draft_with_its_number_and_uuid(api, tenant_a):
    reply = _create(api, tenant_a)
    assert reply.status == 201, reply.body
    body = reply.body
    assert (body["status"], body["version"], body["name"]) == ("draft", 1, "Senior Python Developer - AI interview")
    assert isinstance(body["ai_interview_id"], int)
    assert body["ai_interview_id"] >= 1
    assert [q["id"] for q in body["questions"]] == ["q1", "q2"]
    assert [q["skill"] for q in body["questions"]] == ["Python", "Django"]  # the skill's own spelling
    assert body["questions"][0]["expectations"]["weak"] == "Guesses."
    assert body["questions"][0]["time_limit_seconds"] == 180
    assert body["created_at"].endswith("Z")
    assert _id_call(api, "get_interview", tenant_a, body["id"]).body == body
    # The Xobin details route reads it by its number, unchanged.
    number = body["ai_interview_id"]
    details = api(
        "get_interview_details",
        path=f"/api/v2/ai-interviews/details/{number}",
        path_params={"ai_interview_id": str(number)},
        headers=tenant_a.as_member(),
    )
    assert details.status == 200
    assert (details.body["id"], details.body["ai_interview_id"]) == (body["id"], number)


def test_skills_without_weights_weigh_the_same_and_given_ids_are_kept(api, tenant_a):
    skills = [{"name": "Python"}, {"name": "Django"}, {"name": "SQL"}]
    questions = [{**QUESTION, "id": "q2"}, {**QUESTION, "skill": "SQL"}]
    reply = _create(api, tenant_a, skills=skills, questions=questions, status="published", name="Backend")
    assert reply.status == 201, reply.body
    assert [s["weight"] for s in reply.body["skills"]] == [pytest.approx(1 / 3, abs=1e-3)] * 3
    assert [q["id"] for q in reply.body["questions"]] == ["q2", "q1"]
    assert (reply.body["status"], reply.body["name"]) == ("published", "Backend")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": ""}, "role"),
        ({"role": None}, "role"),
        ({"description": ""}, "description"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"language": "English!"}, "language"),
        ({"skills": []}, "skills"),
        ({"skills": [{"name": "Python"}, {"name": "python"}]}, "skills"),
        ({"skills": [{"name": "Python", "weight": 0.5}, {"name": "Django", "weight": 0.2}]}, "skills"),
        ({"skills": [{"name": "Python", "weight": 1}, {"name": "Django"}]}, "skills"),
        ({"questions": []}, "questions"),
        ({"questions": [{**QUESTION, "skill": "Rust"}]}, "questions.0.skill"),
        (
            {"questions": [{**QUESTION, "expectations": {"strong": "a", "moderate": "b"}}]},
            "questions.0.expectations.weak",
        ),
        ({"questions": [{**QUESTION, "evaluation_criteria": []}]}, "questions.0.evaluation_criteria"),
        ({"questions": [{**QUESTION, "id": "a"}, {**QUESTION, "id": "a"}]}, "questions"),
        ({"status": "archived"}, "status"),
        ({"status": "live"}, "status"),
        ({"project_id": "nope"}, "project_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_interview_is_a_400_naming_the_field_and_writes_nothing(api, tenant_a, changes, field):
    reply = _create(api, tenant_a, **changes)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field
    assert _list(api, tenant_a).body["total"] == 0


def test_a_missing_field_is_named(api, tenant_a):
    body = _body()
    del body["questions"]
    reply = api("create_interview", body=body, headers=tenant_a.as_member())
    assert (reply.status, reply.body["error"]["details"]["field"]) == (400, "questions")


# ------------------------------------------------------------------ lists


def test_lists_page_and_filter_by_status_and_project(api, tenant_a, tenant_b):
    project = create_project(tenant_a.id, ProjectCreate(name="Hiring")).id
    drafts = [_create(api, tenant_a).body["id"] for _ in range(3)]
    in_project = _create(api, tenant_a, project_id=project, status="published").body["id"]
    _create(api, tenant_b)

    everything = _list(api, tenant_a, limit=2, offset=1)
    assert everything.status == 200
    assert (everything.body["total"], everything.body["limit"], everything.body["offset"]) == (4, 2, 1)
    assert [i["id"] for i in everything.body["interviews"]] == [*drafts, in_project][1:3]
    assert everything.body["pagination"]["has_more"] is True
    item = everything.body["interviews"][0]
    assert {"id", "ai_interview_id", "status", "version", "project_id", "question_count"} <= set(item)

    published = _list(api, tenant_a, status="published").body
    assert (published["total"], [i["id"] for i in published["interviews"]]) == (1, [in_project])
    assert _list(api, tenant_a, status="draft").body["total"] == 3
    by_project = _list(api, tenant_a, project_id=project).body
    assert [i["id"] for i in by_project["interviews"]] == [in_project]
    assert by_project["interviews"][0]["project_id"] == project
    assert _list(api, tenant_a, project_id=project, status="draft").body["total"] == 0
    assert _list(api, tenant_a, project_id=project, status="published").body["total"] == 1

    # Moving on moves the interview between the lists, totals included.
    _id_call(api, "delete_interview", tenant_a, in_project)
    assert _list(api, tenant_a, project_id=project, status="archived").body["total"] == 1
    assert _list(api, tenant_a, status="published").body == {**published, "interviews": [], "total": 0} | {
        "pagination": {**published["pagination"], "total": 0}
    }
    assert [i["id"] for i in _list(api, tenant_b).body["interviews"]] != drafts
    assert _list(api, tenant_b).body["total"] == 1


@pytest.mark.parametrize(
    ("query", "field"), [({"status": "live"}, "status"), ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")]
)
def test_bad_list_queries_are_400_naming_the_parameter(api, tenant_a, query, field):
    reply = _list(api, tenant_a, **query)
    assert (reply.status, reply.body["error"]["details"]["field"]) == (400, field)


# ------------------------------------------------------------------ lifecycle


def test_draft_to_published_to_archived_and_never_back(api, tenant_a):
    interview_id = _create(api, tenant_a).body["id"]
    assert _patch(api, tenant_a, interview_id, status="published").body["status"] == "published"
    back = _patch(api, tenant_a, interview_id, status="draft")
    assert back.status == 409
    assert back.body["error"]["details"] == {"field": "status", "expected": "archived"}
    archived = _id_call(api, "delete_interview", tenant_a, interview_id)
    assert (archived.status, archived.body["status"]) == (200, "archived")
    assert _id_call(api, "delete_interview", tenant_a, interview_id).status == 200  # archiving again: no change
    again = _patch(api, tenant_a, interview_id, status="published")
    assert (again.status, again.body["error"]["details"]["field"]) == (409, "status")
    edit = _patch(api, tenant_a, interview_id, role="Staff Engineer")
    assert (edit.status, edit.body["error"]["details"]["field"]) == (409, "status")
    assert get_interview(tenant_a.id, interview_id).role == "Senior Python Developer"


def test_a_draft_can_be_archived_and_renamed_without_a_new_version(api, tenant_a):
    interview_id = _create(api, tenant_a, status="published").body["id"]
    renamed = _patch(api, tenant_a, interview_id, name="Backend, 2027")
    assert (renamed.status, renamed.body["name"], renamed.body["version"]) == (200, "Backend, 2027", 1)
    draft = _create(api, tenant_a).body["id"]
    assert _patch(api, tenant_a, draft, status="archived").body["status"] == "archived"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"role": None}, "role"),
        ({"questions": []}, "questions"),
        ({"questions": [{**QUESTION, "skill": "Go"}]}, "questions.0.skill"),
        ({"skills": [{"name": "Go"}]}, "skills"),  # the questions ask about Python and Django
        ({"status": "gone"}, "status"),
        ({"project_id": "x"}, "project_id"),
    ],
)
def test_a_bad_edit_is_a_400_naming_the_field_and_changes_nothing(api, tenant_a, body, field):
    created = _create(api, tenant_a).body
    reply = _id_call(api, "update_interview", tenant_a, created["id"], body=body)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field
    assert _id_call(api, "get_interview", tenant_a, created["id"]).body == created


def test_a_draft_is_edited_in_place(api, tenant_a):
    interview_id = _create(api, tenant_a).body["id"]
    edited = _patch(api, tenant_a, interview_id, questions=[QUESTION], duration_minutes=10)
    assert edited.status == 200
    assert (edited.body["version"], len(edited.body["questions"]), edited.body["duration_minutes"]) == (1, 1, 10)


# ------------------------------------------------------------------ versions


def _candidate(tenant) -> Candidate:
    return Candidate(id=new_id(), organization_id=tenant.id, name="Sam Lee", email="sam@example.com", created_at=now())


def test_a_session_keeps_the_version_it_started_on_through_its_answers_scoring_and_report(api, tenant_a):
    created = _create(api, tenant_a, status="published").body
    v1_prompts = [q["prompt"] for q in created["questions"]]
    started = flow.start_session(tenant_a.id, created["id"], _candidate(tenant_a), consented=True, new_candidate=True)
    assert started.session.interview_version == 1

    new_questions = [{**QUESTION, "id": "n1", "prompt": "What changed in Python 3.12?"}]
    edited = _patch(api, tenant_a, created["id"], questions=new_questions)
    assert edited.status == 200
    assert (edited.body["version"], [q["id"] for q in edited.body["questions"]]) == (2, ["n1"])
    assert _id_call(api, "get_interview", tenant_a, created["id"]).body["version"] == 2

    # The session goes on with v1's questions ...
    token = started.token
    for _ in range(6):  # two questions, each perhaps with the offline provider's follow-ups
        if _session_of(token).status is SessionStatus.in_progress:
            assert _answer(api, token, "A full answer with enough words in it to need no follow-up.").status in (
                200,
                303,
            )
    session = _session_of(token)
    assert session.status is SessionStatus.completed
    assert [a.question_id for a in session.answers if not a.follow_up] == ["q1", "q2"]
    # ... is scored against them ...
    scored = analyse_session(tenant_a.id, session.id)
    assert scored.assessment is not None
    assert all(a.analysis is not None for a in scored.answers)
    assert [q.prompt for q in interview_for(scored).questions] == v1_prompts
    # ... and reported with them, while new sessions start on v2.
    report = load_result(tenant_a.id, session.id)
    assert report.interview is not None
    assert (report.interview.version, [q.prompt for q in report.interview.questions]) == (1, v1_prompts)
    later = flow.start_session(tenant_a.id, created["id"], _candidate(tenant_a), consented=True, new_candidate=True)
    assert later.session.interview_version == 2
    assert [q.id for q in interview_for(later.session).questions] == ["n1"]


def test_only_content_changes_of_a_published_interview_make_versions(api, tenant_a):
    interview_id = _create(api, tenant_a, status="published").body["id"]
    assert _patch(api, tenant_a, interview_id, name="Renamed").body["version"] == 1
    assert _patch(api, tenant_a, interview_id, duration_minutes=20).body["version"] == 1  # the same value
    assert _patch(api, tenant_a, interview_id, duration_minutes=25).body["version"] == 2
    assert _patch(api, tenant_a, interview_id, language="de").body["version"] == 3
    # Every version is kept, whether or not a session used it (a published interview may be taken any time).
    assert get_interview_version(tenant_a.id, interview_id, 1).duration_minutes == 20
    assert get_interview_version(tenant_a.id, interview_id, 2).duration_minutes == 25
    assert get_interview_version(tenant_a.id, interview_id, 3).language == "de"


# ------------------------------------------------------------------ archived interviews start nothing


def test_an_archived_interview_starts_no_session_and_no_campaign(api, tenant_a):
    interview_id = _create(api, tenant_a, status="published").body["id"]
    project = create_project(tenant_a.id, ProjectCreate(name="P")).id
    create_campaign(tenant_a.id, CampaignCreate(name="Before", script_id=interview_id, project_id=project))
    _id_call(api, "delete_interview", tenant_a, interview_id)
    with pytest.raises(Conflict) as refused:
        flow.start_session(tenant_a.id, interview_id, _candidate(tenant_a), consented=True, new_candidate=True)
    assert refused.value.field == "interview_id"
    body = {"name": "After", "script_id": interview_id, "project_id": project}
    reply = api("create_campaign", body=body, headers=tenant_a.as_member())
    assert (reply.status, reply.body["error"]["details"]["field"]) == (409, "script_id")


# ------------------------------------------------------------------ tenants


@pytest.mark.parametrize(
    ("function", "body"),
    [("get_interview", None), ("update_interview", {"status": "archived"}), ("delete_interview", None)],
)
def test_another_organizations_interview_is_not_found_like_an_unknown_one(api, tenant_a, tenant_b, function, body):
    interview_id = _create(api, tenant_a).body["id"]
    theirs = _id_call(api, function, tenant_b, interview_id, body=body)
    unknown = _id_call(api, function, tenant_b, new_id(), body=body)
    assert theirs.status == unknown.status == 404
    assert theirs.body["error"]["details"] == unknown.body["error"]["details"] == {"field": "id"}
    assert get_interview(tenant_a.id, interview_id).status.value == "draft"
