"""GET /api/reports/impact: the bias audit over completed, scored sessions and their voluntary self-identification."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from panelist.compliance import self_id_store
from panelist.models.common import now
from panelist.models.impact import RaceEthnicity, SelfIdentification, Sex
from panelist.models.sessions import SessionStatus
from tests.functions.test_self_identification import make_interview, make_session

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _declare(tenant, session, sex, race=None):
    self_id_store.put(
        SelfIdentification(
            organization_id=tenant.id,
            session_id=session.id,
            sex=sex,
            race_ethnicity=race,
            source="test",
            recorded_at=now(),
        )
    )


@pytest.fixture
def audited(tenant_a):
    """Interview X: 4 female (scores 90, 80, 60, 50), 4 male (70, 40, 30, 20), 1 unknown (50): median 50.
    Interview Y: 1 male (95). Outside: one completed the day before the window, one not scored, one abandoned."""
    x, y = make_interview(tenant_a.id), make_interview(tenant_a.id)
    sessions = {}
    for name, score, sex, race in [
        ("f1", 90, Sex.female, RaceEthnicity.asian),
        ("f2", 80, Sex.female, RaceEthnicity.white),
        ("f3", 60, Sex.female, RaceEthnicity.white),
        ("f4", 50, Sex.female, RaceEthnicity.decline),
        ("m1", 70, Sex.male, RaceEthnicity.white),
        ("m2", 40, Sex.male, RaceEthnicity.asian),
        ("m3", 30, Sex.male, RaceEthnicity.white),
        ("m4", 20, Sex.male, None),
        ("u1", 50, None, None),
    ]:
        sessions[name] = make_session(tenant_a.id, x, score=score, completed_at=DAY)
        if sex or race:
            _declare(tenant_a, sessions[name], sex, race)
    sessions["y1"] = make_session(tenant_a.id, y, score=95, completed_at=DAY + timedelta(days=1))
    _declare(tenant_a, sessions["y1"], Sex.male)
    early = make_session(tenant_a.id, x, score=100, completed_at=DAY - timedelta(days=1))
    _declare(tenant_a, early, Sex.male)
    unscored = make_session(tenant_a.id, x, score=None, completed_at=DAY)
    _declare(tenant_a, unscored, Sex.male)
    make_session(tenant_a.id, x, status=SessionStatus.abandoned, score=None, completed_at=DAY)
    return x, y, sessions


def _get(api, tenant, **query):
    params = {"from": "2026-03-10", "to": "2026-03-31", **{k: str(v) for k, v in query.items()}}
    return api("impact_report", query=params, headers=tenant.as_member())


def _rows(body, dimension):
    table = next(t for t in body["tables"] if t["dimension"] == dimension)
    return {c["category"]: c for c in table["categories"]}, table


def test_one_interviews_report_as_json(api, tenant_a, audited):
    x, _, sessions = audited
    reply = _get(api, tenant_a, interview_id=x.id)
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["sessions"], body["method"], body["median_score"]) == (9, "scoring_rate", 50)
    assert (body["period_from"], body["period_to"], body["interview_id"]) == ("2026-03-10", "2026-03-31", x.id)
    sex, table = _rows(body, "sex")
    # above 50: female 90, 80, 60 (3 of 4); male 70 (1 of 4)
    assert (sex["female"]["count"], sex["female"]["positive"], sex["female"]["rate"]) == (4, 3, 0.75)
    assert (sex["male"]["rate"], sex["male"]["impact_ratio"], sex["male"]["flagged"]) == (0.25, 0.3333, True)
    assert table["unknown"] == 1
    race, table = _rows(body, "race_ethnicity")
    assert (race["white"]["count"], race["white"]["positive"]) == (4, 3)  # 80, 60, 70 above; 30 not
    assert (race["asian"]["count"], race["asian"]["rate"], race["asian"]["impact_ratio"]) == (2, 0.5, 0.6667)
    assert table["unknown"] == 3  # declined, none, no self-identification
    both, table = _rows(body, "intersectional")
    assert both["female+white"]["rate"] == 1.0
    assert both["male+white"]["rate"] == 0.5
    assert table["unknown"] == 3
    raw = json.dumps(body)  # counts and rates only: no session, no candidate
    assert not any(s.id in raw or s.candidate_id in raw for s in sessions.values())


def test_all_interviews_and_selection_rates_once_every_session_is_decided(api, tenant_a):
    x = make_interview(tenant_a.id)
    for score, sex, decision in [
        (10, Sex.female, "advance"),
        (20, Sex.female, "advance"),
        (90, Sex.male, "reject"),
        (80, Sex.male, "advance"),
    ]:
        session = make_session(tenant_a.id, x, score=score, decision=decision, completed_at=DAY)
        _declare(tenant_a, session, sex)
    body = _get(api, tenant_a).body
    assert body["method"] == "selection_rate"
    assert body["interview_id"] is None
    sex, _ = _rows(body, "sex")
    assert (sex["female"]["rate"], sex["male"]["rate"], sex["male"]["impact_ratio"]) == (1.0, 0.5, 0.5)


def test_the_window_is_by_completion_day_and_counts_all_interviews_without_interview_id(api, tenant_a, audited):
    assert _get(api, tenant_a).body["sessions"] == 10  # X's nine and Y's one; not the early, unscored or abandoned
    assert _get(api, tenant_a, **{"from": "2026-03-09", "to": "2026-03-09"}).body["sessions"] == 1  # the early one
    assert _get(api, tenant_a, **{"from": "2026-03-11", "to": "2026-03-11"}).body["sessions"] == 1  # Y's


def test_csv_and_pdf_have_the_figures_and_no_individual(api, tenant_a, audited):
    x, _, sessions = audited
    reply = _get(api, tenant_a, interview_id=x.id, format="csv")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert 'filename="impact-2026-03-10-2026-03-31.csv"' in reply.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(reply.body)))
    assert rows[0] == [
        "dimension",
        "category",
        "label",
        "count",
        "positive",
        "rate",
        "impact_ratio",
        "flagged",
        "excluded",
    ]
    assert ["sex", "male", "Male", "4", "1", "0.2500", "0.3333", "yes", "no"] in rows
    assert not any(s.id in reply.body or s.candidate_id in reply.body for s in sessions.values())

    reply = _get(api, tenant_a, interview_id=x.id, format="pdf")  # a readable table
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.body)).pages)
    assert "Impact ratio" in text
    assert "Female" in text
    assert "Below 0.8" in text
    assert not any(s.id in text for s in sessions.values())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"format": "xlsx"}, "format"),
        ({"interview_id": ""}, "interview_id"),
    ],
)
def test_bad_parameters_are_400s_naming_the_field(api, tenant_a, query, field):
    reply = _get(api, tenant_a, **query)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field


def test_a_366_day_window_is_accepted_and_an_unknown_interview_is_a_404(api, tenant_a):
    assert _get(api, tenant_a, **{"from": "2024-01-01", "to": "2024-12-31"}).status == 200  # leap year: 366 days
    reply = _get(api, tenant_a, interview_id="00000000-0000-0000-0000-000000000000")
    assert reply.status == 404
    assert reply.body["error"]["details"]["field"] == "interview_id"


def test_another_organizations_sessions_never_count(api, tenant_a, tenant_b, audited):
    x, _, _ = audited
    body = _get(api, tenant_b).body
    assert body["sessions"] == 0
    unknown = _get(api, tenant_b, interview_id="00000000-0000-0000-0000-000000000000")
    foreign = _get(api, tenant_b, interview_id=x.id)
    assert (foreign.status, foreign.body) == (unknown.status, unknown.body) == (404, unknown.body)
