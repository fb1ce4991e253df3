"""Amazon Transcribe batch jobs on recordings already in our bucket: `start` a job, `collect` its transcript.

A job writes its JSON to our bucket under OUTPUT_PREFIX (`<prefix><job name>.json`). Its completion is
announced on EventBridge (source `aws.transcribe`, detail-type `Transcribe Job State Change`, detail
`{"TranscriptionJobName", "TranscriptionJobStatus"}`): the function that receives it calls `collect` with
`job_from_event(event)`. Word timings and confidences come from the output's `pronunciation` items.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.interviews.speech.languages import TRANSCRIBE, transcribe_code
from panelist.interviews.speech.model import (
    Audio,
    Engine,
    RecognitionFailed,
    RecognitionPending,
    Transcript,
    UnsupportedAudio,
    Word,
    base_type,
    read_audio,
)

OUTPUT_PREFIX = "transcripts/"
UPLOAD_PREFIX = "speech-uploads/"  # where `AwsRecognizer.transcribe` puts audio it is handed as bytes
EVENT_SOURCE, EVENT_DETAIL_TYPE = "aws.transcribe", "Transcribe Job State Change"
MEDIA_FORMATS = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "mp4", "video/mp4": "mp4", "audio/m4a": "m4a",
    "audio/x-m4a": "m4a", "audio/flac": "flac", "audio/x-flac": "flac", "audio/ogg": "ogg",
    "audio/webm": "webm", "video/webm": "webm", "audio/amr": "amr",
}  # fmt: skip
_JOB_NAME = re.compile(r"[^0-9A-Za-z._-]+")


def job_name(*parts: str) -> str:
    """A Transcribe job name from our ids (unique per account and region; at most 200 of [0-9A-Za-z._-])."""
    name = _JOB_NAME.sub("-", "-".join(parts)).strip("-")
    return name[:200] or f"panelist-{uuid.uuid4().hex}"


def output_key(name: str) -> str:
    return f"{OUTPUT_PREFIX}{name}.json"


def media_format(content_type: str) -> str:
    found = MEDIA_FORMATS.get(base_type(content_type))
    if found is None:
        raise UnsupportedAudio(
            f"Amazon Transcribe does not take {base_type(content_type) or 'untyped'} audio",
            expected="one of " + ", ".join(sorted(MEDIA_FORMATS)),
        )
    return found


def start(bucket: str, key: str, *, content_type: str, language: str, name: str) -> str:
    """Start transcribing s3://bucket/key (spoken in our `language`); returns the job name. Starting a job
    that already exists (a redelivered message) is not an error: the same job is kept."""
    request: dict[str, Any] = {
        "TranscriptionJobName": name,
        "LanguageCode": transcribe_code(language),
        "MediaFormat": media_format(content_type),
        "Media": {"MediaFileUri": f"s3://{bucket}/{key}"},
        "OutputBucketName": bucket,
        "OutputKey": output_key(name),
    }
    try:
        aws.client("transcribe").start_transcription_job(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConflictException":
            return name
        raise RecognitionFailed(f"Amazon Transcribe refused the job: {exc}") from None
    return name


def collect(name: str, *, bucket: str) -> Transcript:
    """The transcript of a finished job. Raises RecognitionPending while it runs, RecognitionFailed if it failed."""
    try:
        job = aws.client("transcribe").get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
    except ClientError as exc:
        raise RecognitionFailed(f"Amazon Transcribe job {name}: {exc}") from None
    status = job.get("TranscriptionJobStatus")
    if status == "FAILED":
        raise RecognitionFailed(f"Amazon Transcribe job {name} failed: {job.get('FailureReason', 'no reason given')}")
    if status != "COMPLETED":
        raise RecognitionPending(f"Amazon Transcribe job {name} is {status}")
    try:
        body = aws.client("s3").get_object(Bucket=bucket, Key=output_key(name))["Body"].read()
        document = json.loads(body)
    except (ClientError, ValueError) as exc:
        raise RecognitionFailed(f"the output of Amazon Transcribe job {name} is unreadable: {exc}") from None
    return parse_output(document, language_code=str(job.get("LanguageCode") or "en-US"))


def parse_output(document: dict[str, Any], *, language_code: str) -> Transcript:
    """A Transcript from Transcribe's output JSON (`results.transcripts[0].transcript` and `results.items`)."""
    try:
        results = document["results"]
        text = " ".join(str(part["transcript"]) for part in results.get("transcripts", [])).strip()
        words = [
            Word(
                word=str(item["alternatives"][0]["content"]),
                start=float(item["start_time"]),
                end=float(item["end_time"]),
                confidence=float(item["alternatives"][0]["confidence"]),
            )
            for item in results.get("items", [])
            if item.get("type") == "pronunciation"
        ]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RecognitionFailed(f"unexpected Amazon Transcribe output: {exc!r}") from None
    return Transcript(
        text=text,
        language=ours(language_code),
        words=words,
        engine="aws",
        model=f"amazon-transcribe {language_code}",
        duration_seconds=None,
    )


def ours(language_code: str) -> str:
    """Our code for a Transcribe LanguageCode ("pt-BR" → "br", "en-GB" → "en")."""
    for code, theirs in TRANSCRIBE.items():
        if theirs == language_code:
            return code
    base = language_code.split("-", 1)[0].lower()
    return {"tl": "fil"}.get(base, base)


def job_from_event(event: dict[str, Any]) -> tuple[str, str]:
    """(job name, status) of a `Transcribe Job State Change` EventBridge event."""
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") != EVENT_DETAIL_TYPE:
        raise ValueError(f"not a {EVENT_DETAIL_TYPE} event")
    detail = event.get("detail") or {}
    return str(detail["TranscriptionJobName"]), str(detail["TranscriptionJobStatus"])


class AwsRecognizer:
    """`Recognizer` over Transcribe for one-off use (the CLI, tests): uploads, starts and polls until done.
    The pipeline does not wait like this: it calls `start`, and `collect` when the EventBridge event comes."""

    engine: Engine = "aws"

    def __init__(self, bucket: str, *, timeout: float = 600, poll: float = 5) -> None:
        self.bucket, self.timeout, self.poll = bucket, timeout, poll

    def transcribe(self, audio: Audio, *, content_type: str, language: str) -> Transcript:
        fmt = media_format(content_type)
        name = job_name("panelist", uuid.uuid4().hex)
        key = f"{UPLOAD_PREFIX}{name}.{fmt}"
        aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=read_audio(audio), ContentType=content_type)
        start(self.bucket, key, content_type=content_type, language=language, name=name)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return collect(name, bucket=self.bucket)
            except RecognitionPending:
                if time.monotonic() > deadline:
                    raise RecognitionFailed(f"Amazon Transcribe job {name} took over {self.timeout:.0f} s") from None
                time.sleep(self.poll)
