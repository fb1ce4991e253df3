"""The aws speech engine in the pipeline, under moto and the functions' roles: TranscribeAnswerFunction starts an
Amazon Transcribe job on the answer's recording, CollectTranscriptionFunction collects it from the job's
"Transcribe Job State Change" event (invoked here with the event EventBridge would send; the rule never fires
locally). moto writes no transcript: the tests put there the output the service writes, as
tests/functions/test_transcribe_aws.py does. Its jobs outlive the emulated stack's reset: each test's session
(and so each job name) is new.
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from botocore.stub import Stubber

from panelist.core import aws as aws_clients
from panelist.core.settings import get_settings
from panelist.interviews.speech import aws
from panelist.models.sessions import TranscriptionStatus
from panelist.sessions import transcription
from tests.functions.harness import invoke, sample_event
from tests.functions.test_interview_flow import _answer, _session_of
from tests.functions.test_transcribe_aws import OUTPUT
from tests.functions.test_transcription import _analyses, _messages, _run, _session, _upload


@pytest.fixture
def queues(emulated, monkeypatch):
    sqs = boto3.client("sqs")
    urls = {n: sqs.get_queue_url(QueueName=f"panelist-test-{n}")["QueueUrl"] for n in ("transcription", "analysis")}
    monkeypatch.setenv("PANELIST_TRANSCRIPTION_QUEUE_URL", urls["transcription"])
    monkeypatch.setenv("PANELIST_ANALYSIS_QUEUE_URL", urls["analysis"])
    monkeypatch.setenv("PANELIST_SPEECH_ENGINE", "aws")
    get_settings.cache_clear()
    yield urls
    get_settings.cache_clear()


def _event(name: str, status: str = "COMPLETED") -> dict:
    event = copy.deepcopy(sample_event("collect_transcription"))
    event["detail"] = {"TranscriptionJobName": name, "TranscriptionJobStatus": status}
    return event


def _started(api, tenant, queues) -> tuple[str, str]:
    """A completed one-question session answered by a recording only, its job started: (token, job name)."""
    token = _session(api, tenant, questions=1)
    _answer(api, token, "", audio_key=_upload(api, token, b"\x1a\x45\xdf\xa3webm", "audio/webm"))
    session = _session_of(token)
    assert session.status.value == "completed"
    assert _run(queues["transcription"]) == [{"batchItemFailures": []}]
    answer = _session_of(token).answers[0]
    assert (answer.transcription.status, answer.transcription.engine) == (TranscriptionStatus.pending, "aws")
    return token, transcription.job_name_of(session.organization_id, session.id, answer.audio_key)


def test_a_job_is_started_on_the_recording_then_collected_from_its_event(api, tenant_a, queues):
    token, name = _started(api, tenant_a, queues)
    session = _session_of(token)
    assert name.startswith(f"panelist-test-{session.organization_id}-{session.id}-")
    assert transcription.job_session(name) == (session.organization_id, session.id)
    transcribe = boto3.client("transcribe")
    job = transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]  # moto: QUEUED
    bucket = get_settings().bucket
    assert job["Media"] == {"MediaFileUri": f"s3://{bucket}/{session.answers[0].audio_key}"}
    assert (job["LanguageCode"], job["MediaFormat"]) == ("en-US", "webm")
    assert _analyses(queues["analysis"]) == [], "the analysis waits for the job"

    transcribe.get_transcription_job(TranscriptionJobName=name)  # moto: IN_PROGRESS; next: COMPLETED
    output = {**OUTPUT, "jobName": name}  # its words are Portuguese: what matters is that they are the job's
    boto3.client("s3").put_object(Bucket=bucket, Key=aws.output_key(name), Body=json.dumps(output).encode())
    assert aws.output_key(name).startswith(transcription.transcripts_prefix(session.organization_id, session.id))

    assert invoke("collect_transcription", _event(name)) == {"outcome": "completed"}

    answer = _session_of(token).answers[0]
    assert answer.text == "Eu gosto de equipes pequenas."
    done = answer.transcription
    assert (done.status, done.engine, done.model) == (TranscriptionStatus.completed, "aws", "amazon-transcribe en-US")
    assert [(w.word, w.start, w.end, w.confidence) for w in done.words][3] == ("equipes", 0.7, 1.2, 0.62)
    assert _analyses(queues["analysis"]) == [session.id]

    assert invoke("collect_transcription", _event(name)) == {"outcome": "already"}  # EventBridge delivers twice
    assert _session_of(token).answers[0].transcription == done


def test_a_failed_job_is_recorded_with_its_reason_and_the_analysis_runs(api, tenant_a, queues):
    token, name = _started(api, tenant_a, queues)
    client = aws_clients.client("transcribe")
    with Stubber(client) as stub:
        job = {"TranscriptionJobName": name, "TranscriptionJobStatus": "FAILED", "FailureReason": "Unsupported codec"}
        stub.add_response("get_transcription_job", {"TranscriptionJob": job}, {"TranscriptionJobName": name})
        assert invoke("collect_transcription", _event(name, "FAILED")) == {"outcome": "failed"}
    answer = _session_of(token).answers[0]
    assert answer.transcription.status is TranscriptionStatus.failed
    assert "Unsupported codec" in answer.transcription.error
    assert answer.text == ""
    assert _analyses(queues["analysis"]) == [_session_of(token).id]


def test_jobs_that_are_not_this_deployments_answers_are_ignored(emulated, queues):
    assert invoke("collect_transcription", _event("someone-elses-job")) == {"outcome": "ignored"}
    stranger = "panelist-test-0b9c6a7e-5d43-4c1f-9a2e-7f1d2c3b4a50-990e8400-e29b-41d4-a716-446655440010-x"
    assert invoke("collect_transcription", _event(stranger)) == {"outcome": "ignored"}
    assert _messages(queues["analysis"]) == []
