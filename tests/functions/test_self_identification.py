"""Voluntary self-identification: the candidate's form after the interview, the ATS route, and the wall around it.

What a candidate declares is stored under its own partition (SELFID#<org>), which the roles of the functions that
compute or show scores may not touch (SelfIdentificationDenyPolicy in template.yaml).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import boto3
import pytest
from botocore.exceptions import ClientError

from panelist.compliance import self_id_store
from panelist.core.settings import get_settings
from panelist.interviews.store import save_new_interview
from panelist.models.common import new_id, now
from panelist.models.impact import RaceEthnicity, Sex
from panelist.models.interviews import Interview
from panelist.models.sessions import Assessment, Session, SessionStatus
from panelist.sessions import flow
from panelist.sessions import store as sessions_store
from panelist_local import iam
from tests.functions.harness import ROOT

FORM = {"content-type": "application/x-www-form-urlencoded"}


def make_interview(org_id: str) -> Interview:
    raw = json.loads((ROOT / "events/persist_interview.json").read_text())["interview"]
    return save_new_interview(Interview.model_validate({**raw, "id": new_id(), "organization_id": org_id}))


def make_session(
    org_id: str,
    interview: Interview,
    *,
    status: SessionStatus = SessionStatus.completed,
    score: float | None = 70.0,
    decision: str | None = None,
    completed_at=None,
) -> Session:
    at = completed_at or now() - timedelta(minutes=1)
    assessment = (
        Assessment(score=score, resume_analysis="", overall="", why_hire=[], why_not_hire=[])
        if score is not None
        else None
    )
    session = Session(
        id=new_id(),
        number=0,
        organization_id=org_id,
        interview_id=interview.id,
        candidate_id=new_id(),
        status=status,
        started_at=at - timedelta(minutes=5),
        completed_at=at if status is SessionStatus.completed else None,
        updated_at=at,
        assessment=assessment,
        decision=decision,
    )
    return sessions_store.insert_session(session, [])


@pytest.fixture
def completed(tenant_a):
    interview = make_interview(tenant_a.id)
    session = make_session(tenant_a.id, interview)
    return session, flow.session_token(session, interview), interview


def _post(api, token: str, form: dict[str, str]):
    path = f"/interview/session/{token}/self-identification"
    return api(
        "record_self_identification",
        path=path,
        path_params={"session_token": token},
        raw_body=urlencode(form),
        headers=FORM,
    )


def _page(api, token: str):
    return api("interview_session", path=f"/interview/session/{token}", path_params={"session_token": token})


def _put(api, tenant, session_id: str, body, *, admin: bool = True):
    return api(
        "put_self_identification",
        path=f"/api/sessions/{session_id}/self-identification",
        path_params={"id": session_id},
        body=body,
        headers=tenant.as_admin() if admin else tenant.as_member(),
    )


# ------------------------------------------------------------------ the candidate's side


def test_the_done_page_offers_the_voluntary_form_after_the_interview(api, completed):
    _session, token, _ = completed
    page = _page(api, token)
    assert page.status == 200
    assert f'action="/interview/session/{token}/self-identification"' in page.body
    assert "voluntary" in page.body
    assert "no effect on your application" in page.body
    assert "never shown to the AI that scores it" in page.body
    for value in ("female", "male", "decline", "hispanic_or_latino", "two_or_more_races", "asian"):
        assert f'value="{value}"' in page.body
    assert "required" not in re.sub(r"<style.*?</style>", "", page.body, flags=re.S)  # nothing must be answered


def test_answers_are_stored_apart_from_the_session_and_thanked_for(api, completed, tenant_a):
    session, token, _ = completed
    before = sessions_store.get_session(tenant_a.id, session.id)
    reply = _post(api, token, {"sex": "female", "race_ethnicity": "asian"})
    assert reply.status == 200
    assert "Thank you for answering" in reply.body
    assert "<form" not in reply.body  # not offered twice
    stored = self_id_store.find(tenant_a.id, session.id)
    assert (stored.sex, stored.race_ethnicity, stored.source) == (Sex.female, RaceEthnicity.asian, "candidate")
    after = sessions_store.get_session(tenant_a.id, session.id)
    assert after == before  # the session itself is untouched
    item = boto3.client("dynamodb").get_item(
        TableName=get_settings().table, Key={"PK": {"S": f"SELFID#{tenant_a.id}"}, "SK": {"S": f"SELFID#{session.id}"}}
    )
    assert item["Item"]["sex"] == {"S": "female"}


def test_declining_is_an_answer_and_an_empty_form_records_nothing(api, completed, tenant_a):
    session, token, _ = completed
    assert _post(api, token, {}).status == 200
    assert self_id_store.find(tenant_a.id, session.id) is None
    assert _post(api, token, {"sex": "decline", "race_ethnicity": ""}).status == 200
    stored = self_id_store.find(tenant_a.id, session.id)
    assert (stored.sex, stored.race_ethnicity) == (Sex.decline, None)


def test_an_answer_not_offered_is_a_400_page_naming_it_and_stores_nothing(api, completed, tenant_a):
    session, token, _ = completed
    reply = _post(api, token, {"sex": "other", "race_ethnicity": "asian"})
    assert reply.status == 400
    assert "please choose one of the answers offered" in reply.body
    assert "<form" in reply.body
    assert self_id_store.find(tenant_a.id, session.id) is None


def test_before_the_interview_is_completed_it_is_a_409(api, tenant_a):
    interview = make_interview(tenant_a.id)
    session = make_session(tenant_a.id, interview, status=SessionStatus.in_progress, score=None)
    reply = _post(api, flow.session_token(session, interview), {"sex": "male"})
    assert reply.status == 409
    assert reply.headers["Content-Type"].startswith("text/html")
    assert self_id_store.find(tenant_a.id, session.id) is None


def test_a_forged_token_is_a_403_page(api, completed):
    _, token, _ = completed
    reply = _post(api, token[:-4] + "AAAA", {"sex": "male"})
    assert reply.status == 403


# ------------------------------------------------------------------ the ATS's side


def test_an_ats_puts_what_it_collected_with_an_admin_key(api, completed, tenant_a):
    session, _, _ = completed
    reply = _put(api, tenant_a, session.id, {"sex": "male", "race_ethnicity": "white"})
    assert reply.status == 200, reply.body
    assert reply.body["session_id"] == session.id
    assert reply.body["recorded"] is True
    assert "sex" not in reply.body  # never echoed back
    stored = self_id_store.find(tenant_a.id, session.id)
    assert (stored.sex, stored.race_ethnicity) == (Sex.male, RaceEthnicity.white)
    assert stored.source == f"api_key:{tenant_a.admin_key_id}"
    assert _put(api, tenant_a, session.id, {"sex": "decline"}).status == 200  # replaces
    assert self_id_store.find(tenant_a.id, session.id).race_ethnicity is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({"sex": "other"}, "sex"), ({"race_ethnicity": "martian"}, "race_ethnicity"), ({"age": 30}, "age")],
)
def test_the_ats_route_refuses_bad_fields_naming_them(api, completed, tenant_a, body, field):
    session, _, _ = completed
    reply = _put(api, tenant_a, session.id, body)
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field
    assert self_id_store.find(tenant_a.id, session.id) is None


def test_the_ats_route_needs_an_admin_key_and_a_known_session(api, completed, tenant_a):
    session, _, _ = completed
    assert _put(api, tenant_a, session.id, {"sex": "male"}, admin=False).status == 403
    assert _put(api, tenant_a, new_id(), {"sex": "male"}).status == 404
    assert self_id_store.find(tenant_a.id, session.id) is None


def test_session_views_never_show_a_self_identification(api, completed, tenant_a):
    session, _, _ = completed
    _put(api, tenant_a, session.id, {"sex": "female", "race_ethnicity": "two_or_more_races"})
    shown = api(
        "get_session", path=f"/api/sessions/{session.id}", path_params={"id": session.id}, headers=tenant_a.as_member()
    )
    assert shown.status == 200
    assert "two_or_more_races" not in json.dumps(shown.body)
    assert "race" not in json.dumps(shown.body)


# ------------------------------------------------------------------ the wall around it


SCORING_FUNCTIONS = ["analyse_session", "submit_answer", "get_session_result", "list_sessions", "export_report"]


@pytest.mark.parametrize("function", SCORING_FUNCTIONS)
def test_the_scoring_functions_roles_may_not_read_self_identification(stack, api, completed, tenant_a, function):
    session, _, _ = completed
    _put(api, tenant_a, session.id, {"sex": "female"})
    client = boto3.client("dynamodb")
    table = get_settings().table
    key = {"PK": {"S": f"SELFID#{tenant_a.id}"}, "SK": {"S": f"SELFID#{session.id}"}}
    with iam.acting_as(stack.role(function)):
        # the same role reads the session itself
        assert client.get_item(
            TableName=table, Key={"PK": {"S": f"ORG#{tenant_a.id}"}, "SK": {"S": f"SESSION#{session.id}"}}
        )
        with pytest.raises(ClientError) as refused:
            client.get_item(TableName=table, Key=key)
        with pytest.raises(ClientError):
            client.query(
                TableName=table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": f"SELFID#{tenant_a.id}"}},
            )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "explicit deny" in refused.value.response["Error"]["Message"]
    with iam.acting_as(stack.role("impact_report")):
        assert client.get_item(TableName=table, Key=key)["Item"]


def test_the_recording_routes_write_nothing_but_self_identification(stack, emulated, tenant_a):
    client = boto3.client("dynamodb")
    for function in ("record_self_identification", "put_self_identification"):
        with iam.acting_as(stack.role(function)), pytest.raises(ClientError):
            client.put_item(
                TableName=get_settings().table, Item={"PK": {"S": f"ORG#{tenant_a.id}"}, "SK": {"S": "SESSION#x"}}
            )


def test_only_the_bias_audit_functions_and_no_scoring_function_may_read_self_identification(stack, emulated):
    arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{get_settings().table}"

    def reads(logical_id: str, key: str) -> bool:
        return stack.roles[logical_id].allows("dynamodb:GetItem", arn, {"dynamodb:LeadingKeys": [key]})

    scoring = [
        "AnalyseSessionFunction",
        "SubmitAnswerFunction",
        "InterviewSessionFunction",
        "GetSessionFunction",
        "GetSessionResultFunction",
        "ListSessionsFunction",
        "ExportReportFunction",
        "RenderReportFunction",
        "ResultForRecruiterFunction",
        "PositionResultsFunction",
        "GetSessionPdfFunction",
        "ViewSharedReportFunction",
    ]
    for logical_id in scoring:
        assert reads(logical_id, "ORG#o"), logical_id  # their own data, as before
        assert not reads(logical_id, "SELFID#o"), logical_id
    assert reads("ImpactReportFunction", "SELFID#o")
    for logical_id in ("RecordSelfIdentificationFunction", "PutSelfIdentificationFunction"):
        assert stack.roles[logical_id].allows("dynamodb:PutItem", arn, {"dynamodb:LeadingKeys": ["SELFID#o"]})
        assert not stack.roles[logical_id].allows("dynamodb:PutItem", arn, {"dynamodb:LeadingKeys": ["ORG#o"]})


def test_erasure_deletes_a_candidates_self_identification(api, completed, tenant_a):
    session, _, _ = completed
    _put(api, tenant_a, session.id, {"sex": "female"})
    other = make_session(tenant_a.id, completed[2])
    _put(api, tenant_a, other.id, {"sex": "male"})
    assert self_id_store.erase_for_sessions(tenant_a.id, [session.id, new_id()]) == 1
    assert self_id_store.find(tenant_a.id, session.id) is None
    assert self_id_store.find(tenant_a.id, other.id) is not None
