"""Audio answers transcribed in the background (offline engine): pending, then transcribed into the answer, and
the session's analysis waiting for the last transcription (panelist.sessions.transcription).

The recording is posted as the page posts it (a presigned POST), the answer sent with its key; the transcription
queue's messages are then handed to TranscribeAnswerFunction as Lambda's SQS poller would, under its role.
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from panelist.core.settings import get_settings
from panelist.interviews import ai, speech
from panelist.interviews.speech import RecognitionFailed, Transcript, Word
from panelist.models.sessions import TranscriptionStatus
from panelist.sessions import transcription
from tests import speech_data
from tests.functions.harness import invoke, sample_event
from tests.functions.test_interview_flow import FollowUps, _answer, _interview, _invite, _session_of, _start, _token
from tests.functions.test_uploads import post_file

SENTENCE = speech_data.SENTENCES[0]  # "I have five years of experience building web services in Python ..."


@pytest.fixture
def queues(emulated, monkeypatch):
    sqs = boto3.client("sqs")
    urls = {n: sqs.get_queue_url(QueueName=f"panelist-test-{n}")["QueueUrl"] for n in ("transcription", "analysis")}
    monkeypatch.setenv("PANELIST_TRANSCRIPTION_QUEUE_URL", urls["transcription"])
    monkeypatch.setenv("PANELIST_ANALYSIS_QUEUE_URL", urls["analysis"])
    get_settings.cache_clear()
    yield urls
    get_settings.cache_clear()


def _messages(url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    for message in found:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def _event(message: dict, attempt: int = 1) -> dict:
    event = copy.deepcopy(sample_event("transcribe_answer"))
    record = event["Records"][0]
    record |= {"messageId": message["MessageId"], "body": message["Body"]}
    record["attributes"]["ApproximateReceiveCount"] = str(attempt)
    return event


def _run(url: str, attempt: int = 1) -> list[dict]:
    """Hand every queued transcription to the function; its batch responses."""
    return [invoke("transcribe_answer", _event(message, attempt)) for message in _messages(url)]


def _analyses(url: str) -> list[str]:
    return [json.loads(m["Body"])["session_id"] for m in _messages(url)]


def _session(api, tenant, questions: int = 1) -> str:
    interview = _interview(tenant.id, questions=questions)
    return _token(_start(api, _invite(tenant.id, interview).token, {"consent": "on", "name": "Sam Lee"}))


def _upload(api, token: str, content: bytes, content_type: str = "audio/wav") -> str:
    from tests.functions.test_uploads import _target

    target = _target(api, token, "audio", content_type)
    assert post_file(target, content)[0] == 204
    return target["key"]


def _speech() -> bytes:
    if reason := speech_data.missing_tool():
        pytest.skip(reason)
    from panelist.interviews.speech import offline

    if not offline.available():
        pytest.skip("pocketsphinx is not installed (the speech dependency group)")
    return speech_data.sample(SENTENCE).path.read_bytes()


class Heard:
    """A recogniser that hears `text` in any recording, and counts how often it was asked."""

    def __init__(self, text: str = "I measured it first") -> None:
        self.text, self.calls = text, 0

    def transcribe(self, audio, *, content_type: str, language: str) -> Transcript:
        self.calls += 1
        said = enumerate(self.text.split())
        words = [Word(word=w, start=i * 0.5, end=i * 0.5 + 0.4, confidence=0.9) for i, w in said]
        return Transcript(text=self.text, language=language, words=words, engine="offline", model="fake 1")


@pytest.fixture
def follow_ups(monkeypatch) -> FollowUps:
    model = FollowUps()
    monkeypatch.setattr(ai, "provider", lambda name=None: model)
    return model


@pytest.fixture
def heard(monkeypatch) -> Heard:
    model = Heard()
    monkeypatch.setattr(speech, "recognizer", lambda engine, settings=None: model)
    return model


# ------------------------------------------------------------------ offline, for real


def test_an_audio_answer_is_pending_then_transcribed_into_its_text_with_timed_words(api, tenant_a, queues, follow_ups):
    wav = _speech()
    token = _session(api, tenant_a, questions=2)
    assert _answer(api, token, "", audio_key=_upload(api, token, wav)).status == 303

    answer = _session_of(token).answers[0]
    assert answer.text == ""
    assert answer.transcription is not None
    assert (answer.transcription.status, answer.transcription.engine) == (TranscriptionStatus.pending, "offline")
    assert (answer.transcription.language, answer.transcription.words) == ("en", [])
    assert follow_ups.asked == [], "an answer not heard yet gets no follow-up"
    assert [t.text for t in _session_of(token).turns if t.speaker == "participant"] == [transcription.AUDIO_PLACEHOLDER]

    assert _run(queues["transcription"]) == [{"batchItemFailures": []}]

    session = _session_of(token)
    answer = session.answers[0]
    done = answer.transcription
    assert done.status is TranscriptionStatus.completed
    assert done.model.startswith("pocketsphinx")
    assert done.completed_at is not None
    assert done.requested_at <= done.completed_at
    heard_words = speech_data.normalize(answer.text)
    assert speech_data.wer([(speech_data.normalize(SENTENCE), heard_words)]) < 0.35, answer.text
    assert [w.word for w in done.words] == answer.text.split()
    assert all(0 <= w.start < w.end <= done.duration_seconds + 0.05 for w in done.words)
    assert all(0 <= w.confidence <= 1 for w in done.words)
    assert done.confidence == pytest.approx(sum(w.confidence for w in done.words) / len(done.words), abs=1e-3)
    assert [t.text for t in session.turns if t.speaker == "participant"] == [answer.text]
    assert _analyses(queues["analysis"]) == [], "the session is still in progress"


def test_typed_text_stays_the_candidates_and_the_words_are_kept_beside_it(api, tenant_a, queues, heard):
    token = _session(api, tenant_a, questions=2)
    _answer(api, token, "My own words, corrected.", audio_key=_upload(api, token, b"RIFF....WAVE"))
    assert _run(queues["transcription"]) == [{"batchItemFailures": []}]
    session = _session_of(token)
    answer = session.answers[0]
    assert answer.text == "My own words, corrected."
    assert [w.word for w in answer.transcription.words] == ["I", "measured", "it", "first"]
    assert [t.text for t in session.turns if t.speaker == "participant"] == ["My own words, corrected."]


def test_a_redelivered_message_transcribes_nothing_twice(api, tenant_a, queues, heard):
    token = _session(api, tenant_a, questions=2)
    _answer(api, token, "", audio_key=_upload(api, token, b"RIFF....WAVE"))
    (message,) = _messages(queues["transcription"])
    assert invoke("transcribe_answer", _event(message)) == {"batchItemFailures": []}
    first = _session_of(token)
    heard.text = "something else entirely"

    assert invoke("transcribe_answer", _event(message, attempt=2)) == {"batchItemFailures": []}

    assert heard.calls == 1
    again = _session_of(token)
    assert again.answers == first.answers
    assert again.turns == first.turns
    assert again.answers[0].text == "I measured it first"


# ------------------------------------------------------------------ the analysis waits


def test_the_analysis_is_queued_after_the_last_transcription_of_the_completed_session(api, tenant_a, queues, heard):
    token = _session(api, tenant_a, questions=2)
    for _ in range(2):  # audio only: no follow-up is asked, so two answers complete the session
        _answer(api, token, "", audio_key=_upload(api, token, b"RIFF....WAVE"))
    session = _session_of(token)
    assert session.status.value == "completed"
    assert [a.transcription.status for a in session.answers] == [TranscriptionStatus.pending] * 2
    assert _analyses(queues["analysis"]) == [], "nothing to analyse while the answers are not heard"

    first, second = _messages(queues["transcription"])
    invoke("transcribe_answer", _event(first))
    assert _analyses(queues["analysis"]) == []
    invoke("transcribe_answer", _event(second))
    assert _analyses(queues["analysis"]) == [session.id]

    event = copy.deepcopy(sample_event("analyse_session"))
    event["Records"][0]["body"] = json.dumps({"organization_id": session.organization_id, "session_id": session.id})
    assert invoke("analyse_session", event) == {"batchItemFailures": []}
    analysed = _session_of(token)
    assert all(a.text == "I measured it first" and a.analysis is not None for a in analysed.answers)


def test_text_answers_are_analysed_at_completion_as_before(api, tenant_a, queues, heard):
    token = _session(api, tenant_a, questions=1)
    _answer(api, token, "A full answer with enough words in it to need no follow up at all.")
    _answer(api, token, "And a second one, just in case a follow-up was asked.")
    assert _analyses(queues["analysis"]) == [_session_of(token).id]
    assert _messages(queues["transcription"]) == []


def test_a_recording_the_engine_cannot_read_fails_at_once_and_the_analysis_still_runs(api, tenant_a, queues):
    token = _session(api, tenant_a, questions=1)
    _answer(api, token, "", audio_key=_upload(api, token, b"not a recording at all"))
    assert _session_of(token).status.value == "completed"
    assert _analyses(queues["analysis"]) == []

    assert _run(queues["transcription"]) == [{"batchItemFailures": []}]

    answer = _session_of(token).answers[0]
    assert answer.transcription.status is TranscriptionStatus.failed
    assert "not a recording this engine can read" in answer.transcription.error
    assert (answer.text, answer.transcription.words) == ("", [])
    assert answer.transcription.completed_at is not None
    assert _analyses(queues["analysis"]) == [_session_of(token).id]


def test_an_engine_failure_is_retried_then_recorded_on_the_last_attempt(api, tenant_a, queues, monkeypatch):
    class Down:
        def transcribe(self, audio, **_):
            raise RecognitionFailed("the speech server is down")

    monkeypatch.setattr(speech, "recognizer", lambda engine, settings=None: Down())
    token = _session(api, tenant_a, questions=1)
    _answer(api, token, "I typed this too.", audio_key=_upload(api, token, b"RIFF....WAVE"))
    while _session_of(token).status.value == "in_progress":  # the offline interviewer's follow-up to typed text
        _answer(api, token, "A longer answer to the follow-up question, in writing.")
    (message,) = _messages(queues["transcription"])

    for attempt in (1, 2):  # the record fails (a batch of one: the whole batch), to come back from the queue
        with pytest.raises(BatchProcessingError, match="All records failed"):
            invoke("transcribe_answer", _event(message, attempt))
        assert _session_of(token).answers[0].transcription.status is TranscriptionStatus.pending
        assert _analyses(queues["analysis"]) == []

    assert invoke("transcribe_answer", _event(message, transcription.MAX_ATTEMPTS)) == {"batchItemFailures": []}
    answer = _session_of(token).answers[0]
    assert (answer.transcription.status, answer.transcription.error) == (
        TranscriptionStatus.failed,
        "the speech server is down",
    )
    assert answer.text == "I typed this too."
    assert _analyses(queues["analysis"]) == [_session_of(token).id]


def test_an_unqueued_transcription_is_recorded_as_failed_not_left_pending(api, tenant_a, queues, monkeypatch):
    token = _session(api, tenant_a, questions=1)
    key = _upload(api, token, b"RIFF....WAVE")
    monkeypatch.setenv("PANELIST_TRANSCRIPTION_QUEUE_URL", queues["transcription"] + "-missing")
    get_settings.cache_clear()
    _answer(api, token, "", audio_key=key)
    answer = _session_of(token).answers[0]
    assert (answer.transcription.status, answer.transcription.error) == (
        TranscriptionStatus.failed,
        "the transcription could not be queued",
    )
    assert _analyses(queues["analysis"]) == [_session_of(token).id]


def test_without_a_transcription_queue_an_audio_answer_is_stored_as_sent(api, tenant_a, emulated, monkeypatch):
    monkeypatch.delenv("PANELIST_TRANSCRIPTION_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    token = _session(api, tenant_a, questions=2)
    _answer(api, token, "", audio_key=_upload(api, token, b"RIFF....WAVE"))
    answer = _session_of(token).answers[0]
    assert (answer.text, answer.transcription) == ("", None)
    assert answer.audio_key is not None


# ------------------------------------------------------------------ erasure


def test_erasing_the_candidate_clears_transcribed_words_and_amazon_transcribes_outputs(api, tenant_a, queues, heard):
    token = _session(api, tenant_a, questions=2)
    _answer(api, token, "", audio_key=_upload(api, token, b"RIFF....WAVE"))
    _answer(api, token, "", audio_key=_upload(api, token, b"RIFF....WAVE"))
    first, second = _messages(queues["transcription"])
    invoke("transcribe_answer", _event(first))  # the second is still queued when the erasure comes
    session = _session_of(token)
    assert session.answers[0].transcription.words
    s3, bucket = boto3.client("s3"), get_settings().bucket
    output = transcription.transcripts_prefix(session.organization_id, session.id) + "job.json"
    s3.put_object(Bucket=bucket, Key=output, Body=b'{"results": {"transcripts": [{"transcript": "I measured it"}]}}')
    other = "transcripts/panelist-test-someone-else.json"
    s3.put_object(Bucket=bucket, Key=other, Body=b"{}")

    reply = api(
        "erase_candidate",
        path=f"/api/candidates/{session.candidate_id}",
        path_params={"id": session.candidate_id},
        headers=tenant_a.as_admin(),
    )
    assert reply.status == 200, reply.body

    erased = _session_of(token)
    done, pending = (answer.transcription for answer in erased.answers)
    assert (done.status, done.words, done.engine) == (TranscriptionStatus.completed, [], "offline")
    assert (pending.status, pending.words, pending.error) == (
        TranscriptionStatus.failed,
        [],
        "the candidate's data was erased",
    )
    assert all(a.text == "" and a.audio_key is None for a in erased.answers)
    assert "measured" not in erased.model_dump_json()
    assert s3.list_object_versions(Bucket=bucket, Prefix=output).get("Versions") is None
    assert s3.get_object(Bucket=bucket, Key=other)["Body"].read() == b"{}", "only the candidate's sessions' outputs"

    invoke("transcribe_answer", _event(second))  # the queued one, after the erasure: writes nothing back
    assert _session_of(token).answers == erased.answers
