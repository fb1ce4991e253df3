"""Issue 16 in the report (HTML for the PDF, and the JSON export): speech figures measured or "Not measured",
who scored each answer and the assessment (and any fallback), the answer count and the overall score."""

from __future__ import annotations

import pytest

from panelist.interviews import ai
from panelist.interviews.ai.model import provenance
from panelist.interviews.analysis import speech_analytics
from panelist.models.reports import DEFAULT_FEATURES
from panelist.models.sessions import Provenance
from panelist.reports.result import ResultSource, json_result, result_document
from tests.unit.reports_data import STARTED, fake_file_links, make_source
from tests.unit.test_analysis_measured import spoken

BASE = "https://panelist.test"


@pytest.fixture(autouse=True)
def fake_links(monkeypatch):
    fake_file_links(monkeypatch, base_url=BASE)


def _html(source: ResultSource) -> str:
    return result_document(source, features=DEFAULT_FEATURES, language="en", base_url=BASE)


def _json(source: ResultSource) -> dict:
    return json_result(source, features=DEFAULT_FEATURES, language="en", base_url=BASE)["data"]


def _with_spoken_first_answer(source: ResultSource) -> ResultSource:
    first = source.session.answers[0]
    audio = spoken().model_copy(update={"question_id": first.question_id, "analysis": first.analysis})
    audio = audio.model_copy(update={"speech": speech_analytics(audio, [])})
    answers = [audio, *source.session.answers[1:]]
    return ResultSource(source.session.model_copy(update={"answers": answers}), source.interview, source.candidate)


def test_typed_answers_show_not_measured_and_a_transcribed_one_its_figures():
    source = _with_spoken_first_answer(make_source())
    html, data = _html(source), _json(source)
    measured, typed = data["answers"][0]["speech"], data["answers"][1]["speech"]
    assert (measured["words_per_minute"], measured["recognition_confidence"], measured["pauses"]) == (105.3, 0.86, 1)
    assert measured["speech_accuracy"] == 0.9
    assert measured["measured_by"] == "offline:pocketsphinx 5.1.1 en-us"
    assert {
        key: typed[key] for key in ("speech_accuracy", "fluency", "recognition_confidence", "words_per_minute")
    } == {
        "speech_accuracy": None,
        "fluency": None,
        "recognition_confidence": None,
        "words_per_minute": None,
    }
    analytics = html.split("Speech analytics", 1)[1].split("</table>", 1)[0]
    rows = analytics.split("<tr>")[2:]  # the header row, then one row per answer
    assert "105 words per minute" in rows[0]
    assert "86%" in rows[0]
    assert "Not measured" not in rows[0]
    assert all(row.count("Not measured") == 5 for row in rows[1:])  # accuracy, fluency, confidence, cadence, pauses
    assert "100%" not in analytics  # never the old constant


def test_who_scored_each_answer_and_the_assessment_is_shown():
    source = make_source()
    analysis = source.session.answers[0].analysis
    assert analysis is not None
    offline = Provenance(engine="offline-rules v2", rubric_version="2", produced_at=STARTED)
    fallback = offline.model_copy(update={"fallback_from": "openai:gpt-4o-mini", "fallback_reason": "timed out"})
    answers = [
        a.model_copy(update={"analysis": a.analysis.model_copy(update={"provenance": fallback if i == 0 else offline})})
        for i, a in enumerate(source.session.answers)
    ]
    assessment = source.session.assessment.model_copy(
        update={"provenance": offline.model_copy(update={"engine": "bedrock:anthropic.claude-test"})}
    )
    session = source.session.model_copy(update={"answers": answers, "assessment": assessment})
    source = ResultSource(session, source.interview, source.candidate)
    html, data = _html(source), _json(source)
    assert "Scored by offline-rules v2, rubric 2" in html
    assert "Scored by bedrock:anthropic.claude-test, rubric 2" in html
    assert html.count("Fallback from openai:gpt-4o-mini: timed out") == 1
    assert data["answers"][0]["analysis"]["provenance"]["fallback_from"] == "openai:gpt-4o-mini"
    assert data["answers"][1]["analysis"]["provenance"]["engine"] == "offline-rules v2"
    assert data["assessment"]["provenance"]["engine"] == "bedrock:anthropic.claude-test"


def test_follow_ups_are_not_questions_and_the_average_is_the_overall_score():
    source = make_source()
    session = source.session
    follow_ups = [a.model_copy(update={"follow_up": True, "started_at": a.ended_at + 1}) for a in session.answers]
    unscored = session.model_copy(update={"answers": [*session.answers, *follow_ups], "assessment": None})
    source = ResultSource(unscored, source.interview, source.candidate)
    data, html = _json(source), _html(source)
    total = len(source.interview.questions)
    assert (data["questions_answered"], data["questions_total"]) == (total, total)
    assert f"{total} of {total}" in html
    # without an assessment the report's score is the same computation as the assessment's: skill-weighted
    assert data["score"] == ai.overall_score(source.interview.skills, source.interview.questions, unscored.answers)
    plain = sum(a.analysis.score for a in session.answers) / len(session.answers)
    assert data["score"] != round(plain, 1)


def test_a_follow_up_the_offline_engine_chose_for_a_failed_model_says_so():
    source = make_source()
    session = source.session
    decided = provenance("offline-rules v2", fallback_from="bedrock:claude", reason="ModelOutputError: timed out")
    follow_up_turn = session.turns[1].model_copy(update={"text": "Which metric first?", "provenance": decided})
    reply = session.turns[2].model_copy(update={"text": "Latency at p99."})
    answer = session.answers[0].model_copy(update={"follow_up": True, "text": "Latency at p99.", "analysis": None})
    turns = [*session.turns[:3], follow_up_turn, reply, *session.turns[3:]]
    answers = [session.answers[0], answer, *session.answers[1:]]
    chosen = ResultSource(session.model_copy(update={"turns": turns, "answers": answers}), source.interview, None)
    html = _html(chosen)
    assert html.count("Fallback from bedrock:claude: ModelOutputError: timed out") == 1
    assert "Fallback from" not in _html(source)
