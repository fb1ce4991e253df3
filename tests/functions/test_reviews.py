"""The human review gate: `POST /api/sessions/{id}/review`, `GET /api/sessions/{id}/reviews`, and what the
organization's `human_review_required` changes in the session outputs and the `session.scored` payload."""

import html

import pytest

from panelist.compliance import reviews
from panelist.compliance import store as compliance_store
from panelist.compliance.review_store import count_reviews
from panelist.compliance.settings import update_hiring_settings
from panelist.interviews import analysis
from panelist.models.compliance import HiringSettingsUpdate
from panelist.models.sessions import SessionStatus
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session
from tests.functions.csp import assert_strict_csp
from tests.functions.harness import BAD_PAGING
from tests.functions.reports_data import make_result
from tests.functions.test_candidate_pages import open_url, sign_link
from tests.functions.test_sessions import make_session


@pytest.fixture
def published(monkeypatch):
    """The events the reviews publish (through the real `publish`, which queues nothing without endpoints)."""
    calls = []
    real = reviews.endpoints.publish

    def spy(organization_id, event_type, data, *, idempotency_key):
        calls.append((organization_id, event_type, data, idempotency_key))
        return real(organization_id, event_type, data, idempotency_key=idempotency_key)

    monkeypatch.setattr(reviews.endpoints, "publish", spy)
    return calls


def _review(api, tenant, session_id, body, headers=None):
    return api(
        "review_session",
        path=f"/api/sessions/{session_id}/review",
        path_params={"id": session_id},
        body=body,
        headers=headers or tenant.as_member(),
    )


def _reviews(api, tenant, session_id, **query):
    return api(
        "list_session_reviews",
        path=f"/api/sessions/{session_id}/reviews",
        path_params={"id": session_id},
        query={k: str(v) for k, v in query.items()},
        headers=tenant.as_member(),
    )


def _error(reply) -> tuple[int, str, str | None]:
    return reply.status, reply.body["error"]["code"], reply.body["error"]["details"].get("field")


def _require_review(api, tenant):
    reply = api("update_organization_settings", body={"human_review_required": True}, headers=tenant.as_admin())
    assert reply.status == 200, reply.body


def test_a_decision_is_stored_with_the_session_audited_and_published(api, tenant_a, published):
    session = make_result(tenant_a.id)
    assert session.assessment is not None
    body = {"reviewer": "Maria Lopez", "decision": "advance", "note": "Clear on transactions."}

    reply = _review(api, tenant_a, session.id, body)

    assert reply.status == 201, reply.body
    review = reply.body
    assert set(review) == {"id", "session_id", "reviewer", "decision", "note", "created_at", "score_at_review"}
    assert (review["session_id"], review["reviewer"], review["decision"]) == (session.id, "Maria Lopez", "advance")
    assert (review["note"], review["score_at_review"]) == ("Clear on transactions.", session.assessment.score)
    stored = get_session(tenant_a.id, session.id)
    assert stored.decision == "advance"
    assert stored.decided_at is not None
    assert stored.decided_at.isoformat().startswith(review["created_at"].removesuffix("Z")[:19])
    [entry] = compliance_store.list_audit(tenant_a.id, session.candidate_id, offset=0, limit=10)
    assert (entry.action.value, entry.actor, entry.session_id) == (
        "session.reviewed",
        f"api_key:{tenant_a.member_key_id}",
        session.id,
    )
    assert entry.detail == {"decision": "advance", "review_id": review["id"]}
    [(organization_id, event_type, data, key)] = published
    assert (organization_id, event_type, key) == (tenant_a.id, "session.decided", f"session.decided:{review['id']}")
    assert data == {
        "id": session.id,
        "response_id": session.number,
        "candidate_id": session.candidate_id,
        "interview_id": session.interview_id,
        "decision": "advance",
        "reviewer": "Maria Lopez",
        "review_id": review["id"],
        "decided_at": review["created_at"],
    }


def test_every_review_is_kept_newest_first_and_the_latest_decides(api, tenant_a, published):
    session = make_session(tenant_a)
    first = _review(api, tenant_a, session.id, {"reviewer": "A", "decision": "hold"}).body
    second = _review(api, tenant_a, session.id, {"reviewer": "B", "decision": "reject", "note": None}).body
    third = _review(api, tenant_a, session.id, {"reviewer": "C", "decision": "advance"}).body

    listing = _reviews(api, tenant_a, session.id).body
    assert [r["id"] for r in listing["reviews"]] == [third["id"], second["id"], first["id"]]
    assert listing["reviews"][1] == second
    assert (listing["total"], listing["limit"], listing["offset"]) == (3, 50, 0)
    assert second["score_at_review"] is None  # the AI had not scored it
    page = _reviews(api, tenant_a, session.id, limit=1, offset=1).body
    assert [r["id"] for r in page["reviews"]] == [second["id"]]
    assert page["pagination"] == {"total": 3, "limit": 1, "offset": 1, "has_more": True}
    assert get_session(tenant_a.id, session.id).decision == "advance"
    assert len({key for *_, key in published}) == 3  # one event per review


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "advance"}, "reviewer"),
        ({"reviewer": "", "decision": "advance"}, "reviewer"),
        ({"reviewer": "   ", "decision": "advance"}, "reviewer"),
        ({"reviewer": "x" * 201, "decision": "advance"}, "reviewer"),
        ({"reviewer": 7, "decision": "advance"}, "reviewer"),
        ({"reviewer": "A"}, "decision"),
        ({"reviewer": "A", "decision": "hire"}, "decision"),
        ({"reviewer": "A", "decision": "advance", "note": "x" * 2001}, "note"),
        ({"reviewer": "A", "decision": "advance", "score": 90}, "score"),
    ],
)
def test_a_bad_review_is_400_naming_the_field_and_writes_nothing(api, tenant_a, published, body, field):
    session = make_session(tenant_a)
    assert _error(_review(api, tenant_a, session.id, body)) == (400, "INVALID_PARAMETER", field)
    assert count_reviews(tenant_a.id, session.id) == 0
    assert get_session(tenant_a.id, session.id).decision is None
    assert published == []


@pytest.mark.parametrize("status", [SessionStatus.in_progress, SessionStatus.abandoned])
def test_only_a_completed_session_is_reviewed(api, tenant_a, published, status):
    session = make_session(tenant_a)
    sessions_store.set_fields(session.model_copy(update={"status": status}), ("status",))

    reply = _review(api, tenant_a, session.id, {"reviewer": "A", "decision": "reject"})

    assert _error(reply) == (409, "CONFLICT", "id")
    assert status.value in reply.body["error"]["message"]
    assert count_reviews(tenant_a.id, session.id) == 0
    assert published == []
    assert compliance_store.count_audit(tenant_a.id, session.candidate_id) == 0


def test_a_session_that_stops_being_completed_meanwhile_gets_no_review(api, tenant_a, published, monkeypatch):
    session = make_session(tenant_a)
    read = sessions_store.get_session

    def read_then_changed(organization_id, session_id):
        found = read(organization_id, session_id)
        changed = found.model_copy(update={"status": SessionStatus.abandoned})
        sessions_store.set_fields(changed, ("status",))
        monkeypatch.setattr(sessions_store, "get_session", read)
        return found

    monkeypatch.setattr(sessions_store, "get_session", read_then_changed)
    reply = _review(api, tenant_a, session.id, {"reviewer": "A", "decision": "reject"})

    assert _error(reply) == (409, "CONFLICT", "id")
    assert "abandoned" in reply.body["error"]["message"]
    assert count_reviews(tenant_a.id, session.id) == 0  # the review, the decision and the audit: all or nothing
    assert get_session(tenant_a.id, session.id).decision is None
    assert compliance_store.count_audit(tenant_a.id, session.candidate_id) == 0
    assert published == []


def test_an_unknown_session_is_404(api, tenant_a):
    assert _error(_review(api, tenant_a, "nope", {"reviewer": "A", "decision": "hold"})) == (404, "NOT_FOUND", "id")
    assert _error(_reviews(api, tenant_a, "nope")) == (404, "NOT_FOUND", "id")


@pytest.mark.parametrize(("query", "field"), BAD_PAGING)
def test_bad_paging_of_reviews_is_400_naming_the_field(api, tenant_a, query, field):
    session = make_session(tenant_a)
    assert _error(_reviews(api, tenant_a, session.id, **query)) == (400, "INVALID_PARAMETER", field)


# ------------------------------------------------------------------ what the gate changes


def _outputs(api, tenant, session_id):
    path = {"path_params": {"id": session_id}, "headers": tenant.as_member()}
    detail = api("get_session", path=f"/api/sessions/{session_id}", **path).body
    result = api("get_session_result", path=f"/api/sessions/{session_id}/result", **path).body
    [listed] = api("list_sessions", query={}, headers=tenant.as_member()).body["sessions"]
    return detail, result, listed


def test_without_the_gate_the_ai_result_is_not_advisory(api, tenant_a):
    session = make_result(tenant_a.id)
    detail, result, listed = _outputs(api, tenant_a, session.id)
    expected = {"required": False, "status": "not_required", "decision": None, "decided_at": None}
    assert detail["review"] == result["review"] == listed["review"] == expected
    assert result["advisory"] is False
    assert result["overall_score"] is not None  # the score is shown either way


def test_with_the_gate_the_result_is_advisory_until_a_person_decides(api, tenant_a, tenant_b, published):
    session = make_result(tenant_a.id)
    other = make_result(tenant_b.id)
    _require_review(api, tenant_a)

    detail, result, listed = _outputs(api, tenant_a, session.id)
    pending = {"required": True, "status": "pending", "decision": None, "decided_at": None}
    assert detail["review"] == result["review"] == listed["review"] == pending
    assert result["advisory"] is True
    assert _outputs(api, tenant_b, other.id)[1]["advisory"] is False  # B's organization has no gate

    review = _review(api, tenant_a, session.id, {"reviewer": "Maria", "decision": "reject"}).body

    detail, result, listed = _outputs(api, tenant_a, session.id)
    decided = {"required": True, "status": "decided", "decision": "reject", "decided_at": review["created_at"]}
    assert detail["review"] == result["review"] == listed["review"] == decided
    assert result["advisory"] is False


def test_session_scored_says_whether_the_score_is_advisory(api, tenant_a, monkeypatch):
    session = make_result(tenant_a.id)
    sent = []
    monkeypatch.setattr(analysis.endpoints, "publish", lambda org, kind, data, **kw: sent.append(data))
    interview = analysis.interview_for(session)

    analysis._publish_scored(session, interview)
    update_hiring_settings_as_admin(tenant_a.id, human_review_required=True)
    analysis._publish_scored(session, interview)
    analysis._publish_scored(session.model_copy(update={"decision": "advance"}), interview)

    assert [data["advisory"] for data in sent] == [False, True, False]


def update_hiring_settings_as_admin(organization_id: str, **change) -> None:
    from panelist.api.auth import Principal

    principal = Principal(organization_id=organization_id, key_id="test", kind="api_key", role="admin")
    update_hiring_settings(principal, HiringSettingsUpdate(**change))


def test_an_admin_key_records_a_decision_too(api, tenant_a):
    # Every handler here runs under its own template role (the local runtime enforces IAM from the template).
    session = make_session(tenant_a)
    reply = _review(api, tenant_a, session.id, {"reviewer": "A", "decision": "hold"}, headers=tenant_a.as_admin())
    assert reply.status == 201, reply.body
    assert _reviews(api, tenant_a, session.id).body["total"] == 1


def test_the_recruiter_result_page_says_the_result_is_advisory_until_a_person_decides(api, tenant_a):
    session = make_result(tenant_a.id)
    url = sign_link(api, tenant_a, type="interview-result-talent-seeker", interview_result_id=session.id)
    assert reviews.ADVISORY not in html.unescape(open_url(api, url, function="result_for_recruiter").body)  # no gate

    _require_review(api, tenant_a)
    page = open_url(api, url, function="result_for_recruiter")
    assert page.status == 200
    assert reviews.ADVISORY in html.unescape(page.body)
    assert_strict_csp(page)  # the banner's style is named by its hash

    _review(api, tenant_a, session.id, {"reviewer": "Maria", "decision": "hold"})
    assert reviews.ADVISORY not in html.unescape(open_url(api, url, function="result_for_recruiter").body)
