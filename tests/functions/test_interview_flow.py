"""The interview itself: start from an invite, answer in order, follow-ups, time limit, uploads, signals, sweep."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from panelist.billing import credits
from panelist.candidates import store as candidates_store
from panelist.candidates.campaigns import get_invite_by_token
from panelist.candidates.store import get_candidate, invite_ops, save_new_campaign
from panelist.core import signing, storage
from panelist.core.errors import Conflict, PanelistError
from panelist.core.settings import get_settings
from panelist.core.storage import org_pk, table
from panelist.interviews import ai
from panelist.interviews.ai.model import provenance
from panelist.interviews.store import save_new_interview
from panelist.models.campaigns import Campaign, Invite
from panelist.models.common import new_id, now
from panelist.models.interviews import Interview
from panelist.models.sessions import SessionStatus
from panelist.models.webhooks import WebhookEndpointCreate
from panelist.sessions import flow, lifecycle, pages
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session
from panelist.webhooks.endpoints import create_endpoint
from panelist_local import iam
from tests.functions.harness import ROOT, invoke, queued_webhooks, sample_event

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _interview(org_id: str, *, questions: int = 3, minutes: int = 45) -> Interview:
    raw = json.loads((ROOT / "events/persist_interview.json").read_text())["interview"]
    template = raw["questions"][0]
    raw |= {
        "id": new_id(),
        "organization_id": org_id,
        "duration_minutes": minutes,
        "questions": [{**template, "id": f"q{n}", "prompt": f"Question number {n}?"} for n in range(1, questions + 1)],
    }
    return save_new_interview(Interview.model_validate(raw))


def _invite(org_id: str, interview: Interview, *, candidate_id: str | None = None) -> Invite:
    campaign = Campaign(
        id=new_id(),
        organization_id=org_id,
        name="C",
        script_id=interview.id,
        project_id=new_id(),
        created_at=now(),
        updated_at=now(),
    )
    save_new_campaign(campaign)
    invite = Invite(
        id=new_id(),
        organization_id=org_id,
        campaign_id=campaign.id,
        email="sam@example.com",
        token="inv_" + new_id().replace("-", ""),
        candidate_id=candidate_id,
        expires_at=now() + timedelta(days=1),
        created_at=now(),
    )
    table().transact(*invite_ops(invite))
    return invite


@pytest.fixture
def setup(tenant_a):
    interview = _interview(tenant_a.id)
    return tenant_a, interview, _invite(tenant_a.id, interview)


def _start(api, token: str, form: dict[str, str]):
    return api(
        "start_interview",
        path=f"/interview/{token}/start",
        path_params={"token": token},
        raw_body=urlencode(form),
        headers=FORM,
    )


def _token(reply) -> str:
    assert reply.status == 303, reply.body
    return reply.headers["Location"].removeprefix("/interview/session/")


def _page(api, token: str):
    return api("interview_session", path=f"/interview/session/{token}", path_params={"session_token": token})


def _fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(question_id|nonce)" value="([^"]*)"', html))


def _answer(api, token: str, text: str, fields: dict[str, str] | None = None, **extra: str):
    fields = fields or _fields(_page(api, token).body)
    return api(
        "submit_answer",
        path=f"/interview/session/{token}/answer",
        path_params={"session_token": token},
        raw_body=urlencode({**fields, "answer": text, **extra}),
        headers=FORM,
    )


def _json(api, function: str, token: str, action: str, body: dict):
    return api(function, path=f"/interview/session/{token}/{action}", path_params={"session_token": token}, body=body)


def _without_nonce(html: str) -> str:
    return re.sub(r' nonce="[^"]+"', "", html)


def _session_of(token: str):
    claims = jwt.decode(token, options={"verify_signature": False})
    return get_session(claims["org"], claims["ses"])


class FollowUps:
    """An AI provider whose follow-up asks once for answers shorter than five words, decided (as a model that
    failed would) by the offline engine in its place."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def follow_up_decision(self, question, answer_text: str) -> ai.FollowUp:
        self.asked.append(question.id)
        text = f"Could you say more about {question.id}?" if len(answer_text.split()) < 5 else None
        return ai.FollowUp(text, provenance("offline-rules v2", fallback_from="bedrock:test", reason="timed out"))


@pytest.fixture
def follow_ups(monkeypatch) -> FollowUps:
    model = FollowUps()
    monkeypatch.setattr(ai, "provider", lambda name=None: model)
    return model


# ------------------------------------------------------------------ starting


def test_the_invite_page_has_the_start_form(api, setup):
    _, _, invite = setup
    page = api("open_invite", path=f"/interview/{invite.token}", path_params={"token": invite.token})
    assert page.status == 200
    assert f'action="/interview/{invite.token}/start"' in page.body
    assert 'id="consent"' in page.body
    assert 'id="name"' in page.body
    assert "sam@example.com" in page.body


def test_consent_is_required(api, setup):
    _, _, invite = setup
    reply = _start(api, invite.token, {"name": "Sam Lee"})
    assert reply.status == 400
    assert "agree to take part" in reply.body
    assert 'role="alert"' in reply.body
    assert 'value="Sam Lee"' in reply.body  # the form keeps what was typed


def test_a_name_is_required_when_the_candidate_is_unknown(api, setup):
    _, _, invite = setup
    reply = _start(api, invite.token, {"consent": "on", "name": "  "})
    assert reply.status == 400
    assert "tell us your name" in reply.body


def test_a_known_candidate_needs_no_name(api, tenant_a, follow_ups):
    interview = _interview(tenant_a.id)
    from tests.functions.test_sessions import make_session

    candidate_id = make_session(tenant_a).candidate_id
    invite = _invite(tenant_a.id, interview, candidate_id=candidate_id)
    page = api("open_invite", path=f"/interview/{invite.token}", path_params={"token": invite.token})
    assert 'id="name"' not in page.body
    session = _session_of(_token(_start(api, invite.token, {"consent": "on"})))
    assert session.candidate_id == candidate_id
    assert session.consented_at == session.started_at  # the consent is recorded with the session it allowed


def test_starting_twice_is_refused_and_the_invite_link_leads_back(api, setup, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    assert _start(api, invite.token, {"consent": "on", "name": "Sam Lee"}).status == 409
    page = api("open_invite", path=f"/interview/{invite.token}", path_params={"token": invite.token})
    assert "Continue your interview" in page.body
    resumed = re.search(r'href="/interview/session/([^"]+)"', page.body).group(1)
    assert _session_of(resumed).id == _session_of(token).id


def _profiles(org_id: str) -> list[dict]:
    return table().query(org_pk(org_id), prefix=candidates_store.PREFIX, limit=100).items


def _sessions(org_id: str) -> list[dict]:
    return table().query(org_pk(org_id), prefix=sessions_store.PREFIX, limit=100).items


def test_concurrent_starts_of_one_invite_leave_one_candidate_and_one_session(stack, setup, follow_ups):
    """Eight tabs (or retries) submit the start form of an invite that names no candidate yet at the same moment
    (the domain call, on threads under the function's role: the local gateway runs route handlers one at a
    time): one starts the interview, the others are told the invite is used (409), and no candidate profile is
    left without its session."""
    tenant, _, invite = setup
    racers = 8
    barrier = threading.Barrier(racers)

    def start(n: int):
        with iam.acting_as(stack.role("start_interview")):
            barrier.wait()
            try:
                return flow.start_from_invite(invite.token, {"consent": "on", "name": f"Sam Lee {n}"})
            except PanelistError as exc:
                return exc

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(start, range(racers)))

    [started] = [o for o in outcomes if isinstance(o, flow.Started)]
    refused = [o for o in outcomes if not isinstance(o, flow.Started)]
    assert [(type(o), o.status, o.message) for o in refused] == [
        (Conflict, 409, "the invite has already been used for a session")
    ] * (racers - 1)
    [profile] = _profiles(tenant.id)
    assert [item["id"] for item in _sessions(tenant.id)] == [started.session.id]
    assert profile["id"] == started.session.candidate_id
    assert profile["name"].startswith("Sam Lee ")
    assert get_invite_by_token(tenant.id, invite.token).candidate_id == started.session.candidate_id


def _conflicting(monkeypatch, before_raising=lambda: None, *, times: int) -> None:
    """The next `times` transactions that use an invite are cancelled as DynamoDB cancels one that met a
    concurrent transaction on one of its items (TransactionConflict), after `before_raising` ran."""
    real, left = storage.Table.transact, [times]

    def transact(self, *ops):
        if left[0] and any(
            str(op.get("Update", {}).get("Key", {}).get("SK", {}).get("S")).startswith("INVITE#") for op in ops
        ):
            left[0] -= 1
            before_raising()
            reasons = [{"Code": "TransactionConflict" if "Update" in op else "None"} for op in ops]
            error = {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": reasons,
            }
            raise ClientError(error, "TransactWriteItems")
        return real(self, *ops)

    monkeypatch.setattr(storage.Table, "transact", transact)


def test_a_start_cancelled_by_a_concurrent_one_is_told_the_invite_is_used(api, setup, follow_ups, monkeypatch):
    tenant, _, invite = setup
    won = []
    _conflicting(
        monkeypatch, lambda: won.append(flow.start_from_invite(invite.token, {"consent": "on", "name": "A"})), times=1
    )

    reply = _start(api, invite.token, {"consent": "on", "name": "B"})

    assert reply.status == 409
    assert "already been used" in reply.body
    [profile] = _profiles(tenant.id)
    assert profile["name"] == "A"
    assert [item["id"] for item in _sessions(tenant.id)] == [won[0].session.id]


def test_a_start_that_keeps_meeting_concurrent_transactions_is_a_503_and_stores_nothing(
    api, setup, follow_ups, monkeypatch
):
    tenant, _, invite = setup
    _conflicting(monkeypatch, times=lifecycle.CONFLICT_ATTEMPTS)

    reply = _start(api, invite.token, {"consent": "on", "name": "Sam Lee"})

    assert reply.status == 503
    assert "try again" in reply.body
    assert (_profiles(tenant.id), _sessions(tenant.id)) == ([], [])
    assert _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))  # the next try starts it


def test_a_refused_start_stores_no_candidate(api, setup, follow_ups):
    tenant, _, invite = setup
    balance = credits.get_credits(tenant.id).total
    credits.charge(tenant.id, balance, kind=credits.ChargeKind.session, reference="drain", description="drain")

    assert _start(api, invite.token, {"consent": "on", "name": "Sam Lee"}).status == 402

    assert _profiles(tenant.id) == []
    assert _sessions(tenant.id) == []
    assert get_invite_by_token(tenant.id, invite.token).candidate_id is None


# ------------------------------------------------------------------ the interview


def test_a_whole_interview_in_order_with_one_follow_up_for_a_thin_answer(api, setup, follow_ups, queue):
    tenant, interview, invite = setup
    create_endpoint(tenant.id, WebhookEndpointCreate(url="https://hooks.example.com/flow"))
    before = credits.get_credits(tenant.id)
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    candidate = get_candidate(tenant.id, _session_of(token).candidate_id)
    assert (candidate.name, candidate.email) == ("Sam Lee", "sam@example.com")

    first = _page(api, token)
    assert first.status == 200
    assert "Question 1 of 3" in first.body
    assert "Question number 1?" in first.body
    assert 'for="answer"' in first.body
    assert "Attach your résumé" in first.body
    assert _answer(api, token, "Too short.").status == 303
    follow = _page(api, token)
    assert "Follow-up" in follow.body
    assert "Could you say more about q1?" in follow.body
    assert "Question 1 of 3" in follow.body
    assert _answer(api, token, "Short again.").status == 303  # no second follow-up
    second = _page(api, token)
    assert "Question 2 of 3" in second.body
    assert "Follow-up" not in second.body
    assert _answer(api, token, "A full answer with enough words in it.").status == 303
    assert _answer(api, token, "Another full answer with enough words.").status == 303
    done = _page(api, token)
    assert done.status == 200
    assert "Thank you!" in done.body

    session = _session_of(token)
    assert session.status is SessionStatus.completed
    assert session.completed_at
    assert [(a.question_id, a.follow_up) for a in session.answers] == [
        ("q1", False),
        ("q1", True),
        ("q2", False),
        ("q3", False),
    ]
    assert all(a.started_at <= a.ended_at for a in session.answers)
    assert [(t.speaker, t.question_id) for t in session.turns] == [
        ("ai", None),
        ("ai", "q1"),
        ("participant", "q1"),
        ("ai", "q1"),
        ("participant", "q1"),
        ("ai", "q2"),
        ("participant", "q2"),
        ("ai", "q3"),
        ("participant", "q3"),
    ]
    assert follow_ups.asked == ["q1", "q2", "q3"]
    asked = session.turns[3].provenance  # who decided the follow-up, the fallback kept with it
    assert asked
    assert (asked.engine, asked.fallback_from, asked.fallback_reason) == (
        "offline-rules v2",
        "bedrock:test",
        "timed out",
    )
    assert session.language == interview.language
    events = [w["type"] for w in queued_webhooks(queue)]
    assert events == ["invite.opened", "session.started", "session.completed"]
    after = credits.get_credits(tenant.id)
    assert after.starter + after.monthly + after.topup < before.starter + before.monthly + before.topup
    assert not table().query(sessions_store.ACTIVE_PK).items  # the index forgets a finished session


def test_a_reload_shows_the_same_question_and_a_double_submit_records_one_answer(api, setup, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    first, reloaded = _page(api, token), _page(api, token)
    assert _without_nonce(first.body) == _without_nonce(reloaded.body)  # the nonce is drawn for each response
    fields = _fields(_page(api, token).body)
    assert _answer(api, token, "A full answer with enough words in it.", fields).status == 303
    again = _answer(api, token, "A full answer with enough words in it.", fields)
    assert again.status == 303
    assert again.headers["Location"] == f"/interview/session/{token}"
    assert len(_session_of(token).answers) == 1
    assert "Question 2 of 3" in _page(api, token).body


def test_an_answer_to_another_question_is_refused(api, setup, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    fields = _fields(_page(api, token).body)
    reply = _answer(api, token, "An answer to a later question.", {**fields, "question_id": "q3"})
    assert reply.status == 409
    assert "another question" in reply.body
    assert "Question 1 of 3" in reply.body
    assert _answer(api, token, "", fields).status == 400
    assert not _session_of(token).answers


def test_the_time_limit_completes_the_session(api, setup, follow_ups, monkeypatch):
    _, interview, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    fields = _fields(_page(api, token).body)
    later = now() + timedelta(minutes=interview.duration_minutes, seconds=30)
    monkeypatch.setattr(flow, "now", lambda: later)
    monkeypatch.setattr(pages, "now", lambda: later)
    assert _answer(api, token, "Answered within the grace.", fields).status == 303  # counts, then it ends
    session = _session_of(token)
    assert session.status is SessionStatus.completed
    assert len(session.answers) == 1
    assert "Thank you!" in _page(api, token).body


def test_a_page_opened_after_the_time_limit_completes_it(api, setup, follow_ups, monkeypatch):
    _, interview, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    later = now() + timedelta(minutes=interview.duration_minutes + 1)
    monkeypatch.setattr(pages, "now", lambda: later)
    assert "Thank you!" in _page(api, token).body
    assert _session_of(token).status is SessionStatus.completed


# ------------------------------------------------------------------ tokens


def test_forged_foreign_and_expired_tokens_open_nothing(api, setup, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    head, claims, sig = token.split(".")
    tampered = f"{head}.{claims}.{sig[:-4]}AAAA"
    assert _page(api, tampered).status == 403
    assert _page(api, "not-a-token").status == 403
    other, _ = signing.sign(
        jwt.decode(token, options={"verify_signature": False}), audience="jobmojito-page", ttl=timedelta(hours=1)
    )
    assert _page(api, other).status == 403
    ring = signing.key_ring()
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "iat": past, "exp": past + timedelta(minutes=5)},
        ring.keys[ring.active_kid],
        algorithm="HS256",
        headers={"kid": ring.active_kid},
    )
    gone = _page(api, expired)
    assert gone.status == 410
    assert "expired" in gone.body
    assert _answer(api, tampered, "x", {"question_id": "q1", "nonce": "2"}).status == 403
    assert _json(api, "record_signals", tampered, "signals", {"pastes": 1}).status == 403


def test_a_token_naming_another_organizations_session_finds_nothing(api, setup, tenant_b, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    claims = jwt.decode(token, options={"verify_signature": False})
    foreign, _ = signing.sign(
        {"org": tenant_b.id, "ses": claims["ses"]}, audience=flow.AUDIENCE, ttl=timedelta(hours=1)
    )
    assert _page(api, foreign).status == 404


# ------------------------------------------------------------------ signals (uploads: test_uploads.py)


def test_integrity_signals_add_up(api, setup, follow_ups):
    _, _, invite = setup
    token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
    assert _json(api, "record_signals", token, "signals", {"tab_switches": 2, "pastes": 1}).status == 204
    assert _json(api, "record_signals", token, "signals", {"tab_switches": 1}).status == 204
    assert _json(api, "record_signals", token, "signals", {"pastes": -1}).status == 400
    assert _json(api, "record_signals", token, "signals", {"pastes": "many"}).status == 400
    integrity = _session_of(token).integrity
    assert (integrity.tab_switches, integrity.pastes) == (3, 1)
    # the counts since the last report travel with the answer (a beacon could arrive after the session ended)
    assert _answer(api, token, "A full answer with enough words in it.", tab_switches="1", pastes="2").status == 303
    assert _answer(api, token, "A full answer with enough words in it.", pastes="lots").status == 303
    integrity = _session_of(token).integrity
    assert (integrity.tab_switches, integrity.pastes) == (4, 3)


# ------------------------------------------------------------------ the sweep


def test_the_sweep_abandons_an_inactive_session_and_leaves_an_active_one(api, tenant_a, follow_ups, monkeypatch):
    interview = _interview(tenant_a.id, minutes=60)
    quiet = _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Quiet"}))
    busy = _token(_start(api, _invite(tenant_a.id, interview).token, {"consent": "on", "name": "Busy"}))
    t0 = now()
    fields = _fields(_page(api, busy).body)
    monkeypatch.setattr(flow, "now", lambda: t0 + timedelta(minutes=20))
    assert _answer(api, busy, "A full answer with enough words in it.", fields).status == 303

    event = {**sample_event("abandon_sessions"), "time": (t0 + timedelta(minutes=35)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    result = invoke("abandon_sessions", event)
    assert result == {"abandoned": [_session_of(quiet).id]}
    assert _session_of(quiet).status is SessionStatus.abandoned
    assert _session_of(busy).status is SessionStatus.in_progress
    assert "has ended" in _page(api, quiet).body
    assert invoke("abandon_sessions", event) == {"abandoned": []}  # nothing twice

    later = {**event, "time": (t0 + timedelta(minutes=55)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert invoke("abandon_sessions", later) == {"abandoned": [_session_of(busy).id]}
    assert not table().query(sessions_store.ACTIVE_PK).items


def test_completion_queues_the_analysis_which_the_real_provider_writes(api, setup, monkeypatch):
    _, _, invite = setup
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="panelist-test-analysis")["QueueUrl"]
    renders = sqs.get_queue_url(QueueName="panelist-test-reports")["QueueUrl"]
    monkeypatch.setenv("PANELIST_ANALYSIS_QUEUE_URL", url)
    monkeypatch.setenv("PANELIST_REPORT_QUEUE_URL", renders)
    get_settings.cache_clear()

    def queued(queue_url: str) -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in messages]

    try:
        token = _token(_start(api, invite.token, {"consent": "on", "name": "Sam Lee"}))
        for _ in range(6):  # the offline provider's follow-ups included
            if _session_of(token).status is SessionStatus.in_progress:
                _answer(api, token, "A full answer with enough words in it.")
        analyses = queued(url)
        assert [json.loads(body)["session_id"] for body in analyses] == [_session_of(token).id]
        assert queued(renders) == [], "the report is rendered once, after the analysis, not before it"
        event = sample_event("analyse_session")
        event["Records"][0]["body"] = analyses[0]
        assert invoke("analyse_session", event) == {"batchItemFailures": []}
        assert _session_of(token).assessment is not None
        assert [json.loads(body)["session_id"] for body in queued(renders)] == [_session_of(token).id]
    finally:
        get_settings.cache_clear()


def test_a_start_form_behind_a_byte_order_mark_is_a_400_not_a_500(api, setup):
    _, _, invite = setup
    reply = api(
        "start_interview",
        path=f"/interview/{invite.token}/start",
        path_params={"token": invite.token},
        raw_body="\ufeff" + urlencode({"consent": "on", "name": "Sam Lee"}),
        headers=FORM,
    )
    assert reply.status == 400
