"""Scored results (issue 15): ids and scores on session lists and details, GET /api/sessions/{id}/result,
and the list's interview, candidate and score filters and sorts, read through bounded indexes."""

from datetime import UTC, datetime, timedelta

import pytest

from panelist.candidates.store import save_candidate
from panelist.interviews.ai.model import bucket_of
from panelist.models.candidates import Candidate
from panelist.models.common import new_id
from panelist.models.sessions import Assessment, Session, SessionStatus
from panelist.sessions import store
from panelist.sessions.lifecycle import finish_session, save_new_session
from tests.functions.harness import BAD_PAGING
from tests.functions.reports_data import make_interview, make_result

DAY0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _assessment(score: float) -> Assessment:
    return Assessment(score=score, resume_analysis="r", overall="o", why_hire=["h"], why_not_hire=["n"])


def _candidate(tenant, external_id: str | None = None) -> Candidate:
    candidate = Candidate(
        id=new_id(), organization_id=tenant.id, name="Ada", email="ada@example.com", external_id=external_id,
        created_at=DAY0,
    )  # fmt: skip
    save_candidate(candidate)
    return candidate


def _session(tenant, n: int, *, interview_id: str, candidate_id: str, score: float | None, status=None) -> Session:
    started = DAY0 + timedelta(hours=n)
    status = status or (SessionStatus.completed if score is not None else SessionStatus.in_progress)
    return save_new_session(
        Session(
            id=new_id(),
            number=0,
            organization_id=tenant.id,
            interview_id=interview_id,
            candidate_id=candidate_id,
            participant_email="ada@example.com",
            status=status,
            assessment=None if score is None else _assessment(score),
            started_at=started,
            completed_at=None if status is SessionStatus.in_progress else started + timedelta(minutes=12),
            updated_at=started + timedelta(minutes=12),
        )
    )


def _list(api, tenant, **query):
    return api("list_sessions", query={k: str(v) for k, v in query.items()}, headers=tenant.as_member())


def _result(api, tenant, session_id):
    path = f"/api/sessions/{session_id}/result"
    return api("get_session_result", path=path, path_params={"id": session_id}, headers=tenant.as_member())


# ------------------------------------------------------------------ fields on lists and details


def test_lists_and_details_carry_ids_score_bucket_and_external_id(api, tenant_a):
    result = make_result(tenant_a.id)
    interview_number = api(
        "get_session", path=f"/api/sessions/{result.id}", path_params={"id": result.id}, headers=tenant_a.as_member()
    ).body["ai_interview_id"]
    listed = _list(api, tenant_a).body["sessions"]
    assert len(listed) == 1
    assert result.assessment is not None
    expected = {
        "candidate_id": result.candidate_id,
        "interview_id": result.interview_id,
        "ai_interview_id": interview_number,
        "overall_score": result.assessment.score,
        "bucket": bucket_of(result.assessment.score).value,
        "analysis_status": "completed",
        "external_id": None,
    }
    assert isinstance(interview_number, int)
    assert interview_number >= 1
    assert {k: listed[0][k] for k in expected} == expected


def test_the_external_id_is_the_candidates(api, tenant_a):
    interview = make_interview(tenant_a.id)
    candidate = _candidate(tenant_a, "ats-42")
    session = _session(tenant_a, 0, interview_id=interview.id, candidate_id=candidate.id, score=81.5)
    detail = api(
        "get_session", path=f"/api/sessions/{session.id}", path_params={"id": session.id}, headers=tenant_a.as_member()
    ).body
    assert (detail["external_id"], detail["overall_score"], detail["bucket"]) == ("ats-42", 81.5, "strong")
    assert _list(api, tenant_a).body["sessions"][0]["external_id"] == "ats-42"


def test_analysis_status_is_pending_completed_or_failed(api, tenant_a):
    interview = make_interview(tenant_a.id)
    candidate = _candidate(tenant_a)
    session = _session(tenant_a, 0, interview_id=interview.id, candidate_id=candidate.id, score=None)
    assert _result(api, tenant_a, session.id).body["analysis_status"] == "pending"
    store.save_analysis(session, error="the model timed out")
    failed = _result(api, tenant_a, session.id).body
    assert (failed["analysis_status"], failed["analysis_error"], failed["overall_score"]) == (
        "failed",
        "the model timed out",
        None,
    )
    analysed = store.get_session(tenant_a.id, session.id).model_copy(update={"assessment": _assessment(42)})
    store.save_analysis(analysed)
    done = _result(api, tenant_a, session.id).body
    assert (done["analysis_status"], done["analysis_error"], done["overall_score"], done["bucket"]) == (
        "completed",
        None,
        42,
        "weak",
    )


# ------------------------------------------------------------------ the result


def test_the_result_has_every_answers_evaluation_and_the_assessment(api, tenant_a):
    session = make_result(tenant_a.id, strength="strong")
    reply = _result(api, tenant_a, session.id)
    assert reply.status == 200, reply.body
    body = reply.body
    assert session.assessment is not None
    assert (body["session_id"], body["response_id"], body["status"]) == (session.id, session.number, "completed")
    assert body["analysis_status"] == "completed"
    assert body["overall_score"] == session.assessment.score
    assert body["assessment"] == {
        "overall_score": session.assessment.score,
        "bucket": body["bucket"],
        "overall": session.assessment.overall,
        "resume_analysis": session.assessment.resume_analysis,
        "why_hire": session.assessment.why_hire,
        "why_not_hire": session.assessment.why_not_hire,
        "provenance": session.assessment.provenance.model_dump(mode="json"),
    }
    assert len(body["answers"]) == len(session.answers) > 0
    for shown, answer in zip(body["answers"], session.answers, strict=True):
        assert answer.analysis is not None
        assert answer.speech is not None
        assert (shown["question_id"], shown["answer"], shown["follow_up"]) == (
            answer.question_id,
            answer.text,
            answer.follow_up,
        )
        assert (shown["score"], shown["bucket"], shown["summary"], shown["reasons"]) == (
            answer.analysis.score,
            answer.analysis.bucket.value,
            answer.analysis.summary,
            answer.analysis.reasons,
        )
        assert shown["speech"] == answer.speech.model_dump(mode="json")
        # A typed answer: every speech figure null ("not measured"), never a constant; sentiment from its words.
        assert shown["speech"]["speech_accuracy"] is None
        assert shown["speech"]["recognition_confidence"] is None
        assert shown["speech"]["words_per_minute"] is None
        assert shown["speech"]["sentiment"] in ("positive", "neutral", "negative")
        assert shown["provenance"]["engine"] == answer.analysis.provenance.engine
        assert shown["provenance"]["rubric_version"]
        assert shown["question_number"] is not None
        assert shown["question"]
        criteria = shown["criteria"]
        assert [f"{c}: covered" for c in criteria["met"]] == answer.analysis.reasons
    assert any(a["criteria"]["met"] for a in body["answers"])


def test_criteria_are_read_from_both_reason_styles():
    from panelist.sessions.views import criteria

    found = criteria(["Covered: A", "Partly covered: B", "Missed: C", "D: covered", "E: partly covered", "F: missed"])
    assert found.model_dump() == {"met": ["A", "D"], "partly": ["B", "E"], "missed": ["C", "F"]}
    quoted = criteria(['Covered: A \u2014 "I did A"', "Missed: C \u2014 nothing in the answer addresses it"])
    assert quoted.model_dump() == {"met": ["A"], "partly": [], "missed": ["C"]}
    assert criteria(["Off topic: the answer has almost nothing in common"]).model_dump() == {
        "met": [],
        "partly": [],
        "missed": [],
    }


def test_a_session_not_analysed_is_a_result_with_null_scores(api, tenant_a):
    interview = make_interview(tenant_a.id)
    session = _session(tenant_a, 0, interview_id=interview.id, candidate_id=_candidate(tenant_a).id, score=None)
    body = _result(api, tenant_a, session.id).body
    assert (body["status"], body["analysis_status"], body["overall_score"], body["bucket"], body["assessment"]) == (
        "in_progress",
        "pending",
        None,
        None,
        None,
    )
    assert (body["answers"], body["role"], body["ai_interview_id"]) == ([], interview.role, interview.number)


def test_unknown_results_are_404(api, tenant_a):
    reply = _result(api, tenant_a, "nope")
    assert (reply.status, reply.body["error"]["code"]) == (404, "NOT_FOUND")


# ------------------------------------------------------------------ filters and sorts


@pytest.fixture
def spread(tenant_a):
    """12 sessions, an hour apart: two interviews, two candidates; 9 scored (scores below), 3 in progress."""
    interviews = [make_interview(tenant_a.id), make_interview(tenant_a.id)]
    candidates = [_candidate(tenant_a, "x1"), _candidate(tenant_a, "x2")]
    scores = [55.0, 70.0, 69.99, None, 100.0, 0.0, 88.25, None, 70.0, 42.0, None, 91.0]
    sessions = [
        _session(tenant_a, n, interview_id=interviews[n % 2].id, candidate_id=candidates[n // 6].id, score=score)
        for n, score in enumerate(scores)
    ]
    return interviews, candidates, sessions, scores


def _ids(body):
    return [s["id"] for s in body["sessions"]]


def test_filters_by_interview_and_candidate_by_date_with_pages(api, tenant_a, spread):
    interviews, candidates, sessions, _ = spread
    body = _list(api, tenant_a, interview_id=interviews[1].id, limit=4).body
    assert (_ids(body), body["total"]) == ([s.id for s in sessions[1:9:2]], 6)
    assert body["pagination"]["has_more"] is True
    page2 = _list(api, tenant_a, interview_id=interviews[1].id, limit=4, offset=4).body
    assert _ids(page2) == [sessions[9].id, sessions[11].id]
    newest = _list(api, tenant_a, candidate_id=candidates[0].id, order="desc", limit=3).body
    assert (_ids(newest), newest["total"]) == ([s.id for s in sessions[5:2:-1]], 6)
    in_progress = _list(api, tenant_a, candidate_id=candidates[1].id, status="in_progress").body
    assert (_ids(in_progress), in_progress["total"]) == ([sessions[7].id, sessions[10].id], 2)
    ranged = _list(api, tenant_a, interview_id=interviews[0].id, start_date="2025-03-01", end_date="2025-03-01").body
    assert ranged["total"] == 6
    assert _list(api, tenant_a, interview_id=interviews[0].id, start_date="2025-03-02").body["total"] == 0
    everything = _list(api, tenant_a, order="desc", limit=5).body
    assert (_ids(everything), everything["total"]) == ([s.id for s in sessions[:6:-1]], 12)


def test_a_finished_session_moves_between_its_interviews_status_lists(api, tenant_a, spread):
    interviews, _, sessions, _ = spread
    finish_session(tenant_a.id, sessions[3].id, SessionStatus.abandoned)
    body = _list(api, tenant_a, interview_id=interviews[1].id, status="abandoned").body
    assert (_ids(body), body["total"]) == ([sessions[3].id], 1)
    assert _list(api, tenant_a, interview_id=interviews[1].id, status="in_progress").body["total"] == 1


def _by_score(sessions, scores, keep=lambda n: True):
    scored = [(s, sc) for n, (s, sc) in enumerate(zip(sessions, scores, strict=True)) if sc is not None and keep(n)]
    return [s.id for s, _ in sorted(scored, key=lambda p: (-p[1], p[0].started_at))]


def test_sort_by_score_lists_analysed_sessions_highest_first_in_pages(api, tenant_a, spread):
    _, _, sessions, scores = spread
    expected = _by_score(sessions, scores)
    first = _list(api, tenant_a, sort="score", limit=4).body
    rest = _list(api, tenant_a, sort="score", limit=4, offset=4).body
    assert (first["total"], rest["total"]) == (9, 9)
    assert [s["overall_score"] for s in first["sessions"]] == [100, 91, 88.25, 70]
    # equal scores: the later start first when highest first (the reverse of the ascending order)
    assert _ids(first) + _ids(rest) + _ids(_list(api, tenant_a, sort="score", limit=4, offset=8).body) == [
        *expected[:3],
        sessions[8].id,
        sessions[1].id,
        *expected[5:],
    ]
    lowest = _list(api, tenant_a, sort="score", order="asc", limit=2).body
    assert [s["overall_score"] for s in lowest["sessions"]] == [0, 42]


@pytest.mark.parametrize(
    ("min_score", "count"), [(0, 9), (1, 8), (42, 8), (43, 7), (69, 6), (70, 5), (71, 3), (89, 2), (100, 1)]
)
def test_min_score_bounds_and_totals(api, tenant_a, spread, min_score, count):
    _, _, sessions, scores = spread
    body = _list(api, tenant_a, min_score=min_score, limit=100).body
    assert body["total"] == count
    assert sorted(_ids(body)) == sorted(_by_score(sessions, scores, lambda n: scores[n] >= min_score))  # type: ignore[operator]
    assert all(s["overall_score"] >= min_score for s in body["sessions"])


def test_min_score_combines_with_interview_candidate_and_status(api, tenant_a, spread):
    interviews, candidates, sessions, _scores = spread
    body = _list(api, tenant_a, min_score=70, interview_id=interviews[0].id).body
    assert (_ids(body), body["total"]) == ([sessions[i].id for i in (4, 6, 8)], 3)
    body = _list(api, tenant_a, min_score=50, candidate_id=candidates[0].id, status="completed").body
    assert (_ids(body), body["total"]) == ([sessions[4].id, sessions[1].id, sessions[2].id, sessions[0].id], 4)
    assert _list(api, tenant_a, min_score=0, status="in_progress").body == {
        "sessions": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
        "pagination": {"total": 0, "limit": 50, "offset": 0, "has_more": False},
    }


def test_a_new_analysis_moves_the_session_in_the_score_lists(api, tenant_a, spread):
    _, _, sessions, _ = spread
    rescored = store.get_session(tenant_a.id, sessions[5].id).model_copy(update={"assessment": _assessment(99)})
    store.set_fields(rescored, ("assessment",))
    assert _list(api, tenant_a, min_score=99).body["total"] == 2
    assert _ids(_list(api, tenant_a, sort="score", order="asc", limit=1).body) == [sessions[9].id]
    assert _list(api, tenant_a, min_score=0).body["total"] == 9


@pytest.mark.parametrize(
    ("query", "field"),
    [
        *BAD_PAGING,
        ({"min_score": "-1"}, "min_score"),
        ({"min_score": "101"}, "min_score"),
        ({"min_score": "high"}, "min_score"),
        ({"sort": "name"}, "sort"),
        ({"order": "up"}, "order"),
        ({"interview_id": ""}, "interview_id"),
        ({"interview_id": "i", "candidate_id": "c"}, "candidate_id"),
        ({"campaign_id": "c", "interview_id": "i"}, "interview_id"),
        ({"sort": "date", "min_score": "10"}, "min_score"),
        ({"sort": "score", "start_date": "2025-01-01"}, "start_date"),
        ({"min_score": "10", "end_date": "2025-01-01"}, "end_date"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api, tenant_a, query, field):
    reply = _list(api, tenant_a, **query)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field


def test_score_buckets_count_every_score_once():
    for low in range(101):
        buckets = store.min_score_buckets(low)
        covered = [u for u in range(101) if f"U{u}" in buckets or f"T{u // 10}" in buckets]
        assert covered == list(range(low, 101)), low
        assert len(buckets) <= 20
