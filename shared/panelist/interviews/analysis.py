"""Analysis on completion: every answer evaluated, speech analytics, and the recruiter assessment.

`analyse_session` is what a completed session's queue message runs: it evaluates each answer against its
question's criteria and expectations with the deployment's interview model, computes speech analytics from
the answers' timestamps and text, sets each participant turn's sentiment, writes the assessment (overall
score weighted by the interview's skill weights) and stores it all with one conditional update.

Speech analytics come from the transcript, not from audio: no speech-recognition engine runs here. A text
answer's `speech_accuracy` and `recognition_confidence` are 1.0 (nothing was recognised); an audio answer
keeps the values its recogniser recorded, and without them is taken as transcribed (1.0): these two fields
say nothing about an audio answer until a transcription step records them.

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

from panelist.candidates.store import get_candidate
from panelist.core import aws
from panelist.core.errors import Conflict, NotFound, PanelistError
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed
from panelist.interviews import ai
from panelist.interviews.store import interview_for
from panelist.models.common import now
from panelist.models.interviews import Interview
from panelist.models.sessions import Answer, Sentiment, Session, SessionStatus, SpeechAnalytics, Turn
from panelist.models.webhooks import AnalysisFailedData, SessionScoredData
from panelist.sessions import store as sessions_store
from panelist.sessions.store import get_session
from panelist.webhooks import endpoints

__all__ = ["analyse_session", "analysis_failed", "overall_score", "sentiment_of", "speech_analytics"]

ATTEMPTS = 3  # reads-and-writes before a session that keeps changing is a Conflict
RESUME_CHARS = 20_000  # of resume text given to the model
RESUME_PAGES = 10

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")
_SENTENCE = re.compile(r"[.!?;]+")


def _lexicon(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Fluency: filler words and phrases ("like" only set off by commas: "it was, like, slow"), immediate
# repetitions ("the the"), and fragments (sentences of one or two words).
FILLERS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm"})
FILLER_PHRASES = (("you", "know"), ("i", "mean"), ("sort", "of"), ("kind", "of"))
DISFLUENCY = 4.0  # fluency lost per disfluency per word: one in every 10 words costs 0.4
FRAGMENTS = 0.3  # fluency lost when every sentence is a fragment

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


def fluency_of(text: str) -> float:
    """1 minus the disfluency rate (fillers and repetitions per word, times DISFLUENCY) and the share of
    fragments (times FRAGMENTS); 0 for an empty answer."""
    words = _words(text)
    if not words:
        return 0.0
    fillers = sum(1 for word in words if word in FILLERS)
    fillers += sum(1 for pair in itertools.pairwise(words) if pair in FILLER_PHRASES)
    fillers += len(re.findall(r",\s*like\s*,", text, flags=re.IGNORECASE))
    repetitions = sum(1 for a, b in itertools.pairwise(words) if a == b and a not in FILLERS)
    sentences = [s for s in (_words(part) for part in _SENTENCE.split(text)) if s]
    fragments = sum(1 for s in sentences if len(s) <= 2) / len(sentences) if len(sentences) > 1 else 0.0
    rate = (fillers + repetitions) / len(words)
    return round(max(0.0, min(1.0, 1 - DISFLUENCY * rate - FRAGMENTS * fragments)), 3)


def speech_analytics(answer: Answer, turns: Sequence[Turn]) -> SpeechAnalytics:
    """Words per minute from the answer's started_at/ended_at and word count, fluency and sentiment from its
    text (or its participant turns when the answer has no text); accuracy and confidence as the module says."""
    text = answer.text
    if not text.strip():
        text = " ".join(t.text for t in turns if t.speaker == "participant" and t.question_id == answer.question_id)
    seconds = answer.ended_at - answer.started_at
    words = len(_words(text))
    accuracy = confidence = 1.0
    if answer.audio_key and answer.speech:  # what the recogniser recorded
        accuracy, confidence = answer.speech.speech_accuracy, answer.speech.recognition_confidence
    return SpeechAnalytics(
        speech_accuracy=accuracy,
        fluency=fluency_of(text),
        recognition_confidence=confidence,
        sentiment=sentiment_of(text),
        words_per_minute=round(words / seconds * 60, 1) if seconds > 0 else 0.0,
    )


def overall_score(interview: Interview, answers: Sequence[Answer]) -> float:
    """The mean answer score weighted by each question's skill weight (interview.skills, by name); a question
    whose skill is not listed weighs the mean of the listed ones; with none listed (or all weights 0), the
    plain mean."""
    skills = {skill.name.casefold(): skill.weight for skill in interview.skills}
    questions = {question.id: question for question in interview.questions}
    scored: list[tuple[float | None, float]] = []
    for answer in answers:
        if answer.analysis is None:
            continue
        question = questions.get(answer.question_id)
        weight = skills.get(question.skill.casefold()) if question else None
        scored.append((weight, answer.analysis.score))
    if not scored:
        return 0.0
    known = [weight for weight, _ in scored if weight is not None]
    default = sum(known) / len(known) if known else 1.0
    weights = [default if weight is None else weight for weight, _ in scored]
    if sum(weights) <= 0:
        weights = [1.0] * len(scored)
    return ai.clamp_score(sum(w * s for w, (_, s) in zip(weights, scored, strict=True)) / sum(weights))


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


def _analysed(session: Session, interview: Interview, resume: str | None) -> Session:
    model = ai.provider()
    questions = {question.id: question for question in interview.questions}
    answers: list[Answer] = []
    for answer in session.answers:
        question = questions.get(answer.question_id)
        analysis = model.evaluate_answer(question, answer.text, role=interview.role) if question else None
        answers.append(
            answer.model_copy(update={"analysis": analysis, "speech": speech_analytics(answer, session.turns)})
        )
    turns = [
        turn.model_copy(update={"sentiment": sentiment_of(turn.text)}) if turn.speaker == "participant" else turn
        for turn in session.turns
    ]
    assessment = model.assess_candidate(interview.role, interview.questions, answers, resume)
    assessment = assessment.model_copy(update={"score": overall_score(interview, answers)})
    return session.model_copy(update={"answers": answers, "turns": turns, "assessment": assessment})


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
