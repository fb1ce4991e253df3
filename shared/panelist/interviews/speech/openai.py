"""An OpenAI-compatible `POST {base_url}/audio/transcriptions` (OpenAI's whisper-1, faster-whisper servers,
vLLM): multipart form with `response_format=verbose_json` and `timestamp_granularities[]=word`, on the
standard library (no client dependency). `base_url` is the API root including its version, as OpenAI's own
clients take it (`https://api.openai.com/v1`, `http://localhost:8000/v1`).

Word confidence is kept where the server sends one (faster-whisper's `probability`); OpenAI's own words
carry none, and then it is None (measured nothing), never a stand-in figure.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

from panelist.interviews.speech.languages import normalize, whisper_code
from panelist.interviews.speech.model import (
    Audio,
    Engine,
    RecognitionFailed,
    Transcript,
    UnsupportedAudio,
    Word,
    base_type,
    read_audio,
)

MAX_BYTES = 25 * 1024 * 1024  # OpenAI's upload limit for this endpoint
EXTENSIONS = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav", "audio/webm": "webm",
    "video/webm": "webm", "audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "mp4",
    "video/mp4": "mp4", "audio/m4a": "m4a", "audio/x-m4a": "m4a", "audio/flac": "flac", "audio/x-flac": "flac",
}  # fmt: skip


def multipart(
    fields: list[tuple[str, str]], file_field: str, filename: str, content_type: str, data: bytes
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type header."""
    boundary = f"panelist-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
    )
    parts += [data, f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class OpenAIRecognizer:
    engine: Engine = "openai"

    def __init__(self, base_url: str, api_key: str, model: str = "whisper-1", *, timeout: float = 120) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self.api_key, self.model, self.timeout = api_key, model, timeout

    def transcribe(self, audio: Audio, *, content_type: str, language: str) -> Transcript:
        ours, _ = normalize(language)
        data = read_audio(audio)
        extension = EXTENSIONS.get(base_type(content_type))
        if extension is None:
            raise UnsupportedAudio(f"unsupported audio type {content_type!r}", expected=", ".join(sorted(EXTENSIONS)))
        if len(data) > MAX_BYTES:
            raise UnsupportedAudio(f"the recording is {len(data)} bytes", expected=f"at most {MAX_BYTES} bytes")
        fields = [
            ("model", self.model),
            ("language", whisper_code(ours)),
            ("response_format", "verbose_json"),
            ("timestamp_granularities[]", "word"),
        ]
        body, form_type = multipart(fields, "file", f"answer.{extension}", base_type(content_type), data)
        headers = {"Content-Type": form_type, "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - operator's URL
                document = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RecognitionFailed(f"{self.url} answered {exc.code}: {_reason(exc.read())}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise RecognitionFailed(f"{self.url} unreachable: {exc}") from None
        except ValueError:
            raise RecognitionFailed(f"{self.url} answered something other than JSON") from None
        return parse(document, language=ours, model=self.model)


def parse(document: Any, *, language: str, model: str) -> Transcript:
    """A Transcript from a `verbose_json` transcription (words at the top level, as OpenAI and vLLM send them,
    or inside segments, as some faster-whisper servers do)."""
    if not isinstance(document, dict) or not isinstance(document.get("text"), str):
        raise RecognitionFailed("the transcription answer has no text")
    raw = document.get("words")
    if raw is None:
        raw = [word for segment in document.get("segments") or [] for word in segment.get("words") or []]
    try:
        words = [
            Word(
                word=str(item["word"]).strip(),
                start=float(item["start"]),
                end=float(item["end"]),
                confidence=None if item.get("probability") is None else float(item["probability"]),
            )
            for item in raw
            if str(item.get("word", "")).strip()
        ]
        duration = document.get("duration")
        return Transcript(
            text=document["text"].strip(),
            language=language,
            words=words,
            engine="openai",
            model=model,
            duration_seconds=None if duration is None else float(duration),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RecognitionFailed(f"unexpected transcription answer: {exc!r}"[:300]) from None


def _reason(body: bytes) -> str:
    try:
        error = json.loads(body).get("error")
        message = error.get("message") if isinstance(error, dict) else error
        return str(message)[:300]
    except (ValueError, AttributeError):
        return body[:300].decode(errors="replace")
