"""Issue 16: speech figures measured from a transcription (or null), provenance on every score, evidence
quotes, and the analysis bugs (follow-ups counted as questions, duplicate why-not-hire lines, an average
that disagreed with the overall score)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from panelist.interviews import ai
from panelist.interviews.ai.model import quote_in
from panelist.interviews.ai.offline import OfflineModel
from panelist.interviews.analysis import speech_analytics
from panelist.models.interviews import Expectations, Question, Skill
from panelist.models.sessions import (
    Answer,
    AnswerAnalysis,
    Bucket,
    EvidenceStatus,
    Sentiment,
    TranscribedWord,
    Transcription,
    TranscriptionStatus,
)
from tests.unit.test_analysis_scoring import SETS, question_of

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
model = OfflineModel()

# 20 words, each 0.4 s long with 0.1 s between them, and one 1.6 s pause after "query" (word 12).
WORDS = [
    "I",
    "profiled",
    "the",
    "endpoint",
    "um",
    "and",
    "found",
    "an",
    "N",
    "plus",
    "one",
    "query",
    "so",
    "I",
    "added",
    "select",
    "related",
    "and",
    "it",
    "dropped",
]
LOW = {"um": 0.4, "N": 0.6}  # every other word 0.9


def transcription(*, confidences: bool = True, status: TranscriptionStatus = TranscriptionStatus.completed):
    words = []
    for index, word in enumerate(WORDS):
        start = 0.5 * index + (1.5 if index >= 12 else 0.0)
        confidence = LOW.get(word, 0.9) if confidences else None
        words.append(TranscribedWord(word=word, start=start, end=round(start + 0.4, 2), confidence=confidence))
    return Transcription(
        status=status,
        engine="offline",
        model="pocketsphinx 5.1.1 en-us",
        language="en",
        words=words if status is TranscriptionStatus.completed else [],
        requested_at=AT,
        completed_at=AT if status is TranscriptionStatus.completed else None,
    )


def spoken(**options) -> Answer:
    return Answer(
        question_id="q1",
        text=" ".join(WORDS),
        started_at=0,
        ended_at=30,  # the answer's window is not the speech: figures come from the word timings
        audio_key="answer.webm",
        transcription=transcription(**options),
    )


# --- Speech analytics: measured, or null ------------------------------------------------------------------


def test_speech_figures_are_measured_from_the_word_timings_and_confidences():
    speech = speech_analytics(spoken(), [])
    # 20 words from 0.0 s to 11.4 s (the last word ends at 0.5 * 19 + 1.5 + 0.4)
    assert speech.words_per_minute == round(20 / 11.4 * 60, 1) == 105.3
    assert (speech.pauses, speech.longest_pause_seconds) == (1, 1.6)  # 5.9 s to 7.5 s
    assert speech.recognition_confidence == round((18 * 0.9 + 0.4 + 0.6) / 20, 3) == 0.86
    assert speech.speech_accuracy == 18 / 20  # words recognised with confidence >= 0.8
    assert speech.fluency == 1 - 4 * (1 + 1) / 20  # one filler ("um") and one long pause in 20 words
    assert speech.measured_by == "offline:pocketsphinx 5.1.1 en-us"


def test_repeats_and_fillers_lower_fluency():
    answer = spoken()
    words = list(answer.transcription.words)
    words[3] = words[3].model_copy(update={"word": "the"})  # "the the"
    repeated = answer.model_copy(update={"transcription": answer.transcription.model_copy(update={"words": words})})
    assert speech_analytics(repeated, []).fluency == pytest.approx(1 - 4 * 3 / 20)


def test_an_engine_without_word_confidence_leaves_confidence_and_accuracy_null():
    speech = speech_analytics(spoken(confidences=False), [])
    assert (speech.recognition_confidence, speech.speech_accuracy) == (None, None)
    assert speech.words_per_minute == 105.3  # timings are still measured


@pytest.mark.parametrize("status", [TranscriptionStatus.pending, TranscriptionStatus.failed])
def test_an_audio_answer_not_transcribed_has_no_figures(status):
    speech = speech_analytics(spoken(status=status), [])
    assert speech.model_dump(exclude={"sentiment"}) == dict.fromkeys(
        ("speech_accuracy", "fluency", "recognition_confidence", "words_per_minute", "pauses"),
        None,
    ) | {"longest_pause_seconds": None, "measured_by": None}


def test_a_text_answer_gets_null_speech_figures_but_a_sentiment():
    answer = Answer(question_id="q1", text="I was happy with the result, it worked great", started_at=0, ended_at=3)
    speech = speech_analytics(answer, [])
    assert (speech.speech_accuracy, speech.recognition_confidence, speech.fluency) == (None, None, None)
    assert (speech.words_per_minute, speech.pauses, speech.longest_pause_seconds) == (None, None, None)
    assert speech.sentiment is Sentiment.positive


# --- Provenance -----------------------------------------------------------------------------------------


def test_the_offline_engine_records_its_version_the_rubric_and_the_time():
    raw = SETS[0]
    before = datetime.now(UTC).replace(microsecond=0)
    analysis = model.evaluate_answer(question_of(raw), raw["strong"][0], role=raw["role"])
    assert analysis.provenance is not None
    assert analysis.provenance.engine == ai.OFFLINE_ENGINE == "offline-rules v2"
    assert analysis.provenance.rubric_version == ai.RUBRIC_VERSION
    assert analysis.provenance.produced_at >= before
    assert analysis.provenance.fallback_from is None
    decision = model.follow_up_decision(question_of(raw), "Not sure.")
    assert decision.question
    assert decision.provenance.engine == ai.OFFLINE_ENGINE
    assessment = model.assess_candidate(raw["role"], [question_of(raw)], [], None)
    assert assessment.provenance is not None
    assert assessment.provenance.engine == ai.OFFLINE_ENGINE


# --- Evidence -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", SETS, ids=[raw["id"] for raw in SETS])
def test_offline_reasons_quote_the_answer_for_each_criterion(raw):
    question = question_of(raw)
    for text in raw["strong"] + raw["weak"] + raw["off_topic"]:
        analysis = model.evaluate_answer(question, text, role=raw["role"])
        assert [e.criterion for e in analysis.evidence] == list(question.evaluation_criteria)
        for evidence in analysis.evidence:
            if evidence.status is EvidenceStatus.missed:
                assert evidence.quote is None
                assert f"Missed: {evidence.criterion} \u2014 nothing in the answer addresses it" in analysis.reasons
            else:
                assert evidence.quote, evidence
                assert evidence.quote in text  # verbatim words of the answer
                assert f'"{evidence.quote}"' in " ".join(analysis.reasons)
    strong = model.evaluate_answer(question, raw["strong"][0], role=raw["role"])
    assert any(e.status is EvidenceStatus.met and e.quote for e in strong.evidence)


def test_a_quote_is_kept_only_when_the_answer_holds_its_words():
    answer = "Querysets are lazy; I use select_related and\nprefetch_related in the ORM."
    assert quote_in(answer, "i use SELECT_RELATED and prefetch_related") == "I use select_related and\nprefetch_related"
    assert quote_in(answer, "I use joins") is None
    assert quote_in(answer, "related") is None  # part of a word is not the answer's words
    assert quote_in(answer, "") is None


# --- The three bugs -------------------------------------------------------------------------------------


def _question(number: int, skill: str) -> Question:
    return Question(
        id=f"q{number}",
        skill=skill,
        prompt=f"How do you use {skill} in production?",
        evaluation_criteria=[f"{skill} in production", "Measured outcome"],
        expectations=Expectations(strong="s", moderate="m", weak="w"),
    )


def _answer(question_id: str, score: float, *, follow_up: bool = False, missed: str = "Measured outcome") -> Answer:
    analysis = AnswerAnalysis(
        score=score, bucket=ai.bucket_of(score), summary="", reasons=[f"Missed: {missed}"] if score < 50 else []
    )
    return Answer(question_id=question_id, text="x", started_at=0, ended_at=1, follow_up=follow_up, analysis=analysis)


def test_follow_ups_are_not_counted_as_questions():
    questions = [_question(1, "Python"), _question(2, "Django")]
    answers = [
        _answer("q1", 80),
        _answer("q1", 60, follow_up=True),
        _answer("q2", 40),
        _answer("q2", 45, follow_up=True),
    ]
    assessment = model.assess_candidate("Engineer", questions, answers, None)
    assert assessment.overall.startswith("2 of 2 questions answered")  # was "4 of 2"
    assert "1 strong, 0 moderate and 1 weak answers" in assessment.overall
    assert ai.answered_questions(questions, answers) == 2
    assert ai.question_scores(answers) == {"q1": 80, "q2": 45}  # a question's best answer


def test_why_not_hire_says_each_thing_once():
    questions = [_question(1, "Python"), _question(2, "Python")]
    answers = [_answer("q1", 30), _answer("q1", 20, follow_up=True), _answer("q2", 35)]
    assessment = model.assess_candidate("Engineer", questions, answers, None)
    assert assessment.why_not_hire == ["Weak on Python: Measured outcome"]  # was three identical lines
    assert ai.distinct(["Weak on SQL.", "weak on  SQL", "Weak on Go"]) == ["Weak on SQL.", "Weak on Go"]


def test_the_summary_states_the_overall_score_it_is_given():
    questions = [_question(1, "Python"), _question(2, "Django")]
    answers = [_answer("q1", 90), _answer("q2", 30)]
    skills = [Skill(name="Python", weight=0.8), Skill(name="Django", weight=0.2)]
    overall = ai.overall_score(skills, questions, answers)
    assert overall == 78  # 0.8 * 90 + 0.2 * 30: not the plain mean, 60
    assessment = model.assess_candidate("Engineer", questions, answers, None, score=overall)
    assert assessment.score == 78
    assert "overall score 78/100" in assessment.overall
    assert "60/100" not in assessment.overall
    assert ai.bucket_of(assessment.score) is Bucket.strong
    assert "a strong candidate" in assessment.overall
