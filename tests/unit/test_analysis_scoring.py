"""The offline answer evaluation against a labelled set (tests/data/labelled_answers.json), and the speech
analytics of panelist.interviews.analysis."""

import json
from pathlib import Path

import pytest

from panelist.interviews import ai
from panelist.interviews.ai.offline import OfflineModel
from panelist.interviews.analysis import overall_score, sentiment_of, speech_analytics
from panelist.models.interviews import Expectations, Question
from panelist.models.sessions import Answer, AnswerAnalysis, Bucket, Sentiment, Turn

LABELLED = json.loads((Path(__file__).resolve().parents[1] / "data" / "labelled_answers.json").read_text())
SETS = LABELLED["questions"]
model = OfflineModel()


def question_of(raw: dict) -> Question:
    return Question(
        id=raw["id"],
        skill=raw["skill"],
        prompt=raw["prompt"],
        evaluation_criteria=raw["evaluation_criteria"],
        expectations=Expectations(**raw["expectations"]),
    )


def scores(raw: dict, label: str) -> list[float]:
    question = question_of(raw)
    return [model.evaluate_answer(question, text, role=raw["role"]).score for text in raw[label]]


def test_the_labelled_set_covers_enough_questions_and_roles():
    assert len(SETS) >= 6
    assert len({raw["role"] for raw in SETS}) >= 4
    for raw in SETS:
        assert all(len(raw[label]) >= 2 for label in ("strong", "weak", "off_topic")), raw["id"]


@pytest.mark.parametrize("raw", SETS, ids=[raw["id"] for raw in SETS])
def test_strong_answers_outscore_weak_ones_and_weak_ones_off_topic_ones(raw):
    strong, weak, off_topic = scores(raw, "strong"), scores(raw, "weak"), scores(raw, "off_topic")
    assert min(strong) > max(weak), (strong, weak)
    assert min(weak) > max(off_topic), (weak, off_topic)


@pytest.mark.parametrize("raw", SETS, ids=[raw["id"] for raw in SETS])
def test_buckets_follow_the_labels(raw):
    question = question_of(raw)
    for text in raw["strong"]:
        assert model.evaluate_answer(question, text, role=raw["role"]).bucket is Bucket.strong
    for text in raw["weak"] + raw["off_topic"]:
        assert model.evaluate_answer(question, text, role=raw["role"]).bucket is not Bucket.strong
    for text in raw["off_topic"]:
        assert model.evaluate_answer(question, text, role=raw["role"]).bucket is Bucket.weak


@pytest.mark.parametrize("raw", SETS, ids=[raw["id"] for raw in SETS])
def test_reasons_name_the_criteria_covered_and_missed(raw):
    question = question_of(raw)
    strong = model.evaluate_answer(question, raw["strong"][0], role=raw["role"])
    covered = [reason for reason in strong.reasons if reason.startswith("Covered: ")]
    assert covered
    criteria = [reason.removeprefix("Covered: ").split(" \u2014 ")[0] for reason in covered]
    assert all(criterion in question.evaluation_criteria for criterion in criteria)
    off = model.evaluate_answer(question, raw["off_topic"][0], role=raw["role"])
    assert any(reason.startswith("Missed: ") for reason in off.reasons)
    assert strong.summary
    assert off.summary


def test_evaluation_is_deterministic_and_buckets_by_thresholds():
    raw = SETS[0]
    question = question_of(raw)
    first = model.evaluate_answer(question, raw["strong"][0], role=raw["role"])
    again = model.evaluate_answer(question, raw["strong"][0], role=raw["role"])
    assert again.model_dump(exclude={"provenance": {"produced_at"}}) == first.model_dump(
        exclude={"provenance": {"produced_at"}}
    )
    assert ai.bucket_of(75) is Bucket.strong
    assert ai.bucket_of(74.9) is Bucket.moderate
    assert ai.bucket_of(50) is Bucket.moderate
    assert ai.bucket_of(49.9) is Bucket.weak
    assert ai.clamp_score(140) == 100
    assert ai.clamp_score(-3) == 0


@pytest.mark.parametrize("raw", SETS, ids=[raw["id"] for raw in SETS])
def test_a_follow_up_for_a_thin_answer_and_none_for_a_strong_one(raw):
    question = question_of(raw)
    follow_up = model.follow_up(question, "I would just look into it.")
    assert follow_up
    assert follow_up.endswith("?")
    assert model.follow_up(question, raw["weak"][0])
    assert model.follow_up(question, raw["strong"][0]) is None
    assert model.follow_up(question, raw["strong"][1]) is None


def test_the_assessment_sums_up_the_answers():
    raw_questions = SETS[:3]
    questions = [question_of(raw) for raw in raw_questions]
    answers = []
    for index, (raw, question) in enumerate(zip(raw_questions, questions, strict=True)):
        text = raw["strong"][0] if index < 2 else raw["off_topic"][0]
        analysis = model.evaluate_answer(question, text, role=raw["role"])
        answers.append(Answer(question_id=question.id, text=text, started_at=0, ended_at=30, analysis=analysis))
    assessment = model.assess_candidate("Senior Python Engineer", questions, answers, "Python and Django, 8 years")
    assert assessment.score == pytest.approx(sum(a.analysis.score for a in answers) / 3, abs=0.1)
    assert len(assessment.why_hire) == 2
    assert "Python" in assessment.why_hire[0]
    assert any("PostgreSQL" in reason for reason in assessment.why_not_hire)
    assert "Python" in assessment.resume_analysis
    assert "PostgreSQL" in assessment.resume_analysis
    no_resume = model.assess_candidate("Senior Python Engineer", questions, answers[:1], None)
    assert "No resume" in no_resume.resume_analysis
    assert any("Did not answer" in reason for reason in no_resume.why_not_hire)


# --- Speech analytics -------------------------------------------------------------------------------------


def test_sentiment_from_the_lexicon_with_negation():
    assert sentiment_of("I really enjoyed that project, the team was great") is Sentiment.positive
    assert sentiment_of("It was a frustrating, difficult migration") is Sentiment.negative
    assert sentiment_of("It was not good") is Sentiment.negative
    assert sentiment_of("We moved the service to Kubernetes") is Sentiment.neutral


def test_an_answer_without_text_uses_its_participant_turns_for_sentiment():
    turns = [
        Turn(timestamp=0, speaker="ai", text="Tell me about a great project.", question_id="q1"),
        Turn(timestamp=5, speaker="participant", text="It was a great project", question_id="q1"),
    ]
    speech = speech_analytics(Answer(question_id="q1", text="", started_at=5, ended_at=8), turns)
    assert speech.sentiment is Sentiment.positive
    assert speech.words_per_minute is None  # nothing was measured: no transcription


def test_the_overall_score_is_weighted_by_skill():
    from datetime import UTC, datetime

    from panelist.models.interviews import Interview, Seniority, Skill

    questions = [question_of(raw).model_copy(update={"id": f"q{i}"}) for i, raw in enumerate(SETS[:3])]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    interview = Interview(
        id="i",
        number=1,
        organization_id="o",
        name="n",
        role="r",
        description="d",
        seniority=Seniority.senior,
        skills=[Skill(name="python", weight=0.6), Skill(name="Django", weight=0.2)],
        questions=questions,
        duration_minutes=30,
        created_at=at,
        updated_at=at,
    )

    def answer(question_id: str, score: float) -> Answer:
        analysis = AnswerAnalysis(score=score, bucket=ai.bucket_of(score), summary="", reasons=[])
        return Answer(question_id=question_id, text="x", started_at=0, ended_at=1, analysis=analysis)

    # Python 0.6, Django 0.2, PostgreSQL not listed: the mean of the listed weights (0.4).
    assert overall_score(interview, [answer("q0", 90), answer("q1", 30), answer("q2", 60)]) == pytest.approx(
        (0.6 * 90 + 0.2 * 30 + 0.4 * 60) / 1.2, abs=0.05
    )
    plain = interview.model_copy(update={"skills": []})
    assert overall_score(plain, [answer("q0", 90), answer("q1", 30)]) == 60
    assert overall_score(interview, []) == 0
