"""Analysis on completion: every answer evaluated, speech analytics, and the recruiter assessment.

`analyse_session` is what a completed session's queue message runs: it evaluates each answer against its
question's criteria and expectations with the deployment's interview model, computes speech analytics from
the answers' timestamps and text, sets each participant turn's sentiment, writes the assessment (overall
score weighted by the interview's skill weights) and stores it all with one conditional update.

Speech analytics are measured, or null. They come from the answer's transcription (`Answer.transcription`,
filled by the transcription step: words with start/end times and the engine's confidence): words per minute
from the first word's start to the last word's end; pauses (gaps of PAUSE_SECONDS or more between words:
how many, and the longest); recognition confidence, the mean word confidence; speech accuracy, the share of
words recognised with confidence of at least ACCURACY_THRESHOLD (an estimate of word accuracy from the
engine's own probabilities, not a comparison with a reference text); fluency, 1 minus DISFLUENCY times the
rate per word of fillers, immediate repeats and long pauses. An engine that gives no word confidence leaves
confidence and accuracy null. A text answer, and an audio answer whose transcription is not completed, get
null speech figures (shown as "not measured"); sentiment is from the words, typed or spoken, and always set.

Every score carries its provenance (engine and model, rubric version, time: `AnswerAnalysis.provenance`,
`Assessment.provenance`); a rerun that scores the same keeps the earlier time, so it writes nothing. The
overall score is `ai.overall_score`: the skill-weighted mean of the question scores, a question's score being
its best answer (a follow-up belongs to its question); the assessment states that same figure.

Events: once the analysis is written (committed), `session.scored` goes to the organization's webhook
endpoints, one per write (a rerun that writes nothing sends nothing); when the analysis gives up (its
queue message's last attempt failed: next stop, the analysis dead-letter queue), `analysis_failed` records
the failure on the session (`analysis_error`, so `analysis_status` reads failed) and sends `analysis.failed`.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from typing import TypeVar

from panelist.candidates.store import get_candidate
from panelist.compliance.settings import hiring_settings
from panelist.core import aws
from panelist.core.errors import Conflict, NotFound, PanelistError
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed
from panelist.interviews import ai
from panelist.interviews.store import interview_for
from panelist.models.common import now
from panelist.models.interviews import Interview
from panelist.models.sessions import (
    Answer,
    AnswerAnalysis,
    Assessment,
    Sentiment,
    Session,
    SessionStatus,
    SpeechAnalytics,
    TranscriptionStatus,
    Turn,
)
from panelist.models.webhooks import AnalysisFailedData, SessionScoredData
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session
from panelist.webhooks import endpoints

__all__ = ["analyse_session", "analysis_failed", "overall_score", "sentiment_of", "speech_analytics"]

ATTEMPTS = 3  # reads-and-writes before a session that keeps changing is a Conflict
RESUME_CHARS = 20_000  # of resume text given to the model
RESUME_PAGES = 10

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")


def _lexicon(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Fluency of a transcription: filler words and phrases, immediate repetitions ("the the") and long pauses.
FILLERS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm"})
FILLER_PHRASES = (("you", "know"), ("i", "mean"), ("sort", "of"), ("kind", "of"))
DISFLUENCY = 4.0  # fluency lost per disfluency per word: one in every 10 words costs 0.4
PAUSE_SECONDS = 1.0  # a gap between two words at least this long is a pause
ACCURACY_THRESHOLD = 0.8  # a word recognised with at least this confidence counts towards speech accuracy

POSITIVE = _lexicon(
    "enjoy enjoyed enjoying excited exciting glad good great happy improve improved improvement interesting "
    "liked love loved excellent success successful proud pleased confident win won works worked helpful thanks "
    "thank appreciate appreciated better best fantastic wonderful delighted solved fixed"
)
NEGATIVE = _lexicon(
    "bad worse worst hate hated angry annoyed annoying frustrated frustrating difficult hard problem problems "
    "fail failed failure unhappy sad sorry stuck struggle struggled terrible awful wrong confusing confused "
    "worried afraid painful broke broken blame boring"
)
NEGATIONS = frozenset({"not", "no", "never", "don't", "didn't", "isn't", "wasn't", "can't", "couldn't", "won't"})


def _words(text: str) -> list[str]:
    return [word.lower().replace("\u2019", "'") for word in _WORD.findall(text)]


def sentiment_of(text: str) -> Sentiment:
    """Positive, negative or neutral by a small lexicon; a negation within two words before flips a word."""
    words = _words(text)
    balance = 0
    for index, word in enumerate(words):
        polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if polarity and any(w in NEGATIONS for w in words[max(0, index - 2) : index]):
            polarity = -polarity
        balance += polarity
    return Sentiment.positive if balance > 0 else Sentiment.negative if balance < 0 else Sentiment.neutral


def fluency_of(words: Sequence[str], pauses: int = 0) -> float | None:
    """1 minus DISFLUENCY times the rate per word of fillers (and filler phrases), immediate repetitions and
    pauses, within 0-1; None for no words (nothing measured)."""
    words = [w for w in (_words(" ".join(words))) if w]
    if not words:
        return None
    fillers = sum(1 for word in words if word in FILLERS)
    fillers += sum(1 for pair in itertools.pairwise(words) if pair in FILLER_PHRASES)
    repetitions = sum(1 for a, b in itertools.pairwise(words) if a == b and a not in FILLERS)
    rate = (fillers + repetitions + pauses) / len(words)
    return round(max(0.0, min(1.0, 1 - DISFLUENCY * rate)), 3)


def _spoken_text(answer: Answer, turns: Sequence[Turn]) -> str:
    if answer.text.strip():
        return answer.text
    return " ".join(t.text for t in turns if t.speaker == "participant" and t.question_id == answer.question_id)


def speech_analytics(answer: Answer, turns: Sequence[Turn]) -> SpeechAnalytics:
    """The answer's speech figures measured from its completed transcription, else null; sentiment from its
    text (or its participant turns when it has no text). See the module's docstring for each definition."""
    sentiment = sentiment_of(_spoken_text(answer, turns))
    transcription = answer.transcription
    if transcription is None or transcription.status is not TranscriptionStatus.completed:
        return SpeechAnalytics(sentiment=sentiment)
    words = sorted(transcription.words, key=lambda w: (w.start, w.end))
    if not words:
        return SpeechAnalytics(sentiment=sentiment)
    gaps = [max(0.0, b.start - a.end) for a, b in itertools.pairwise(words)]
    long_gaps = [gap for gap in gaps if gap >= PAUSE_SECONDS]
    span = max(w.end for w in words) - words[0].start
    confidences = [w.confidence for w in words if w.confidence is not None]
    engine = transcription.engine + (f":{transcription.model}" if transcription.model else "")
    return SpeechAnalytics(
        speech_accuracy=round(sum(1 for c in confidences if c >= ACCURACY_THRESHOLD) / len(confidences), 3)
        if confidences
        else None,
        fluency=fluency_of([w.word for w in words], len(long_gaps)),
        recognition_confidence=round(sum(confidences) / len(confidences), 3) if confidences else None,
        sentiment=sentiment,
        words_per_minute=round(len(words) / span * 60, 1) if span > 0 else None,
        pauses=len(long_gaps),
        longest_pause_seconds=round(max(long_gaps), 2) if long_gaps else 0.0,
        measured_by=engine,
    )


def overall_score(interview: Interview, answers: Sequence[Answer]) -> float:
    """`ai.overall_score` for the interview's skills and questions: 0 with no answer analysed."""
    return ai.overall_score(interview.skills, interview.questions, answers) or 0.0


def resume_text(session: Session) -> str | None:
    """The text of the candidate's latest resume, if it is a PDF with extractable text and pypdf is installed
    (it is in the `pdf` layer); None otherwise: no resume, an erased candidate, a scanned PDF."""
    try:
        candidate = get_candidate(session.organization_id, session.candidate_id)
    except NotFound:
        return None
    resumes = [f for f in candidate.files if f.type.value == "resume" and f.content_type == "application/pdf"]
    if candidate.erased_at or not resumes:
        return None
    latest = max(resumes, key=lambda f: f.uploaded_at)
    try:
        from pypdf import PdfReader
    except ImportError:
        logger.info("pypdf is not installed: the assessment is written without the resume")
        return None
    try:
        body = aws.client("s3").get_object(Bucket=get_settings().bucket, Key=latest.key)["Body"].read()
        reader = PdfReader(io.BytesIO(body))
        text = "\n".join(page.extract_text() or "" for page in reader.pages[:RESUME_PAGES])
    except Exception as exc:  # a missing object or an unreadable PDF: assess without it
        logger.warning("resume text not extracted", extra={"key": latest.key, "error": str(exc)})
        return None
    text = " ".join(text.split())
    return text[:RESUME_CHARS] or None


_M = TypeVar("_M", AnswerAnalysis, Assessment)


def _same_time(before: _M | None, after: _M | None) -> _M | None:
    """`after`, keeping `before`'s provenance time when nothing else changed: a rerun writes nothing."""
    if before is None or after is None or before.provenance is None or after.provenance is None:
        return after
    kept = after.model_copy(
        update={"provenance": after.provenance.model_copy(update={"produced_at": before.provenance.produced_at})}
    )
    return before if kept == before else after


def _analysed(session: Session, interview: Interview, resume: str | None) -> Session:
    model = ai.provider()
    questions = {question.id: question for question in interview.questions}
    answers: list[Answer] = []
    for answer in session.answers:
        question = questions.get(answer.question_id)
        analysis = model.evaluate_answer(question, answer.text, role=interview.role) if question else None
        update = {"analysis": _same_time(answer.analysis, analysis), "speech": speech_analytics(answer, session.turns)}
        answers.append(answer.model_copy(update=update))
    turns = [
        turn.model_copy(update={"sentiment": sentiment_of(turn.text)}) if turn.speaker == "participant" else turn
        for turn in session.turns
    ]
    score = overall_score(interview, answers)
    assessment = model.assess_candidate(interview.role, interview.questions, answers, resume, score=score)
    assessment = assessment.model_copy(
        update={
            "score": score,  # the one overall score, whatever a model wrote
            "why_hire": ai.distinct(assessment.why_hire),
            "why_not_hire": ai.distinct(assessment.why_not_hire),
        }
    )
    kept = _same_time(session.assessment, assessment)
    return session.model_copy(update={"answers": answers, "turns": turns, "assessment": kept})


def analyse_session(organization_id: str, session_id: str) -> Session:
    """Evaluate a finished session's answers, compute speech analytics and write the assessment.

    NotFound for a session (or interview) of no such id in the organization; Conflict for a session still
    in progress. Idempotent: analysing again gives the same analysis, and when nothing changes nothing is
    written. The write is conditional on the `updated_at` read, so a concurrent change is never
    overwritten: the session is read and analysed again (ATTEMPTS times, then Conflict).
    """
    for _ in range(ATTEMPTS):
        session = get_session(organization_id, session_id)
        if session.status is SessionStatus.in_progress:
            raise Conflict("the session is still in progress", field="status")
        if {"results", "transcripts"} & set(session.retention_erased):
            return session  # the retention policy erased it: a late message never brings the results back
        interview = interview_for(session)
        analysed = _analysed(session, interview, resume_text(session))
        if (analysed.answers, analysed.turns, analysed.assessment) == (
            session.answers,
            session.turns,
            session.assessment,
        ):
            return session
        updated = analysed.model_copy(update={"updated_at": max(now(), session.updated_at)})
        read = session.model_dump(mode="json", include={"updated_at"})["updated_at"]
        try:
            updated = updated.model_copy(update={"analysis_error": None})
            sessions_store.set_fields(
                updated,
                ("answers", "turns", "assessment", "updated_at", "analysis_error"),
                condition="attribute_exists(PK) AND #updated_at = :read",
                read=read,
            )
        except ConditionFailed:
            logger.info("session changed while it was analysed: analysing again", extra={"session_id": session_id})
            continue
        _publish_scored(updated, interview)
        return updated
    raise Conflict("the session kept changing while it was analysed", field="id")


def _publish_scored(session: Session, interview: Interview) -> None:
    """`session.scored`, after the write committed: one per write (its key names the write's time)."""
    if session.assessment is None:
        return
    score = session.assessment.score
    data = SessionScoredData(
        id=session.id,
        response_id=session.number,
        candidate_id=session.candidate_id,
        interview_id=session.interview_id,
        ai_interview_id=interview.number,
        overall_score=score,
        bucket=ai.bucket_of(score).value,
        analysed_at=session.updated_at,
        advisory=session.decision is None and hiring_settings(session.organization_id).human_review_required,
    )
    key = f"session.scored:{session.id}:{session.updated_at.isoformat()}"
    endpoints.publish(session.organization_id, "session.scored", data.model_dump(mode="json"), idempotency_key=key)


def failure_reason(exc: BaseException) -> str:
    """Why an analysis failed, in words that hold no candidate data: our own errors' messages, else the type."""
    if isinstance(exc, PanelistError):
        return f"{exc.code}: {exc.message}"[:500]
    return f"{type(exc).__name__}: the analysis could not be completed"[:500]


def analysis_failed(organization_id: str, session_id: str, *, attempts: int, error: str, key: str) -> None:
    """The analysis gave up: record it on the session (`analysis_error`) and send `analysis.failed`.

    Never raises: the failure it reports is already being handled (the message goes to the dead-letter
    queue). `key` names this failure (the queue message), so reporting it twice sends one event.
    """
    session: Session | None = None
    try:
        session = get_session(organization_id, session_id)
        if session.assessment is None:  # an earlier analysis stays the session's result
            sessions_store.save_analysis(session, error=error)
    except Exception:
        logger.exception("could not record the failed analysis", extra={"session_id": session_id})
    number: int | None = None
    if session is not None:
        try:
            number = interview_for(session).number
        except Exception:  # the interview may be what failed
            number = None
    data = AnalysisFailedData(
        id=session_id,
        response_id=session.number if session else None,
        candidate_id=session.candidate_id if session else None,
        interview_id=session.interview_id if session else None,
        ai_interview_id=number,
        attempts=attempts,
        error=error,
        failed_at=now(),
    )
    endpoints.publish(
        organization_id, "analysis.failed", data.model_dump(mode="json"), idempotency_key=f"analysis.failed:{key}"
    )
