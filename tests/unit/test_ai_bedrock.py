"""The Bedrock interview model against a stubbed bedrock-runtime client: Converse requests and responses."""

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from panelist.core import aws
from panelist.core.settings import get_settings
from panelist.interviews import ai
from panelist.interviews.ai import bedrock as bedrock_module
from panelist.interviews.ai.bedrock import (
    ANALYSE_TOOL,
    ASSESS_TOOL,
    EVALUATE_TOOL,
    FOLLOW_UP_TOOL,
    MODEL_CALL_BUDGET,
    QUESTIONS_TOOL,
    BedrockModel,
)
from panelist.interviews.ai.offline import OfflineModel
from panelist.models.interviews import Question, Seniority, Skill
from panelist.models.sessions import Answer, AnswerAnalysis, Bucket

MODEL_ID = "anthropic.claude-test-v1:0"

ANALYSIS = {
    "seniority": "senior",
    "skills": [
        {"name": "Python", "category": "language", "weight": 0.3},
        {"name": "Django", "category": "framework", "weight": 0.25},
        {"name": "PostgreSQL", "category": "database", "weight": 0.2},
        {"name": "Kubernetes", "category": "devops", "weight": 0.1},
        {"name": "REST APIs", "category": "Architecture", "weight": 0.2},  # sums to 1.05, category cased
    ],
}

QUESTION = {
    "prompt": "How do you avoid N+1 queries in a Django REST API, and how do you catch them in review?",
    "evaluation_criteria": ["select_related / prefetch_related", "Query counting in tests"],
    "expectations": {
        "strong": "Explains lazy querysets and asserts query counts in tests.",
        "moderate": "Knows select_related but not how to detect regressions.",
        "weak": "Does not recognise the N+1 pattern.",
    },
}
SECOND_QUESTION = {**QUESTION, "prompt": "When would you use Django signals, and when would you avoid them?"}


def converse_response(*content: dict[str, Any], stop: str = "tool_use") -> dict[str, Any]:
    """A Converse response as Bedrock returns it."""
    return {
        "output": {"message": {"role": "assistant", "content": list(content)}},
        "stopReason": stop,
        "usage": {"inputTokens": 812, "outputTokens": 356, "totalTokens": 1168},
        "metrics": {"latencyMs": 2417},
    }


def tool_use(name: str, tool_input: dict[str, Any], call: str = "tooluse_kQ3pW1xZTyS2") -> dict[str, Any]:
    return {"toolUse": {"toolUseId": call, "name": name, "input": tool_input}}


@pytest.fixture
def bedrock(monkeypatch):
    """A bedrock-runtime client, stubbed, answering for both profiles; `requests` collects the parameters of
    each call and `profiles` the profile (`request` or `background`) the model chose for it."""
    monkeypatch.setenv("PANELIST_AI_PROVIDER", "bedrock")
    monkeypatch.setenv("PANELIST_BEDROCK_MODEL_ID", MODEL_ID)
    get_settings.cache_clear()
    aws.reset()
    client = aws.client("bedrock-runtime", profile="background")
    requests: list[dict[str, Any]] = []
    profiles: list[str] = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse",
        lambda params, **_: requests.append(copy.deepcopy(params)),
    )
    choose = bedrock_module._client_for

    def stubbed(seconds_left, allowed):
        picked = choose(seconds_left, allowed)
        if picked is None:
            return None
        profiles.append(next(p for p in allowed if aws.client("bedrock-runtime", profile=p) is picked))
        return client

    monkeypatch.setattr(bedrock_module, "_client_for", stubbed)
    with Stubber(client) as stubber:
        stubber.requests = requests
        stubber.profiles = profiles
        yield stubber
        stubber.assert_no_pending_responses()
    aws.reset()
    get_settings.cache_clear()


@pytest.fixture
def model(bedrock) -> BedrockModel:
    return BedrockModel()


def test_a_tool_answer_becomes_a_job_analysis(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, ANALYSIS)))

    analysis = model.analyse_job(" Senior Python Developer ", "Django, PostgreSQL, REST APIs and Kubernetes.")

    assert analysis.role == "Senior Python Developer"
    assert analysis.seniority is Seniority.senior
    assert [s.name for s in analysis.skills] == ["Python", "Django", "PostgreSQL", "REST APIs", "Kubernetes"]
    assert round(sum(s.weight for s in analysis.skills), 2) == 1.0  # renormalised from 1.05
    assert {s.name: s.category for s in analysis.skills}["REST APIs"] == "architecture"
    (request,) = bedrock.requests
    assert "Senior Python Developer" in request["messages"][0]["content"][0]["text"]
    assert "<job_posting>\nDjango, PostgreSQL" in request["messages"][0]["content"][0]["text"]


def test_the_request_uses_the_configured_model_and_forces_the_tool(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, ANALYSIS)))
    model.analyse_job("Backend Engineer", "Python")

    (request,) = bedrock.requests
    assert request["modelId"] == MODEL_ID
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": ANALYSE_TOOL}}
    (tool,) = request["toolConfig"]["tools"]
    assert tool["toolSpec"]["name"] == ANALYSE_TOOL
    schema = tool["toolSpec"]["inputSchema"]["json"]
    assert schema["type"] == "object"
    assert set(schema["required"]) == {"seniority", "skills"}
    assert "$ref" not in str(schema)  # self-contained
    assert schema["properties"]["skills"]["minItems"] == ai.MIN_SKILLS
    assert schema["properties"]["seniority"]["enum"] == ["junior", "mid", "senior", "lead"]
    assert request["system"][0]["text"].endswith(f"calling the {ANALYSE_TOOL} tool.")


def test_questions_come_back_as_drafts_for_the_skill(bedrock, model):
    bedrock.add_response(
        "converse", converse_response(tool_use(QUESTIONS_TOOL, {"questions": [QUESTION, SECOND_QUESTION]}))
    )
    skill = Skill(name="Django", category="framework", weight=0.25)

    drafts = model.write_questions(skill, Seniority.senior, "Senior Python Developer", 2)

    assert [d.prompt for d in drafts] == [QUESTION["prompt"], SECOND_QUESTION["prompt"]]
    assert all(d.skill == "Django" for d in drafts)
    assert drafts[0].expectations.weak == "Does not recognise the N+1 pattern."
    (request,) = bedrock.requests
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": QUESTIONS_TOOL}}
    questions = request["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["properties"]["questions"]
    assert (questions["minItems"], questions["maxItems"]) == (2, 2)
    prompt = request["messages"][0]["content"][0]["text"]
    assert "Skill: Django" in prompt
    assert "Seniority: senior" in prompt
    assert "exactly 2 questions" in prompt


def test_a_malformed_answer_is_retried_once_with_the_error(bedrock, model):
    malformed = {"seniority": "expert", "skills": ANALYSIS["skills"][:2]}  # unknown level, too few skills
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, malformed, call="tooluse_first")))
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, ANALYSIS, call="tooluse_second")))

    analysis = model.analyse_job("Senior Python Developer", "Django and PostgreSQL.")

    assert len(analysis.skills) == 5
    first, second = bedrock.requests
    assert len(first["messages"]) == 1
    user, assistant, reply = second["messages"]
    assert user == first["messages"][0]
    assert assistant == {"role": "assistant", "content": [tool_use(ANALYSE_TOOL, malformed, call="tooluse_first")]}
    (result,) = reply["content"]
    assert result["toolResult"]["toolUseId"] == "tooluse_first"
    error = result["toolResult"]["content"][0]["text"]
    assert "seniority" in error
    assert "skills" in error
    assert ANALYSE_TOOL in error
    assert second["toolConfig"] == first["toolConfig"]


def test_a_second_malformed_answer_raises_model_output_error(bedrock, model):
    for _ in range(2):
        bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, {"skills": "Python, Django"})))

    with pytest.raises(ai.ModelOutputError, match=ANALYSE_TOOL):
        model.analyse_job("Senior Python Developer", "Django")
    assert len(bedrock.requests) == 2


def test_a_text_answer_without_the_tool_is_retried(bedrock, model):
    text = {"text": "Here are the skills: Python, Django, PostgreSQL."}
    bedrock.add_response("converse", converse_response(text, stop="end_turn"))
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, ANALYSIS)))

    analysis = model.analyse_job("Senior Python Developer", "Django and PostgreSQL.")

    assert analysis.skills[0].name == "Python"
    _, assistant, reply = bedrock.requests[1]["messages"]
    assert assistant == {"role": "assistant", "content": [text]}
    assert reply["role"] == "user"
    assert f"did not call the {ANALYSE_TOOL} tool" in reply["content"][0]["text"]


def test_the_wrong_number_of_questions_is_retried(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(QUESTIONS_TOOL, {"questions": [QUESTION]})))
    bedrock.add_response(
        "converse", converse_response(tool_use(QUESTIONS_TOOL, {"questions": [QUESTION, SECOND_QUESTION]}))
    )

    drafts = model.write_questions(Skill(name="Django", weight=0.3), Seniority.mid, "Backend Developer", 2)

    assert len(drafts) == 2
    error = bedrock.requests[1]["messages"][2]["content"][0]["toolResult"]["content"][0]["text"]
    assert "expected exactly 2 questions, got 1" in error


def test_duplicate_questions_or_a_cut_off_answer_are_unusable(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(QUESTIONS_TOOL, {"questions": [QUESTION, QUESTION]})))
    bedrock.add_response(
        "converse",
        converse_response(tool_use(QUESTIONS_TOOL, {"questions": [QUESTION, SECOND_QUESTION]}), stop="max_tokens"),
    )

    with pytest.raises(ai.ModelOutputError, match="token limit"):
        model.write_questions(Skill(name="Django", weight=0.3), Seniority.mid, "Backend Developer", 2)
    assert "distinct" in str(bedrock.requests[1]["messages"][2])


def test_service_errors_are_not_model_output_errors(bedrock, model):
    bedrock.add_client_error("converse", service_error_code="AccessDeniedException", http_status_code=403)

    with pytest.raises(ClientError, match="AccessDenied"):
        model.analyse_job("Senior Python Developer", "Django")


def test_question_count_is_checked_before_calling_the_model(bedrock, model):
    with pytest.raises(ValueError, match="count"):
        model.write_questions(Skill(name="Django", weight=0.3), Seniority.mid, "Backend Developer", 0)
    assert bedrock.requests == []


def test_the_default_provider_follows_the_settings(bedrock):
    ai._provider.cache_clear()
    try:
        chosen = ai.provider()
        assert isinstance(chosen, BedrockModel)
        assert chosen.model_id == MODEL_ID
        assert ai.provider("bedrock") is chosen
    finally:
        ai._provider.cache_clear()


# --- Answer evaluation, follow-ups and the assessment -------------------------------------------------------

RUBRIC_QUESTION = Question(id="q2", skill="Django", **QUESTION)
EVALUATION = {"score": 80, "summary": "Complete answer.", "reasons": ["Covered: query counting in tests"]}
STRONG_ANSWER = "Querysets are lazy; I use select_related and prefetch_related and assertNumQueries in tests."


def test_an_evaluation_is_clamped_and_bucketed_by_the_shared_thresholds(bedrock, model):
    evaluation = {"score": 112, "summary": " Complete answer. ", "reasons": ["Covered: query counting in tests"]}
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, evaluation)))

    analysis = model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Senior Python Developer")

    assert (analysis.score, analysis.bucket, analysis.summary) == (100, Bucket.strong, "Complete answer.")
    assert analysis.reasons == ["Covered: query counting in tests"]
    (request,) = bedrock.requests
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": EVALUATE_TOOL}}
    prompt = request["messages"][0]["content"][0]["text"]
    assert "Role: Senior Python Developer" in prompt
    assert "- Query counting in tests" in prompt
    assert "Weak answer: Does not recognise the N+1 pattern." in prompt
    assert f"<answer>\n{STRONG_ANSWER}\n</answer>" in prompt


def test_a_low_score_is_a_weak_bucket(bedrock, model):
    evaluation = {"score": -4, "summary": "Off topic.", "reasons": ["Missed: every criterion"]}
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, evaluation)))
    analysis = model.evaluate_answer(RUBRIC_QUESTION, "I like hiking.", role="Engineer")
    assert (analysis.score, analysis.bucket) == (0, Bucket.weak)


def test_an_evaluation_without_reasons_is_retried_once(bedrock, model):
    bad = {"score": 60, "summary": "Fine.", "reasons": []}
    good = {"score": 60, "summary": "Fine.", "reasons": ["Partly covered: ORM laziness"]}
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, bad, call="tooluse_first")))
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, good, call="tooluse_second")))

    analysis = model.evaluate_answer(RUBRIC_QUESTION, "select_related, I think.", role="Engineer")

    assert analysis.bucket is Bucket.moderate
    retry = bedrock.requests[1]["messages"]
    assert retry[2]["content"][0]["toolResult"]["toolUseId"] == "tooluse_first"
    assert "reasons" in retry[2]["content"][0]["toolResult"]["content"][0]["text"]


def test_a_second_unusable_evaluation_raises_model_output_error(bedrock, model):
    for _ in range(2):
        bedrock.add_response("converse", converse_response({"text": "It is a good answer."}, stop="end_turn"))
    with pytest.raises(ai.ModelOutputError, match=EVALUATE_TOOL):
        model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")


def test_a_follow_up_when_needed_and_none_otherwise(bedrock, model):
    asked = {"needed": True, "question": " How would you catch an N+1 regression   in review? "}
    bedrock.add_response("converse", converse_response(tool_use(FOLLOW_UP_TOOL, asked)))
    bedrock.add_response("converse", converse_response(tool_use(FOLLOW_UP_TOOL, {"needed": False, "question": None})))

    assert (
        model.follow_up(RUBRIC_QUESTION, "I'd use select_related.")
        == "How would you catch an N+1 regression in review?"
    )
    assert model.follow_up(RUBRIC_QUESTION, STRONG_ANSWER) is None
    assert bedrock.requests[0]["toolConfig"]["toolChoice"] == {"tool": {"name": FOLLOW_UP_TOOL}}
    assert bedrock.profiles == ["request", "request"]  # asked while the candidate waits: the short client


def test_an_unusable_follow_up_is_not_asked_again_the_offline_engine_decides(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(FOLLOW_UP_TOOL, {"needed": True}, call="tooluse_a")))

    asked = model.follow_up(RUBRIC_QUESTION, "Not sure.")

    assert asked == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")
    assert asked  # a thin answer gets the offline engine's follow-up
    assert len(bedrock.requests) == 1  # one round only: the request cannot wait for a second


@pytest.mark.parametrize("code", ["ThrottlingException", "ModelTimeoutException", "AccessDeniedException"])
def test_a_failed_follow_up_call_falls_back_to_the_offline_engine(bedrock, model, code):
    bedrock.add_client_error("converse", service_error_code=code, http_status_code=429)
    assert model.follow_up(RUBRIC_QUESTION, "Not sure.") == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")


# --- Time: every call fits its function's timeout ------------------------------------------------------------


def test_background_capabilities_use_the_long_client_and_the_follow_up_the_short_one(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(ANALYSE_TOOL, ANALYSIS)))
    model.analyse_job("Backend Engineer", "Python")
    assert bedrock.profiles == ["background"]
    background = aws.worst_case_seconds(aws.config("bedrock-runtime", "background"))
    assert 2 * background > MODEL_CALL_BUDGET >= background  # one full round always fits, two do not


class Clock:
    """time.monotonic for the model, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_corrected_answer_is_not_asked_when_its_round_could_not_finish_in_the_budget(bedrock, model, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(bedrock_module, "time", clock)
    unusable = converse_response(tool_use(ANALYSE_TOOL, {"skills": "Python"}))
    bedrock.add_response("converse", unusable)
    original = bedrock_module._client_for

    def slow_first_round(seconds_left, allowed):
        picked = original(seconds_left, allowed)
        clock.now += 30  # the first round took 30 s: a second (127 s at worst) would end past 150 s
        return picked

    monkeypatch.setattr(bedrock_module, "_client_for", slow_first_round)

    with pytest.raises(ai.ModelOutputError, match="no time left"):
        model.analyse_job("Backend Engineer", "Python")
    assert len(bedrock.requests) == 1


def test_under_a_time_limit_a_late_call_uses_the_short_client_and_a_too_late_one_is_not_made(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, EVALUATION)))
    with ai.time_limit(60):  # the long client's 127 s do not fit; the short one's 14 s do
        model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")
    with ai.time_limit(10), pytest.raises(ai.ModelOutputError, match="no time left"):
        model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, EVALUATION)))
    model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")  # the limit ended with its block
    assert bedrock.profiles == ["request", "background"]
    assert len(bedrock.requests) == 2


def test_the_assessment_sees_every_question_answer_and_the_resume(bedrock, model):
    assessment = {
        "score": 81.26,
        "resume_analysis": "Eight years of Python and Django.",
        "overall": "Strong on the ORM.",
        "why_hire": ["Catches N+1 queries in tests"],
        "why_not_hire": ["Did not answer the PostgreSQL question"],
    }
    bedrock.add_response("converse", converse_response(tool_use(ASSESS_TOOL, assessment)))
    unanswered = RUBRIC_QUESTION.model_copy(update={"id": "q3", "skill": "PostgreSQL", "prompt": "Big tables?"})
    analysis = AnswerAnalysis(score=88, bucket=Bucket.strong, summary="Good.", reasons=["Covered: all"])
    answer = Answer(question_id="q2", text=STRONG_ANSWER, started_at=0, ended_at=20, analysis=analysis)

    result = model.assess_candidate("Senior Python Developer", [RUBRIC_QUESTION, unanswered], [answer], "Python, 8y")

    assert result.score == 88  # the overall score of the answers, never another figure the model writes
    assert result.provenance is not None
    assert result.provenance.engine == f"bedrock:{MODEL_ID}"
    assert result.provenance.rubric_version == ai.RUBRIC_VERSION
    assert result.why_not_hire == ["Did not answer the PostgreSQL question"]
    prompt = bedrock.requests[0]["messages"][0]["content"][0]["text"]
    assert "Question 1 (Django)" in prompt
    assert "Score: 88/100 (strong)" in prompt
    assert "Question 2 (PostgreSQL): Big tables?\nNot answered." in prompt
    assert "<resume>\nPython, 8y\n</resume>" in prompt


def test_an_assessment_without_a_resume_says_so_to_the_model(bedrock, model):
    assessment = {"score": 140, "resume_analysis": "No resume.", "overall": "x", "why_hire": [], "why_not_hire": []}
    bedrock.add_response("converse", converse_response(tool_use(ASSESS_TOOL, assessment)))
    result = model.assess_candidate("Engineer", [RUBRIC_QUESTION], [], None)
    assert result.score == 0  # no answer scored
    assert "(no resume text)" in bedrock.requests[0]["messages"][0]["content"][0]["text"]


# --- Provenance and evidence (issue 16) ----------------------------------------------------------------------


def test_an_evaluation_records_the_model_and_keeps_only_quotes_the_answer_holds(bedrock, model):
    evaluation = {
        "score": 80,
        "summary": "Complete answer.",
        "evidence": [
            {"criterion": "select_related / prefetch_related", "status": "met", "quote": "I use SELECT_RELATED and"},
            {"criterion": "Query counting in tests", "status": "met", "quote": "I count queries with a profiler"},
        ],
        "reasons": ["Knows querysets are lazy"],
    }
    bedrock.add_response("converse", converse_response(tool_use(EVALUATE_TOOL, evaluation)))

    analysis = model.evaluate_answer(RUBRIC_QUESTION, STRONG_ANSWER, role="Engineer")

    assert analysis.provenance is not None
    assert analysis.provenance.engine == f"bedrock:{MODEL_ID}"
    assert analysis.provenance.fallback_from is None
    real, invented = analysis.evidence
    assert real.quote == "I use select_related and"  # as written in the answer
    assert real.quote in STRONG_ANSWER
    assert invented.quote is None  # the answer never says it: dropped, never shown
    assert all(e.quote is None or e.quote in STRONG_ANSWER for e in analysis.evidence)
    assert 'Covered: select_related / prefetch_related \u2014 "I use select_related and"' in analysis.reasons
    assert not any("profiler" in reason for reason in analysis.reasons)
    schema = bedrock.requests[0]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]
    assert "quote" in schema["properties"]["evidence"]["items"]["properties"]


def test_a_follow_up_fallback_to_the_offline_engine_is_recorded(bedrock, model):
    bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)

    decision = model.follow_up_decision(RUBRIC_QUESTION, "Not sure.")

    assert decision.question == OfflineModel().follow_up(RUBRIC_QUESTION, "Not sure.")
    assert decision.provenance.engine == ai.OFFLINE_ENGINE
    assert decision.provenance.fallback_from == f"bedrock:{MODEL_ID}"
    assert "ThrottlingException" in (decision.provenance.fallback_reason or "")


def test_a_follow_up_the_model_decides_names_the_model(bedrock, model):
    bedrock.add_response("converse", converse_response(tool_use(FOLLOW_UP_TOOL, {"needed": False, "question": None})))
    decision = model.follow_up_decision(RUBRIC_QUESTION, STRONG_ANSWER)
    assert decision.question is None
    assert (decision.provenance.engine, decision.provenance.fallback_from) == (f"bedrock:{MODEL_ID}", None)
