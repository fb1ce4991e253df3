"""Speech recognition: one `Recognizer` protocol, three engines.

* `offline` (`OfflineRecognizer`): PocketSphinx's US English model, on this machine; English only.
* `aws`: Amazon Transcribe batch jobs on recordings in our bucket (`aws.start`, then `aws.collect` when its
  EventBridge event arrives); `AwsRecognizer` wraps both with polling for one-off use.
* `openai` (`OpenAIRecognizer`): an OpenAI-compatible `/audio/transcriptions` with word timestamps.

Engines are imported on first use, so a function that only reads transcripts loads none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from panelist.interviews.speech.model import (
    Engine,
    RecognitionFailed,
    RecognitionPending,
    Recognizer,
    Transcript,
    UnsupportedAudio,
    UnsupportedLanguage,
    Word,
)

if TYPE_CHECKING:
    from panelist.core.settings import Settings

__all__ = [
    "Engine",
    "RecognitionFailed",
    "RecognitionPending",
    "Recognizer",
    "Transcript",
    "UnsupportedAudio",
    "UnsupportedLanguage",
    "Word",
    "recognizer",
]


def recognizer(engine: Engine, settings: Settings | None = None) -> Recognizer:
    """The recogniser of `engine`, configured from `settings` (the process's, by default)."""
    if engine == "offline":
        from panelist.interviews.speech.offline import OfflineRecognizer

        return OfflineRecognizer()
    if settings is None:
        from panelist.core.settings import get_settings

        settings = get_settings()
    if engine == "aws":
        from panelist.interviews.speech.aws import AwsRecognizer

        return AwsRecognizer(settings.bucket)
    if engine == "openai":
        from panelist.interviews.speech.openai import OpenAIRecognizer

        return OpenAIRecognizer(
            settings.speech_base_url or settings.openai_base_url, _openai_key(settings), settings.speech_model
        )
    raise ValueError(f"unknown speech engine {engine!r}")


def _openai_key(settings: Settings) -> str:
    """The OpenAI-compatible server's key: PANELIST_OPENAI_API_KEY, else its secret, else none."""
    if configured := settings.openai_api_key.get_secret_value().strip():
        return configured
    if not settings.openai_api_key_secret_id:
        return ""
    from panelist.core import aws

    return str(aws.secrets().get(settings.openai_api_key_secret_id, max_age=300)).strip()
