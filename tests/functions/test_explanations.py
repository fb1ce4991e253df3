"""Explanations on request: `POST /api/sessions/{id}/explanation` makes a signed link, and
`GET /interview/explanation/{token}` (no credentials) shows the candidate how their interview was assessed."""

import html
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from panelist.candidates.store import get_candidate, save_candidate
from panelist.compliance import explanations
from panelist.compliance import store as compliance_store
from panelist.core import signing
from panelist.models.common import now
from panelist.models.sessions import SessionStatus
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session
from tests.functions.csp import assert_strict_csp
from tests.functions.reports_data import make_interview, make_result
from tests.functions.test_sessions import make_session


def _create(api, tenant, session_id, body=None, headers=None):
    return api(
        "create_explanation",
        path=f"/api/sessions/{session_id}/explanation",
        path_params={"id": session_id},
        body=body,
        headers=headers or tenant.as_member(),
    )


def _view(api, token):
    return api("view_explanation", path=f"/interview/explanation/{token}", path_params={"token": token})


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _error(reply) -> tuple[int, str, str | None]:
    return reply.status, reply.body["error"]["code"], reply.body["error"]["details"].get("field")


def _text(reply) -> str:
    return html.unescape(reply.body)


def test_a_link_is_made_for_30_days_by_default_and_audited(api, tenant_a):
    session = make_result(tenant_a.id)
    before = now()

    reply = _create(api, tenant_a, session.id)

    assert reply.status == 201, reply.body
    assert set(reply.body) == {"id", "url", "expires_at"}
    assert reply.body["url"].startswith("https://api.example.com/interview/explanation/")
    expires = datetime.fromisoformat(reply.body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=30) - timedelta(seconds=5) < expires - before <= timedelta(days=30, seconds=5)
    claims = signing.verify(_token(reply.body["url"]), audience="explanation")
    assert (claims["org"], claims["ses"], claims["xid"]) == (tenant_a.id, session.id, reply.body["id"])
    [entry] = compliance_store.list_audit(tenant_a.id, session.candidate_id, offset=0, limit=5)
    assert (entry.action.value, entry.actor, entry.session_id) == (
        "explanation.created",
        f"api_key:{tenant_a.member_key_id}",
        session.id,
    )
    assert entry.detail["explanation_id"] == reply.body["id"]


def test_the_link_lives_as_many_days_as_asked(api, tenant_a):
    session = make_result(tenant_a.id)
    reply = _create(api, tenant_a, session.id, {"expires_in_days": 7})
    expires = datetime.fromisoformat(reply.body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - now() - timedelta(days=7)) < timedelta(seconds=10)


@pytest.mark.parametrize(
    "body", [{"expires_in_days": 0}, {"expires_in_days": 31}, {"expires_in_days": "x"}, {"expires_in_days": 1.5}]
)
def test_a_bad_lifetime_is_400_naming_the_field(api, tenant_a, body):
    session = make_session(tenant_a)
    assert _error(_create(api, tenant_a, session.id, body)) == (400, "INVALID_PARAMETER", "expires_in_days")
    assert compliance_store.count_audit(tenant_a.id, session.candidate_id) == 0


def test_an_unknown_field_is_400(api, tenant_a):
    session = make_session(tenant_a)
    assert _error(_create(api, tenant_a, session.id, {"days": 3})) == (400, "INVALID_PARAMETER", "days")


def test_only_a_completed_session_of_a_live_candidate_is_explained(api, tenant_a):
    running = make_session(tenant_a)
    sessions_store.set_fields(running.model_copy(update={"status": SessionStatus.in_progress}), ("status",))
    reply = _create(api, tenant_a, running.id)
    assert _error(reply) == (409, "CONFLICT", "id")
    assert "in_progress" in reply.body["error"]["message"]
    erased = make_session(tenant_a, erased=True)
    assert _error(_create(api, tenant_a, erased.id)) == (410, "GONE", "id")
    assert _error(_create(api, tenant_a, "nope")) == (404, "NOT_FOUND", "id")


# ------------------------------------------------------------------ the candidate's page


def test_the_page_explains_the_assessment_with_the_candidates_own_scores(api, tenant_a):
    interview = make_interview(tenant_a.id)
    session = make_result(tenant_a.id, interview=interview)
    other = make_result(tenant_a.id, interview=interview, name="Bo Rival", strength="moderate")
    url = _create(api, tenant_a, session.id).body["url"]

    reply = _view(api, _token(url))

    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "noindex" in reply.headers["X-Robots-Tag"]
    assert_strict_csp(reply)
    page = _text(reply)
    assert "conducted and scored by an AI system" in page
    for question in interview.questions:
        assert question.prompt in page
        assert question.expectations.strong in page
        for criterion in question.evaluation_criteria:
            assert criterion in page
    for skill in interview.skills:
        assert skill.name in page
    assert session.assessment is not None
    assert other.assessment is not None
    assert f"{round(session.assessment.score)} / 100" in page
    assert "Covered" in page
    assert "No person has recorded a decision" in page
    assert "Reply to the message that invited you" in page  # no contact set
    # Nothing of any other candidate: their name, their answers, their score; no ranking.
    assert "Bo Rival" not in page
    for answer in other.answers:
        assert answer.text not in page
    assert round(other.assessment.score) != round(session.assessment.score)
    assert f"{round(other.assessment.score)} / 100" not in page
    for word in ("percentile", "rank", "other candidates scored"):
        assert word not in page.lower()
    [viewed, _created] = compliance_store.list_audit(tenant_a.id, session.candidate_id, offset=0, limit=5)
    claims = signing.verify(_token(url), audience="explanation")
    assert (viewed.action.value, viewed.actor) == ("explanation.viewed", f"link:{claims['xid']}")


def test_the_page_shows_a_persons_decision_and_how_to_ask_for_a_review(api, tenant_a):
    session = make_result(tenant_a.id)
    api(
        "update_organization_settings",
        body={"alternative_contact": "talent@example.com", "human_review_required": True},
        headers=tenant_a.as_admin(),
    )
    token = _token(_create(api, tenant_a, session.id).body["url"])
    page = _text(_view(api, token))
    assert "No decision has been made yet" in page
    assert 'href="mailto:talent@example.com"' in _view(api, token).body

    reply = api(
        "review_session",
        path=f"/api/sessions/{session.id}/review",
        path_params={"id": session.id},
        body={"reviewer": "Maria", "decision": "advance", "note": "internal: strong on SQL"},
        headers=tenant_a.as_member(),
    )
    assert reply.status == 201

    page = _text(_view(api, token))  # the link shows the result as it is now
    assert "You were moved forward to the next step." in page
    assert "internal: strong on SQL" not in page  # the reviewer's note is the organization's
    assert "Maria" not in page


def test_the_page_is_in_the_interviews_language(api, tenant_a):
    session = make_result(tenant_a.id, language="ar")
    sessions_store.set_fields(session.model_copy(update={"language": "ar"}), ("language",))
    token = _token(_create(api, tenant_a, session.id).body["url"])
    reply = _view(api, token)
    assert reply.status == 200
    assert '<html lang="ar" dir="rtl">' in reply.body


def _signed(claims: dict, *, audience: str = "explanation", expires: datetime | None = None) -> str:
    ring = signing.key_ring()
    issued = datetime.now(UTC) - timedelta(days=2)
    payload = {
        **claims,
        "iss": "panelist",
        "aud": audience,
        "iat": issued,
        "exp": expires or issued + timedelta(days=9),
    }
    return jwt.encode(payload, ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid})


def test_a_forged_tampered_foreign_or_expired_link_shows_nothing(api, tenant_a, tenant_b):
    session = make_result(tenant_a.id)
    token = _token(_create(api, tenant_a, session.id).body["url"])
    claims = {"org": tenant_a.id, "ses": session.id, "xid": "x1"}
    head, body, signature = token.split(".")
    cases = {
        "tampered": f"{head}.{body}.{signature[:-3]}abc",
        "forged": jwt.encode(
            {**claims, "iss": "panelist", "aud": "explanation"}, "a-guessed-key-" * 4, algorithm="HS256"
        ),
        "another audience": _signed(claims, audience="report-share"),
        "no explanation id": _signed({"org": tenant_a.id, "ses": session.id}),
        "another organization": _signed({**claims, "org": tenant_b.id}),
        "garbage": "not-a-token",
    }
    for name, bad in cases.items():
        reply = _view(api, bad)
        # Another organization's id: no session of it has this id, so the link leads nowhere (410, like a deleted one).
        assert reply.status == (410 if name == "another organization" else 403), name
        assert session.answers[0].text not in _text(reply), name
    expired = _signed(claims, expires=datetime.now(UTC) - timedelta(seconds=5))
    assert _view(api, expired).status == 410
    entries = compliance_store.list_audit(tenant_a.id, session.candidate_id, offset=0, limit=10)
    assert [e.action.value for e in entries] == ["explanation.created"]  # no view was recorded


def test_an_erased_candidates_explanation_is_gone(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _token(_create(api, tenant_a, session.id).body["url"])
    candidate = get_candidate(tenant_a.id, session.candidate_id)
    save_candidate(candidate.model_copy(update={"erased_at": now()}))
    reply = _view(api, token)
    assert reply.status == 410
    assert session.answers[0].text not in _text(reply)
    assert get_session(tenant_a.id, session.id).status.value == "completed"


def test_results_erased_by_retention_are_gone(api, tenant_a):
    session = make_result(tenant_a.id)
    token = _token(_create(api, tenant_a, session.id).body["url"])
    sessions_store.set_fields(session.model_copy(update={"retention_erased": ["results"]}), ("retention_erased",))
    assert _view(api, token).status == 410
    assert explanations.AUDIENCE == "explanation"
