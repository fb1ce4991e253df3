"""The interviewer's recorded voice on AWS: each question spoken once by Amazon Polly, kept in the bucket.

Optional (setting `question_voice`, template parameter `QuestionVoice`): without it the session page reads
questions with the browser's own speech synthesis. With it, `question_audio` answers a presigned GET of an
MP3 of the question being asked, synthesized on first request and cached under
`orgs/<org>/voice/<interview>/v<version>/<question>/<voice>-<engine>-<text hash>.mp3`: a new interview
version, another voice or another text (a follow-up) is another object. Only the question being asked is
ever spoken, so a candidate cannot hear questions ahead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from panelist.core import aws
from panelist.core.errors import ConfigurationError, NotFound, ServiceUnavailable
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.models.common import now
from panelist.models.sessions import SessionStatus
from panelist.sessions import flow
from panelist.sessions.flow import Opened

ENGINES = ("standard", "neural", "long-form", "generative")
MAX_TEXT_CHARS = 3000  # Polly's limit for SynthesizeSpeech text
VOICE_SECONDS = 900  # how long the presigned GET of a question's audio works
_VOICE_ID = re.compile(r"[A-Z][A-Za-z]{1,30}")
_LANGUAGE = re.compile(r"\*|[a-z]{2,3}(-[a-z0-9]{2,8})*")


@dataclass(frozen=True)
class Voice:
    voice_id: str
    engine: str = "standard"


def parse_voices(setting: str) -> dict[str, Voice]:
    """`question_voice` as {language (lower case) or "*": Voice}; "" is {}.

    "Joanna" (every language), "en=Joanna,en-gb=Amy,fr=Lea@neural". A malformed setting is a
    ConfigurationError: an operator's mistake fails loudly, never a silent browser-only interview.
    """
    voices: dict[str, Voice] = {}
    for part in filter(None, (p.strip() for p in setting.split(","))):
        language, _, spec = part.rpartition("=")
        voice_id, _, engine = spec.strip().partition("@")
        language, engine = (language.strip().lower() or "*"), (engine.strip() or "standard")
        if not _LANGUAGE.fullmatch(language) or not _VOICE_ID.fullmatch(voice_id) or engine not in ENGINES:
            raise ConfigurationError(f"question_voice: {part!r} is not [language=]VoiceId[@engine]")
        voices[language] = Voice(voice_id, engine)
    return voices


def voice_for(language: str, setting: str | None = None) -> Voice | None:
    """The Polly voice of an interview's language (exact tag, then its primary language, then "*"), or None."""
    voices = parse_voices(get_settings().question_voice if setting is None else setting)
    tag = language.lower()
    return voices.get(tag) or voices.get(tag.split("-")[0]) or voices.get("*")


def audio_key(opened: Opened, question_id: str, text: str, voice: Voice) -> str:
    interview = opened.interview
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return (
        f"orgs/{interview.organization_id}/voice/{interview.id}/v{interview.version}/{question_id}/"
        f"{voice.voice_id}-{voice.engine}-{digest}.mp3"
    )


def _exists(bucket: str, key: str) -> bool:
    """Whether the object is there. Without s3:ListBucket (not granted: it would list every key) S3 answers a
    missing key with 403 rather than 404; s3:GetObject on the voice prefix is granted, so 403 means missing."""
    try:
        aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"].get("Code") in ("403", "404", "AccessDenied", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _synthesize(text: str, voice: Voice) -> bytes:
    try:
        reply = aws.client("polly").synthesize_speech(
            Text=text, VoiceId=voice.voice_id, Engine=voice.engine, OutputFormat="mp3", TextType="text"
        )
        return bytes(reply["AudioStream"].read())
    except ClientError as exc:
        logger.warning("question not synthesized", extra={"voice": voice.voice_id, "error": exc.response["Error"]})
        raise ServiceUnavailable("the interviewer's voice is not available right now") from None


def question_audio(opened: Opened) -> dict[str, Any]:
    """A presigned GET of the MP3 of the question being asked, synthesized and stored on first request.

    {url, question_id, voice, engine, content_type, expires_in}; `url` (and `voice`, `engine`) null where the
    deployment has no voice for the interview's language or the text is longer than Polly speaks at once: the
    page reads the question with the browser's speech synthesis. NotFound when no question is being asked
    (the session is over, or past its time limit: the page, not this read-only route, completes it).
    """
    session = opened.session
    asking = session.status is SessionStatus.in_progress and not flow.past_time_limit(opened, now())
    step = flow.current_step(session, opened.interview) if asking else None
    if step is None:
        raise NotFound("no question is being asked")
    voice = voice_for(opened.interview.language)
    if voice is None or len(step.prompt) > MAX_TEXT_CHARS:
        return {
            "url": None,
            "question_id": step.question.id,
            "voice": None,
            "engine": None,
            "content_type": None,
            "expires_in": None,
        }
    bucket, key = get_settings().bucket, audio_key(opened, step.question.id, step.prompt, voice)
    if not _exists(bucket, key):
        audio = _synthesize(step.prompt, voice)
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=audio, ContentType="audio/mpeg")
    url = aws.client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key, "ResponseContentType": "audio/mpeg"},
        ExpiresIn=VOICE_SECONDS,
    )
    return {
        "url": url,
        "question_id": step.question.id,
        "voice": voice.voice_id,
        "engine": voice.engine,
        "content_type": "audio/mpeg",
        "expires_in": VOICE_SECONDS,
    }


__all__ = ["VOICE_SECONDS", "Voice", "audio_key", "parse_voices", "question_audio", "voice_for"]
