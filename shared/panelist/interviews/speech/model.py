"""What a speech recogniser answers (`Transcript`), what it is asked (`Recognizer`), and the failures it names."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from panelist.core.errors import BadRequest, PanelistError
from panelist.models.sessions import TranscribedWord as Word

__all__ = [
    "Audio",
    "Engine",
    "RecognitionFailed",
    "RecognitionPending",
    "Recognizer",
    "Transcript",
    "UnsupportedAudio",
    "UnsupportedLanguage",
    "Word",
]

Engine = Literal["offline", "aws", "openai"]
Audio = bytes | Path


class Transcript(BaseModel):
    """What was said in one recording, with word timings, and which engine and model heard it."""

    text: str
    language: str  # our language code, as asked (e.g. "en"; "br" for Brazilian Portuguese)
    words: list[Word] = Field(default_factory=list)
    engine: Engine
    model: str  # e.g. "pocketsphinx 5.1.1 en-us", "amazon-transcribe en-US", "whisper-1"
    duration_seconds: float | None = Field(default=None, ge=0)

    @property
    def confidence(self) -> float | None:
        """The mean word confidence, or None where no word carries one (never a made-up figure)."""
        measured = [word.confidence for word in self.words if word.confidence is not None]
        return round(sum(measured) / len(measured), 4) if measured else None


class Recognizer(Protocol):
    """A speech-to-text engine. Implementations are stateless as far as callers can tell and safe to reuse."""

    engine: Engine

    def transcribe(self, audio: Audio, *, content_type: str, language: str) -> Transcript:
        """The transcript of `audio` (bytes, or a path to a file) of MIME type `content_type`, spoken in
        `language` (one of our language codes). Raises `UnsupportedAudio`, `UnsupportedLanguage` or
        `RecognitionFailed`."""
        ...


class UnsupportedAudio(BadRequest):
    """The engine cannot read this recording (format, encoding or size)."""

    def __init__(self, message: str, *, expected: str) -> None:
        super().__init__(message, field="audio", expected=expected)


class UnsupportedLanguage(BadRequest):
    """The engine has no model for the interview's language."""

    def __init__(self, message: str, *, expected: str) -> None:
        super().__init__(message, field="language", expected=expected)


class RecognitionFailed(PanelistError):
    """The engine (or the service behind it) failed; the message says how. Retrying may help."""

    status, code = 502, "SPEECH_RECOGNITION_FAILED"


class RecognitionPending(PanelistError):
    """An asynchronous job (Amazon Transcribe) has not finished yet: collect it again later."""

    status, code = 409, "SPEECH_RECOGNITION_PENDING"


def read_audio(audio: Audio) -> bytes:
    return audio.read_bytes() if isinstance(audio, Path) else audio


def base_type(content_type: str) -> str:
    """`audio/webm;codecs=opus` → `audio/webm`."""
    return content_type.split(";", 1)[0].strip().lower()
