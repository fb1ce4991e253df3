"""Audio answers transcribed in the background, and the session's analysis queued once none is pending.

An answer sent with a recording (`flow.submit_answer`) is stored with a pending `Transcription` (the deployment's
engine, the interview's language) and a message on the transcription queue (`TranscriptionQueue` →
`TranscribeAnswerFunction`): {organization_id, session_id, audio_key}. The offline and openai engines
transcribe the recording there and then; the aws engine starts an Amazon Transcribe job (`speech.aws.start`)
named after the session and the recording (`job_name_of`), whose "Transcribe Job State Change" event
(`CollectTranscriptionFunction`) collects it.

The result is written into the answer with one conditional path update (`sessions.store.set_answer_transcription`):
only while that answer still holds the recording and a pending transcription, so a redelivered message or a
second event writes nothing, and an erased answer gets nothing back. Words, timings, per-word confidences, the
mean confidence, the duration, the engine and model are kept. The answer's text: what the candidate typed stays
theirs; an answer sent without text gets the transcript as its text (and its turn in the transcript, shown as
AUDIO_PLACEHOLDER until then). A transcription that fails is recorded with its error (`status` failed), the text
left as it was.

The analysis waits: a completed session is queued for analysis only when none of its answers has a pending
transcription (`analyse_when_transcribed`), which the completion and every finished transcription check after
their writes. Both may queue it (the analysis is idempotent); neither can miss it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.background import request_analysis
from panelist.core.errors import BadRequest, NotFound
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed
from panelist.models.common import now
from panelist.models.sessions import Answer, Session, SessionStatus, Transcription, TranscriptionStatus
from panelist.sessions import store
from panelist.sessions.store import get_session

AUDIO_PLACEHOLDER = "(audio answer)"
"""The participant turn's text of an answer sent as a recording only, until its transcript replaces it."""
MAX_ATTEMPTS = 3  # the TranscriptionQueue RedrivePolicy maxReceiveCount in template.yaml
ERROR_CHARS = 500
WRITE_ATTEMPTS = 4
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# ------------------------------------------------------------------ asking


def pending(at: datetime, language: str) -> Transcription | None:
    """The pending transcription of an audio answer sent now, or None where this deployment transcribes nothing
    (no transcription queue: the answer is stored as sent, as before transcription existed)."""
    settings = get_settings()
    if not settings.transcription_queue_url:
        return None
    return Transcription(engine=settings.speech_engine, language=language, requested_at=at)


def request_transcription(organization_id: str, session_id: str, audio_key: str) -> bool:
    """Queue the transcription of an answer's recording; False (logged) when it could not be queued."""
    url = get_settings().transcription_queue_url
    if not url:
        return False
    body = json.dumps({"organization_id": organization_id, "session_id": session_id, "audio_key": audio_key})
    try:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    except ClientError as exc:
        logger.warning("transcription not queued", extra={"session_id": session_id, "error": str(exc)})
        return False
    return True


def job_prefix(organization_id: str, session_id: str) -> str:
    """The start of the Amazon Transcribe job names of a session's recordings (and of their output keys)."""
    return f"panelist-{get_settings().stage}-{organization_id}-{session_id}-"


def transcripts_prefix(organization_id: str, session_id: str) -> str:
    """Where Amazon Transcribe writes the outputs of a session's jobs (the bucket expires them after 7 days)."""
    from panelist.interviews.speech.aws import OUTPUT_PREFIX

    return OUTPUT_PREFIX + job_prefix(organization_id, session_id)


def job_name_of(organization_id: str, session_id: str, audio_key: str) -> str:
    """The Transcribe job of one recording: unique per recording, its session found from it (`job_session`)."""
    from panelist.interviews.speech.aws import job_name

    return job_name(job_prefix(organization_id, session_id) + PurePosixPath(audio_key).stem)


def job_session(name: str) -> tuple[str, str] | None:
    """(organization id, session id) of one of this deployment's job names, else None."""
    found = re.fullmatch(
        rf"panelist-{re.escape(get_settings().stage)}-({_UUID})-({_UUID})-[0-9A-Za-z._-]+", name, re.IGNORECASE
    )
    return (found[1], found[2]) if found else None


# ------------------------------------------------------------------ the analysis waits


def has_pending(session: Session) -> bool:
    return any(
        answer.transcription is not None and answer.transcription.status is TranscriptionStatus.pending
        for answer in session.answers
    )


def analyse_when_transcribed(organization_id: str, session_id: str) -> bool:
    """Queue the analysis of a completed session whose answers are all transcribed (read now, after the caller's
    write); whether it was queued."""
    try:
        session = get_session(organization_id, session_id)
    except NotFound:
        return False
    if session.status is not SessionStatus.completed or has_pending(session):
        return False
    request_analysis(organization_id, session_id)
    return True


# ------------------------------------------------------------------ writing the outcome


def _locate(session: Session, audio_key: str) -> tuple[int, Answer] | None:
    for index, answer in enumerate(session.answers):
        if answer.audio_key == audio_key:
            return index, answer
    return None


def _turn_of(session: Session, answer: Answer) -> int | None:
    """The index of the answer's participant turn while it still shows the placeholder."""
    for index, turn in enumerate(session.turns):
        if (
            turn.speaker == "participant"
            and turn.question_id == answer.question_id
            and turn.timestamp == answer.ended_at
            and turn.text == AUDIO_PLACEHOLDER
        ):
            return index
    return None


def _write(organization_id: str, session_id: str, audio_key: str, outcome: Transcription, text: str) -> bool:
    """Write a finished transcription into the answer holding `audio_key` while it is pending; whether it was."""
    for _ in range(WRITE_ATTEMPTS):
        try:
            session = get_session(organization_id, session_id)
        except NotFound:
            return False
        located = _locate(session, audio_key)
        if located is None:
            return False  # erased, or not an answer's recording
        index, answer = located
        if answer.transcription is None or answer.transcription.status is not TranscriptionStatus.pending:
            return False  # written already (a redelivery)
        done = outcome.model_copy(update={"requested_at": answer.transcription.requested_at})
        fill = not answer.text.strip() and bool(text.strip())
        turn = _turn_of(session, answer) if fill else None
        try:
            store.set_answer_transcription(
                session,
                index,
                answer.model_copy(update={"transcription": done}),
                text=text.strip() if fill else None,
                turn=(turn, AUDIO_PLACEHOLDER) if turn is not None else None,
                at=now(),
            )
        except ConditionFailed:
            continue  # changed meanwhile: read again
        return True
    logger.warning("transcription not written: the session kept changing", extra={"session_id": session_id})
    return False


def complete(organization_id: str, session_id: str, audio_key: str, transcript: Any) -> bool:
    """Record a transcript (`speech.Transcript`) as the answer's completed transcription; whether it was written."""
    outcome = Transcription(
        status=TranscriptionStatus.completed,
        engine=transcript.engine,
        model=transcript.model,
        language=transcript.language,
        words=transcript.words,
        confidence=transcript.confidence,
        duration_seconds=transcript.duration_seconds,
        requested_at=now(),
        completed_at=now(),
    )
    written = _write(organization_id, session_id, audio_key, outcome, transcript.text)
    logger.info("answer transcribed", extra={"session_id": session_id, "written": written, "words": len(outcome.words)})
    return written


def fail(organization_id: str, session_id: str, audio_key: str, error: str, *, engine: str, language: str) -> bool:
    """Record that the answer's transcription failed (`error`), leaving its text; whether it was written."""
    outcome = Transcription(
        status=TranscriptionStatus.failed,
        engine=engine,
        language=language,
        error=error[:ERROR_CHARS],
        requested_at=now(),
        completed_at=now(),
    )
    written = _write(organization_id, session_id, audio_key, outcome, "")
    logger.warning("answer not transcribed", extra={"session_id": session_id, "written": written, "error": error})
    return written


def failure_reason(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message[:ERROR_CHARS]


# ------------------------------------------------------------------ the work


def transcribe_answer(organization_id: str, session_id: str, audio_key: str, *, attempt: int = 1) -> None:
    """Transcribe one answer's recording (TranscribeAnswerFunction), or start its Amazon Transcribe job.

    A recording the engine cannot read, in a language it has no model for, or no longer there fails at once; any
    other error is raised to be retried, and recorded as the failure on the last attempt (MAX_ATTEMPTS). Then,
    whatever the outcome (a redelivery included), the analysis is queued if the session waited for this.
    """
    try:
        session = get_session(organization_id, session_id)
    except NotFound:
        logger.warning("transcription of a session that is gone", extra={"session_id": session_id})
        return
    located = _locate(session, audio_key)
    if located is None:
        logger.warning("transcription of a recording no answer holds", extra={"session_id": session_id})
        return
    _, answer = located
    asked = answer.transcription
    if asked is None or asked.status is not TranscriptionStatus.pending:
        analyse_when_transcribed(organization_id, session_id)  # a redelivery: the first may have stopped short
        return
    engine, language = asked.engine, asked.language
    try:
        if engine == "aws":
            _start_job(session, audio_key, language)
            return  # CollectTranscriptionFunction finishes it
        transcript = _recognise(engine, audio_key, language)
    except BadRequest as exc:  # UnsupportedAudio, UnsupportedLanguage, a recording that is gone
        fail(organization_id, session_id, audio_key, failure_reason(exc), engine=engine, language=language)
    except Exception as exc:
        if attempt < MAX_ATTEMPTS:
            raise
        fail(organization_id, session_id, audio_key, failure_reason(exc), engine=engine, language=language)
    else:
        complete(organization_id, session_id, audio_key, transcript)
    analyse_when_transcribed(organization_id, session_id)


def _recording(audio_key: str, *, body: bool) -> tuple[bytes, str]:
    s3, bucket = aws.client("s3"), get_settings().bucket
    try:
        if body:
            found = s3.get_object(Bucket=bucket, Key=audio_key)
            return found["Body"].read(), str(found.get("ContentType") or "")
        return b"", str(s3.head_object(Bucket=bucket, Key=audio_key).get("ContentType") or "")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise BadRequest("the recording is no longer there", field="audio_key") from None
        raise


def _recognise(engine: str, audio_key: str, language: str) -> Any:
    from panelist.interviews.speech import recognizer

    data, content_type = _recording(audio_key, body=True)
    return recognizer(engine, get_settings()).transcribe(data, content_type=content_type, language=language)  # type: ignore[arg-type]


def _start_job(session: Session, audio_key: str, language: str) -> None:
    from panelist.interviews.speech import aws as transcribe

    _, content_type = _recording(audio_key, body=False)
    name = job_name_of(session.organization_id, session.id, audio_key)
    transcribe.start(get_settings().bucket, audio_key, content_type=content_type, language=language, name=name)
    logger.info("transcription job started", extra={"session_id": session.id, "job": name})


def collect_job(event: dict[str, Any]) -> str:
    """Collect the Amazon Transcribe job an EventBridge "Transcribe Job State Change" names
    (CollectTranscriptionFunction): its transcript, or its failure, into the answer; what happened, in a word.

    A job that is not one of this deployment's answers is ignored. RecognitionPending (an event before the job's
    end) is raised: Lambda tries the event again.
    """
    from panelist.interviews.speech import RecognitionFailed
    from panelist.interviews.speech import aws as transcribe

    name, _ = transcribe.job_from_event(event)
    ids = job_session(name)
    if ids is None:
        return "ignored"
    organization_id, session_id = ids
    try:
        session = get_session(organization_id, session_id)
    except NotFound:
        return "ignored"
    answer = next(
        (a for a in session.answers if a.audio_key and job_name_of(organization_id, session_id, a.audio_key) == name),
        None,
    )
    if answer is None or answer.audio_key is None or answer.transcription is None:
        return "ignored"
    if answer.transcription.status is not TranscriptionStatus.pending:
        analyse_when_transcribed(organization_id, session_id)
        return "already"
    asked = answer.transcription
    try:
        transcript = transcribe.collect(name, bucket=get_settings().bucket)
    except RecognitionFailed as exc:
        fail(organization_id, session_id, answer.audio_key, failure_reason(exc), engine="aws", language=asked.language)
        outcome = "failed"
    else:
        complete(organization_id, session_id, answer.audio_key, transcript)
        outcome = "completed"
    analyse_when_transcribed(organization_id, session_id)
    return outcome


def erased(transcription: Transcription | None) -> Transcription | None:
    """A transcription without what was said (its words); one still pending ends as failed."""
    if transcription is None:
        return None
    update: dict[str, Any] = {"words": []}
    if transcription.status is TranscriptionStatus.pending:
        update |= {"status": TranscriptionStatus.failed, "error": "the candidate's data was erased"}
    return transcription.model_copy(update=update)


__all__ = [
    "AUDIO_PLACEHOLDER",
    "analyse_when_transcribed",
    "collect_job",
    "complete",
    "erased",
    "fail",
    "has_pending",
    "job_name_of",
    "job_prefix",
    "job_session",
    "pending",
    "request_transcription",
    "transcribe_answer",
    "transcripts_prefix",
]
