"""panelist.interviews.analysis.analyse_session under moto: a completed session's answers evaluated, speech analytics,
the assessment, one conditional write."""

import pytest

from panelist.core.errors import Conflict, NotFound
from panelist.core.storage import table
from panelist.interviews import analysis
from panelist.interviews.analysis import analyse_session
from panelist.models.sessions import Bucket, Sentiment, Session, SessionStatus
from panelist.sessions.store import get_session, session_item
from tests.functions.reports_data import make_interview, make_result


def unanalysed(tenant_id: str, strength: str = "strong", **changes) -> Session:
    """A completed session with answers but no analysis, speech analytics, turn sentiment or assessment."""
    session = make_result(tenant_id, strength=strength, interview=make_interview(tenant_id))
    answers = [answer.model_copy(update={"analysis": None, "speech": None}) for answer in session.answers]
    turns = [turn.model_copy(update={"sentiment": Sentiment.neutral}) for turn in session.turns]
    session = session.model_copy(update={"answers": answers, "turns": turns, "assessment": None, **changes})
    table().put(session_item(session))
    return session


def test_analysis_fills_every_answer_speech_and_the_assessment(tenant_a):
    session = unanalysed(tenant_a.id)
    analysed = analyse_session(tenant_a.id, session.id)
    stored = get_session(tenant_a.id, session.id)
    assert stored == analysed
    assert stored.updated_at > session.updated_at
    assert len(stored.answers) == len(session.answers) == 5
    for _before, after in zip(session.answers, stored.answers, strict=True):
        assert after.analysis is not None
        assert after.speech is not None
        assert after.analysis.bucket is not Bucket.weak
        assert after.analysis.reasons
        # Typed answers: no speech figure is measured, so none is given (never a constant such as 1.0).
        speech = after.speech
        assert (speech.speech_accuracy, speech.recognition_confidence, speech.fluency) == (None, None, None)
        assert (speech.words_per_minute, speech.pauses, speech.measured_by) == (None, None, None)
        assert after.analysis.provenance is not None
        assert after.analysis.provenance.engine == "offline-rules v2"
    assessment = stored.assessment
    assert assessment is not None
    # make_interview's skills: Python 0.4, Django 0.3, PostgreSQL 0.2, REST APIs 0.1; the Kubernetes question's
    # skill is not listed, so it weighs their mean (0.25).
    weights = [0.4, 0.3, 0.2, 0.1, 0.25]
    expected = sum(w * a.analysis.score for w, a in zip(weights, stored.answers, strict=True)) / sum(weights)
    assert assessment.score == pytest.approx(expected, abs=0.05)
    assert assessment.overall
    assert assessment.why_hire
    assert "Python" in assessment.resume_analysis  # the demo resume PDF reads "Python engineer, 8 years"
    # The rest of the session is untouched: status, lists, counters.
    assert (stored.status, stored.number, stored.completed_at) == (session.status, session.number, session.completed_at)
    item = table().get(session_item(session)["PK"], session_item(session)["SK"])
    assert item is not None
    assert item["GSI2PK"] == session_item(session)["GSI2PK"]


def test_strong_answers_outscore_moderate_ones(tenant_a):
    strong = analyse_session(tenant_a.id, unanalysed(tenant_a.id, "strong").id)
    moderate = analyse_session(tenant_a.id, unanalysed(tenant_a.id, "moderate").id)
    assert strong.assessment
    assert moderate.assessment
    assert strong.assessment.score > moderate.assessment.score
    for good, fair in zip(strong.answers, moderate.answers, strict=True):
        assert good.analysis
        assert fair.analysis
        assert good.analysis.score > fair.analysis.score


def test_analysing_twice_gives_the_same_analysis_and_writes_nothing(tenant_a):
    session = unanalysed(tenant_a.id)
    first = analyse_session(tenant_a.id, session.id)
    second = analyse_session(tenant_a.id, session.id)
    assert second == first
    assert get_session(tenant_a.id, session.id).updated_at == first.updated_at


def test_another_organization_cannot_analyse_the_session(tenant_a, tenant_b):
    session = unanalysed(tenant_a.id)
    with pytest.raises(NotFound):
        analyse_session(tenant_b.id, session.id)
    with pytest.raises(NotFound):
        analyse_session(tenant_a.id, "no-such-session")
    assert get_session(tenant_a.id, session.id).assessment is None


def test_a_session_in_progress_is_not_analysed(tenant_a):
    session = unanalysed(tenant_a.id, status=SessionStatus.in_progress, completed_at=None)
    with pytest.raises(Conflict):
        analyse_session(tenant_a.id, session.id)


def test_a_concurrent_change_is_not_lost(tenant_a, monkeypatch):
    session = unanalysed(tenant_a.id)
    real = analysis._analysed
    calls = []

    def racing(current, interview, resume):
        calls.append(current.updated_at)
        if len(calls) == 1:  # someone else writes the session while the first analysis runs
            changed = current.model_copy(update={"language": "fr", "updated_at": current.updated_at.replace(year=2030)})
            table().put(session_item(changed))
        return real(current, interview, resume)

    monkeypatch.setattr(analysis, "_analysed", racing)
    analysed = analyse_session(tenant_a.id, session.id)
    assert len(calls) == 2
    stored = get_session(tenant_a.id, session.id)
    assert stored.language == "fr"
    assert stored.assessment is not None
    assert stored == analysed


def test_a_session_without_a_readable_resume_is_assessed_without_it(tenant_a, monkeypatch):
    session = unanalysed(tenant_a.id)
    monkeypatch.setattr(analysis, "resume_text", lambda _session: None)
    analysed = analyse_session(tenant_a.id, session.id)
    assert analysed.assessment
    assert "No resume" in analysed.assessment.resume_analysis


def test_the_overall_score_is_the_one_the_summary_states_and_follow_ups_are_part_of_their_question(tenant_a):
    session = unanalysed(tenant_a.id, "moderate")
    first = session.answers[0]
    follow_up = first.model_copy(
        update={"text": "I would say maybe, stuff like that.", "follow_up": True, "started_at": first.ended_at + 1}
    )
    session = session.model_copy(update={"answers": [*session.answers, follow_up]})
    table().put(session_item(session))

    analysed = analyse_session(tenant_a.id, session.id)

    assessment = analysed.assessment
    assert assessment is not None
    questions = len({a.question_id for a in session.answers})
    assert assessment.overall.startswith(f"{questions} of {questions} questions answered")  # not 6 of 5
    assert f"overall score {assessment.score:.0f}/100" in assessment.overall  # the stored score, one figure
    assert len(assessment.why_not_hire) == len(set(assessment.why_not_hire))
    assert assessment.provenance is not None
    assert assessment.provenance.engine == "offline-rules v2"
