"""The Amazon Transcribe engine under moto: a job started on a recording in our bucket, collected when done.

moto (5.2.5) keeps jobs and moves one through QUEUED → IN_PROGRESS → COMPLETED on each GetTranscriptionJob,
answering the TranscriptFileUri of our bucket and key, but writes no transcript: the tests put there the JSON
Amazon Transcribe writes (OUTPUT below, its documented shape) as the service would. Its jobs outlive the
emulated stack's reset between tests: every test names its own.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.stub import Stubber

from panelist.core import aws as aws_clients
from panelist.core.settings import get_settings
from panelist.interviews.speech import RecognitionFailed, RecognitionPending, UnsupportedAudio, UnsupportedLanguage, aws

OUTPUT = {
    "jobName": "panelist-test",
    "accountId": "123456789012",
    "status": "COMPLETED",
    "results": {
        "transcripts": [{"transcript": "Eu gosto de equipes pequenas."}],
        "items": [
            {"type": "pronunciation", "start_time": "0.04", "end_time": "0.21",
             "alternatives": [{"confidence": "0.998", "content": "Eu"}]},
            {"type": "pronunciation", "start_time": "0.21", "end_time": "0.6",
             "alternatives": [{"confidence": "0.87", "content": "gosto"}]},
            {"type": "pronunciation", "start_time": "0.6", "end_time": "0.7",
             "alternatives": [{"confidence": "0.91", "content": "de"}]},
            {"type": "pronunciation", "start_time": "0.7", "end_time": "1.2",
             "alternatives": [{"confidence": "0.62", "content": "equipes"}]},
            {"type": "pronunciation", "start_time": "1.2", "end_time": "1.8",
             "alternatives": [{"confidence": "0.95", "content": "pequenas"}]},
            {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]},
        ],
    },
}  # fmt: skip


def _unique(label: str) -> str:
    return aws.job_name("panelist-test", label, uuid.uuid4().hex[:12])


@pytest.fixture
def recording(emulated):
    bucket = get_settings().bucket
    key = "recordings/org-1/session-1/answer-1.webm"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"\x1a\x45\xdf\xa3webm", ContentType="audio/webm")
    return bucket, key


def test_start_asks_for_a_job_on_the_recording_with_the_interviews_language(recording):
    bucket, key = recording
    assert aws.job_name("panelist", "test", "org 1/session 1", "answer#1") == "panelist-test-org-1-session-1-answer-1"
    name = _unique("start")

    assert aws.start(bucket, key, content_type="audio/webm;codecs=opus", language="br", name=name) == name

    job = boto3.client("transcribe").get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
    assert job["LanguageCode"] == "pt-BR"
    assert job["MediaFormat"] == "webm"
    assert job["Media"] == {"MediaFileUri": f"s3://{bucket}/{key}"}


def test_collect_waits_for_the_job_then_reads_words_with_timings_and_confidences(recording):
    bucket, key = recording
    name = aws.start(bucket, key, content_type="audio/webm", language="br", name=_unique("collect"))

    with pytest.raises(RecognitionPending, match="QUEUED"):
        aws.collect(name, bucket=bucket)
    with pytest.raises(RecognitionPending, match="IN_PROGRESS"):
        aws.collect(name, bucket=bucket)
    # Completed (moto's next step), but the service has not written its output: a failure, not a silent blank.
    with pytest.raises(RecognitionFailed, match="unreadable"):
        aws.collect(name, bucket=bucket)
    boto3.client("s3").put_object(Bucket=bucket, Key=aws.output_key(name), Body=json.dumps(OUTPUT).encode())
    job = boto3.client("transcribe").get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
    assert job["Transcript"]["TranscriptFileUri"].endswith(f"/{bucket}/{aws.output_key(name)}")

    transcript = aws.collect(name, bucket=bucket)

    assert transcript.text == "Eu gosto de equipes pequenas."
    assert [word.word for word in transcript.words] == ["Eu", "gosto", "de", "equipes", "pequenas"]  # no "."
    assert (transcript.words[3].start, transcript.words[3].end, transcript.words[3].confidence) == (0.7, 1.2, 0.62)
    assert transcript.confidence == round((0.998 + 0.87 + 0.91 + 0.62 + 0.95) / 5, 4)
    assert (transcript.engine, transcript.language, transcript.model) == ("aws", "br", "amazon-transcribe pt-BR")


def test_starting_the_same_job_twice_keeps_the_first(recording):
    bucket, key = recording
    name = _unique("twice")
    aws.start(bucket, key, content_type="audio/webm", language="en", name=name)
    aws.start(bucket, key, content_type="audio/webm", language="en-GB", name=name)
    jobs = boto3.client("transcribe").list_transcription_jobs(JobNameContains=name)
    assert [job["LanguageCode"] for job in jobs["TranscriptionJobSummaries"]] == ["en-US"]


def test_unsupported_audio_or_language_starts_no_job(recording):
    bucket, key = recording
    name = _unique("refused")
    with pytest.raises(UnsupportedAudio):
        aws.start(bucket, key, content_type="text/plain", language="en", name=name)
    with pytest.raises(UnsupportedLanguage):
        aws.start(bucket, key, content_type="audio/wav", language="tlh", name=name)
    assert boto3.client("transcribe").list_transcription_jobs(JobNameContains=name)["TranscriptionJobSummaries"] == []


def test_a_failed_job_is_reported_with_its_reason(emulated):
    client = aws_clients.client("transcribe")
    with Stubber(client) as stub:
        job = {"TranscriptionJobName": "j", "TranscriptionJobStatus": "FAILED", "FailureReason": "Unsupported codec"}
        stub.add_response("get_transcription_job", {"TranscriptionJob": job}, {"TranscriptionJobName": "j"})
        with pytest.raises(RecognitionFailed, match="failed: Unsupported codec"):
            aws.collect("j", bucket=get_settings().bucket)


def test_the_job_state_change_event_names_the_job():
    event = {
        "version": "0", "source": "aws.transcribe", "detail-type": "Transcribe Job State Change",
        "detail": {"TranscriptionJobName": "panelist-test-1", "TranscriptionJobStatus": "COMPLETED"},
    }  # fmt: skip
    assert aws.job_from_event(event) == ("panelist-test-1", "COMPLETED")
    with pytest.raises(ValueError, match="not a Transcribe Job State Change"):
        aws.job_from_event({**event, "source": "aws.s3"})


def test_malformed_output_is_a_failure_not_an_empty_transcript():
    with pytest.raises(RecognitionFailed, match="unexpected Amazon Transcribe output"):
        aws.parse_output({"results": {"items": [{"type": "pronunciation", "alternatives": []}]}}, language_code="en-US")


def test_the_one_off_recognizer_uploads_starts_and_polls_until_done(emulated, monkeypatch):
    bucket, started = get_settings().bucket, []
    real_start = aws.start

    def start_and_write_output(bucket_name, key, **kwargs):  # what the service does once the job has run
        started.append(key)
        boto3.client("s3").put_object(Bucket=bucket_name, Key=aws.output_key(kwargs["name"]), Body=json.dumps(OUTPUT))
        return real_start(bucket_name, key, **kwargs)

    monkeypatch.setattr(aws, "start", start_and_write_output)
    transcript = aws.AwsRecognizer(bucket, poll=0).transcribe(b"RIFF0000WAVE", content_type="audio/wav", language="br")

    (key,) = started
    assert key.startswith(aws.UPLOAD_PREFIX)
    assert key.endswith(".wav")
    assert boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == b"RIFF0000WAVE"
    assert transcript.text == "Eu gosto de equipes pequenas."
