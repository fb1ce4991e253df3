"""The template, the handlers, the sample events and the tests agree with each other."""

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from panelist.accounts.store import organization_item
from panelist.billing.credits import initial_ops
from panelist.candidates.store import invite_ops, save_candidate, save_new_campaign
from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.core.storage import table
from panelist.interviews.store import save_new_interview
from panelist.models.campaigns import Campaign, Invite
from panelist.models.candidates import Candidate
from panelist.models.common import new_id, now
from panelist.models.interviews import Interview, TaskExecution
from panelist.models.organizations import Organization, Plan
from panelist.models.reports import ReportShare
from panelist.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from panelist.reports.store import share_item
from panelist.sessions.store import session_item
from panelist.webhooks import store as webhooks_store
from panelist.webhooks.endpoints import save_new_endpoint
from tests.functions.harness import ROOT, Tenant, invoke, sample_event
from tests.functions.test_sessions import make_session

TESTS = Path(__file__).resolve().parent


def _function_dirs(template) -> dict[str, str]:
    return {f.logical_id: f.code_dir.name for f in template.functions.values()}


def test_every_function_has_a_handler_and_a_sample_event(template):
    for logical_id, folder in _function_dirs(template).items():
        assert (ROOT / "functions" / folder / "app.py").is_file(), logical_id
        assert (ROOT / "events" / f"{folder}.json").is_file(), f"events/{folder}.json is missing"
        assert logical_id == "".join(w.capitalize() for w in folder.split("_")) + "Function", logical_id


def test_every_route_has_a_test_module(template):
    sources = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    for route in template.routes:
        folder = template.functions[route.function].code_dir.name
        called = f'"{folder}"' in sources
        assert (TESTS / f"test_{folder}.py").is_file() or called, f"no test calls {folder} ({route.key})"


def test_every_sample_event_is_a_request_its_route_accepts(template):
    for route in template.routes:
        event = sample_event(template.functions[route.function].code_dir.name)
        if route.path == "$default":
            assert event["routeKey"] == "$default"
            continue
        assert event["routeKey"] == f"{route.method} {route.path}"
        assert event["requestContext"]["http"]["method"] == route.method


def test_no_sample_event_or_function_is_left_over(template):
    folders = set(_function_dirs(template).values())
    assert {p.stem for p in (ROOT / "events").glob("*.json")} == folders
    assert {p.parent.name for p in (ROOT / "functions").glob("*/app.py")} == folders


def test_the_fallback_route_table_matches_the_template(template):
    table = json.loads((ROOT / "functions/route_not_found/routes.json").read_text())
    expected: dict[str, list[str]] = {}
    for route in template.routes:
        if route.path != "$default":
            expected.setdefault(route.path, []).append(route.method)
    assert table == {path: sorted(methods) for path, methods in sorted(expected.items())}, "run `make generate`"


def test_the_layer_requirements_match_the_lockfile():
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    if not Path(uv).is_file():
        pytest.fail("this test needs uv: run the suite with `make test`")
    export = [uv, "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-header"]
    for path, groups in (("shared/requirements.txt", []), ("layers/pdf/requirements.txt", ["--group", "pdf"])):
        run = subprocess.run([*export, *groups], cwd=ROOT, capture_output=True, text=True, check=True)
        assert (ROOT / path).read_text() == run.stdout, f"{path} is out of date: run `make generate`"


@pytest.fixture
def sample_tenant(emulated):
    """The organization and key the sample events name, so every sample can succeed."""
    ctx = sample_event("create_project")["requestContext"]["authorizer"]["lambda"]
    org = Organization(
        id=ctx["organization_id"],
        name="Sample",
        slug="sample",
        plan=Plan.professional,
        created_at=now(),
        updated_at=now(),
    )
    table().put(organization_item(org))
    table().transact(*initial_ops(org))  # its credits, as create_organization grants them
    table().put(
        {
            "PK": f"ORG#{org.id}",
            "SK": f"APIKEY#{ctx['key_id']}",
            "id": ctx["key_id"],
            "organization_id": org.id,
            "name": "sample",
            "role": "admin",
            "prefix": "pnl_sample",
            "key_hash": "0" * 64,
            "created_at": now().isoformat(),
        }
    )
    job_id = sample_event("get_task_status")["pathParameters"]["job_id"]
    task = TaskExecution(id=job_id, organization_id=org.id, created_at=now(), updated_at=now())
    table().put({"PK": f"ORG#{org.id}", "SK": f"TASK#{job_id}", **task.model_dump(mode="json")})
    script = save_new_interview(Interview.model_validate(sample_event("persist_interview")["interview"]))  # number 1
    archived = sample_event("delete_interview")["pathParameters"]["id"]  # the one delete_interview archives
    save_new_interview(Interview.model_validate({**sample_event("persist_interview")["interview"], "id": archived}))
    campaign = sample_event("create_campaign")["body"]
    project_id = json.loads(campaign)["project_id"]
    table().put(
        {
            "PK": f"ORG#{org.id}",
            "SK": f"PROJECT#{project_id}",
            "id": project_id,
            "organization_id": org.id,
            "name": "Sample",
            "created_at": now().isoformat(),
        }
    )
    campaign_ids = [sample_event(f)["pathParameters"]["id"] for f in ("get_campaign", "update_campaign")]
    for campaign_id in campaign_ids:
        campaign = Campaign(
            id=campaign_id,
            organization_id=org.id,
            name="Sample",
            script_id=script.id,
            project_id=project_id,
            created_at=now(),
            updated_at=now(),
        )
        save_new_campaign(campaign)
    invite = Invite(
        id=new_id(),
        organization_id=org.id,
        campaign_id=campaign_ids[0],
        email="a@example.com",
        token=sample_event("get_invite")["pathParameters"]["token"],
        expires_at=now() + timedelta(days=1),
        created_at=now(),
    )
    table().transact(*invite_ops(invite))
    for function in ("revoke_invite", "resend_invite"):  # the invites the Candidates helpers' samples revoke, resend
        token = sample_event(function)["pathParameters"]["token"]
        table().transact(*invite_ops(invite.model_copy(update={"id": new_id(), "token": token})))
    _sample_candidate(org.id, sample_event("get_candidate")["pathParameters"]["id"])  # read and changed by samples
    session = make_session(Tenant(org.id, "", "", "", ""), interview_id=script.id)  # response_id 1
    item = {**session_item(session), "SK": "SESSION#" + sample_event("get_session")["pathParameters"]["id"]}
    table().put({**item, "id": item["SK"].removeprefix("SESSION#")})
    _sample_shares(org.id, session.id, item["SK"].removeprefix("SESSION#"))
    _sample_candidate(org.id)  # the profile the JobMojito page samples' links name
    _sample_candidate(org.id, sample_event("erase_candidate")["pathParameters"]["id"])  # the one erase_candidate erases
    _sample_interview_session(org.id, script)  # the session the interview pages' sample tokens name
    _sample_webhooks(org.id)
    _sample_accommodation_request(org.id, script.id)


def _sample_accommodation_request(organization_id: str, interview_id: str) -> None:
    """The request update_accommodation_request's sample changes."""
    from panelist.compliance import accommodation_store
    from panelist.models.accommodations import AccommodationKind, AccommodationRequest, AccommodationSource

    request = AccommodationRequest(
        id=sample_event("update_accommodation_request")["pathParameters"]["id"],
        organization_id=organization_id,
        kind=AccommodationKind.accommodation,
        details="More time, please",
        interview_id=interview_id,
        source=AccommodationSource.invite,
        requested_at=now(),
        updated_at=now(),
    )
    accommodation_store.insert(request, link="sample", cap=5)


def _sample_webhooks(organization_id: str) -> None:
    """The endpoint delete_webhook deletes, the one the other endpoint samples read and change, and the failed
    delivery replay_webhook_delivery queues again."""
    deleted, kept = (sample_event(name)["pathParameters"]["id"] for name in ("delete_webhook", "get_webhook"))
    for number, endpoint_id in enumerate((deleted, kept)):
        save_new_endpoint(
            WebhookEndpoint(
                id=endpoint_id,
                organization_id=organization_id,
                url=f"https://hooks.example.com/sample-{number}",
                events=["campaign.completed"],
                created_at=now(),
            )
        )
    delivery_id = sample_event("replay_webhook_delivery")["pathParameters"]["id"]
    at = now()
    body = json.dumps({"type": "campaign.completed", "timestamp": at.isoformat(), "data": {}})
    webhooks_store.save_payload(organization_id, delivery_id, body, [], at=at, expires=at + timedelta(days=30))
    failed = WebhookDelivery(
        id=delivery_id,
        organization_id=organization_id,
        endpoint_id=kept,
        url="https://hooks.example.com/sample-1",
        event_type="campaign.completed",
        status=DeliveryStatus.failed,
        created_at=at,
        updated_at=at,
    )
    webhooks_store.insert_delivery(failed, at + timedelta(days=37))


# The sample links of view_shared_report and open_report_file are signed by this key (valid until 2099),
# added to the key ring here only.
SAMPLE_SIGNING_KEY = {
    "kid": "sample-events",
    "secret": "sample-events-signing-key-not-a-secret-0123456789abcdef",
    "created_at": "2026-11-23T10:00:00+00:00",
}


def _sample_shares(organization_id: str, session_id: str, linked_session_id: str) -> None:
    """The share revoke_report_share's sample revokes, and the one view_shared_report's sample link opens."""
    secret_id = get_settings().secret_id
    manager = boto3.client("secretsmanager")
    ring = json.loads(manager.get_secret_value(SecretId=secret_id)["SecretString"])
    ring["signing_keys"].append(SAMPLE_SIGNING_KEY)
    manager.put_secret_value(SecretId=secret_id, SecretString=json.dumps(ring))
    aws.reset()  # the cached key ring is read again
    revoked = sample_event("revoke_report_share")["pathParameters"]["share_id"]
    for share_id, session in ((revoked, session_id), ("01935f2a-7c00-7000-8000-000000000001", linked_session_id)):
        share = ReportShare(
            share_id=share_id,
            organization_id=organization_id,
            session_id=session,
            response_id=1,
            ai_interview_id=1,
            created_at=now(),
            expires_at=datetime(2099, 1, 1, tzinfo=UTC),
            expiration_hours=24,
            ip_salt="00" * 16,
        )
        table().put(share_item(share))


def _sample_candidate(organization_id: str, candidate_id: str | None = None) -> None:
    """The candidate profile take_interview's and profile_results' sample links (signed by SAMPLE_SIGNING_KEY) name."""
    candidate_id = candidate_id or sample_event("profile_results")["pathParameters"]["profile_id"]
    save_candidate(
        Candidate(
            id=candidate_id, organization_id=organization_id, name="Sam Sample", email="s@example.com", created_at=now()
        )
    )


def test_every_sample_event_succeeds_against_its_handler(template, sample_tenant, monkeypatch):
    from panelist.billing import stripe

    # Stripe's signature is good for 5 minutes: the sample delivery is received at the time it was signed.
    monkeypatch.setattr(stripe, "clock", lambda: sample_event("stripe_webhook")["requestContext"]["timeEpoch"] / 1000)
    for route in template.routes:
        folder = template.functions[route.function].code_dir.name
        if route.path == "$default":
            continue
        response = invoke(folder, sample_event(folder))
        assert 200 <= response["statusCode"] < 400, (folder, response["body"])


def _sample_interview_session(organization_id: str, script: Interview) -> None:
    """The in-progress session (and its candidate's uploaded resume) the interview pages' samples name.

    Their session token (audience interview-session) is signed by SAMPLE_SIGNING_KEY, valid until 2099.
    """
    from panelist.models.sessions import Session, SessionStatus, Turn
    from panelist.sessions.lifecycle import save_new_session

    body = json.loads(sample_event("attach_resume")["body"])  # an upload of the session, not yet attached
    candidate_id = "990e8400-e29b-41d4-a716-446655440011"
    session_id = sample_event("analyse_session")["Records"][0]["body"]
    session_id = json.loads(session_id)["session_id"]
    save_candidate(
        Candidate(
            id=candidate_id, organization_id=organization_id, name="Sam Sample", email="s@example.com", created_at=now()
        )
    )
    boto3.client("s3").put_object(
        Bucket=get_settings().bucket, Key=body["key"], Body=b"%PDF-1.4 sample", ContentType="application/pdf"
    )
    save_new_session(
        Session(
            id=session_id,
            number=0,
            organization_id=organization_id,
            interview_id=script.id,
            candidate_id=candidate_id,
            status=SessionStatus.in_progress,
            turns=[
                Turn(timestamp=0, speaker="ai", text="Hello Sam!"),
                Turn(timestamp=0, speaker="ai", text=script.questions[0].prompt, question_id=script.questions[0].id),
            ],
            started_at=now(),
            updated_at=now(),
        )
    )
    # the completed session record_self_identification's sample token names (its done page's voluntary form)
    save_new_session(
        Session(
            id="990e8400-e29b-41d4-a716-446655440012",
            number=0,
            organization_id=organization_id,
            interview_id=script.id,
            candidate_id=candidate_id,
            status=SessionStatus.completed,
            started_at=now(),
            completed_at=now(),
            updated_at=now(),
        )
    )
