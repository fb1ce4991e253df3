"""Speech recognition without a model: language codes, audio reading, and the OpenAI-compatible engine against a
local fake server that validates the multipart request it receives."""

from __future__ import annotations

import array
import email.parser
import email.policy
import io
import json
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from panelist.interviews import speech
from panelist.interviews.speech import RecognitionFailed, Transcript, UnsupportedAudio, UnsupportedLanguage, Word
from panelist.interviews.speech import audio as speech_audio
from panelist.interviews.speech.languages import TRANSCRIBE, normalize, transcribe_code, whisper_code
from panelist.interviews.speech.openai import OpenAIRecognizer
from panelist.reports.i18n import LANGUAGES


def _wav(samples: list[int], rate: int = 16000, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels), writer.setsampwidth(2), writer.setframerate(rate)
        writer.writeframes(array.array("h", samples).tobytes())
    return buffer.getvalue()


# ------------------------------------------------------------------ languages


def test_every_report_language_has_a_transcribe_code():
    assert set(TRANSCRIBE) == set(LANGUAGES)
    assert transcribe_code("br") == "pt-BR"
    assert transcribe_code("pt") == "pt-PT"
    assert transcribe_code("fil") == "tl-PH"


@pytest.mark.parametrize(
    ("given", "transcribe", "whisper"),
    [("en", "en-US", "en"), ("en-gb", "en-GB", "en"), ("en_AU", "en-AU", "en"), ("de-AT", "de-DE", "de"),
     ("pt-BR", "pt-BR", "pt"), ("nb", "no-NO", "no"), ("zh-Hans-CN", "zh-CN", "zh"), ("fr-CA", "fr-CA", "fr")],
)  # fmt: skip
def test_language_tags_map_to_each_engines_codes(given, transcribe, whisper):
    assert transcribe_code(given) == transcribe
    assert whisper_code(given) == whisper


@pytest.mark.parametrize("code", ["xx", "klingon", "", "e"])
def test_unknown_languages_are_refused_not_taken_for_english(code):
    with pytest.raises(UnsupportedLanguage) as refused:
        normalize(code)
    assert refused.value.field == "language"
    assert "en" in (refused.value.expected or "")


# ------------------------------------------------------------------ audio


def test_wav_is_resampled_to_16k_mono():
    tone = [(i % 40) * 500 - 10000 for i in range(44100)]  # one second at 44.1 kHz
    stereo = [value for value in tone for _ in range(2)]
    pcm = speech_audio.to_pcm16k(_wav(stereo, rate=44100, channels=2), "audio/wav")
    assert len(pcm) == 2 * 16000
    samples = array.array("h", pcm)
    assert min(samples) >= -10000
    assert max(samples) <= 9500
    assert max(samples) - min(samples) > 5000


def test_a_16k_mono_wav_passes_through_unchanged():
    samples = list(range(-800, 800))
    assert speech_audio.to_pcm16k(_wav(samples), "audio/wav") == array.array("h", samples).tobytes()


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"\x1a\x45\xdf\xa3\x9f", "webm"), (b"OggS\x00\x02", "ogg"), (b"\x00\x00\x00\x20ftypM4A ", "mp4"),
     (b"fLaC\x00", "flac"), (b"ID3\x04", "mp3")],
)  # fmt: skip
def test_compressed_audio_needs_ffmpeg_and_says_so(monkeypatch, head, kind):
    monkeypatch.setattr(speech_audio.shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedAudio) as refused:
        speech_audio.to_pcm16k(head + bytes(64), "audio/webm;codecs=opus")
    assert f"{kind} audio needs ffmpeg" in refused.value.message
    assert refused.value.field == "audio"


def test_over_long_recordings_are_refused(monkeypatch):
    monkeypatch.setattr(speech_audio, "MAX_SECONDS", 1)
    with pytest.raises(UnsupportedAudio, match="lasts 2 s"):
        speech_audio.to_pcm16k(_wav([0] * 32000), "audio/wav")


def test_transcript_confidence_is_the_mean_or_none():
    words = [Word(word="a", start=0, end=0.1, confidence=0.5), Word(word="b", start=0.1, end=0.2, confidence=1.0)]
    assert Transcript(text="a b", language="en", words=words, engine="offline", model="m").confidence == 0.75
    unmeasured = [Word(word="a", start=0, end=0.1)]
    assert Transcript(text="a", language="en", words=unmeasured, engine="openai", model="m").confidence is None


# ------------------------------------------------------------------ OpenAI-compatible engine

VERBOSE = {
    "task": "transcribe", "language": "english", "duration": 2.5, "text": " I enjoy small teams.",
    "words": [{"word": "I", "start": 0.0, "end": 0.2}, {"word": "enjoy", "start": 0.2, "end": 0.6},
              {"word": "small", "start": 0.7, "end": 1.0}, {"word": "teams", "start": 1.0, "end": 1.4}],
    "segments": [{"id": 0, "start": 0.0, "end": 1.4, "text": " I enjoy small teams.", "avg_logprob": -0.2}],
}  # fmt: skip


class FakeTranscriptions(BaseHTTPRequestHandler):
    """POST /v1/audio/transcriptions as OpenAI answers it; every request is checked and kept in `seen`."""

    seen: list[dict] = []
    answer: tuple[int, dict] = (200, VERBOSE)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        fields, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                files[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            else:
                fields.setdefault(name, []).append(part.get_content().strip())
        FakeTranscriptions.seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "fields": fields, "files": files,
             "multipart": message.is_multipart()}
        )  # fmt: skip
        status, document = FakeTranscriptions.answer
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    FakeTranscriptions.seen, FakeTranscriptions.answer = [], (200, VERBOSE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTranscriptions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_engine_sends_a_valid_multipart_request_and_keeps_word_timings(fake_server, tmp_path):
    recording = tmp_path / "answer.webm"
    recording.write_bytes(b"\x1a\x45\xdf\xa3webm-bytes\r\n--not-a-boundary")
    engine = OpenAIRecognizer(fake_server + "/", "sk-test", "whisper-1")
    transcript = engine.transcribe(recording, content_type="audio/webm;codecs=opus", language="br")

    (request,) = FakeTranscriptions.seen
    assert request["multipart"]
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["auth"] == "Bearer sk-test"
    assert request["fields"] == {
        "model": ["whisper-1"], "language": ["pt"], "response_format": ["verbose_json"],
        "timestamp_granularities[]": ["word"],
    }  # fmt: skip
    assert request["files"]["file"] == ("answer.webm", "audio/webm", recording.read_bytes())
    assert transcript.text == "I enjoy small teams."
    assert [(w.word, w.start, w.end) for w in transcript.words][1] == ("enjoy", 0.2, 0.6)
    assert transcript.confidence is None  # OpenAI's words carry no probability: not measured, not 1.0
    assert (transcript.engine, transcript.model, transcript.language) == ("openai", "whisper-1", "br")
    assert transcript.duration_seconds == 2.5


def test_openai_engine_keeps_word_probabilities_where_the_server_sends_them(fake_server):
    segments = [{"words": [{"word": " hello", "start": 0.0, "end": 0.4, "probability": 0.91}]}]
    FakeTranscriptions.answer = (200, {"text": "hello", "duration": 0.5, "segments": segments})
    transcript = OpenAIRecognizer(fake_server, "", "Systran/faster-whisper-small").transcribe(
        b"RIFF....WAVE", content_type="audio/wav", language="en"
    )
    assert transcript.words == [Word(word="hello", start=0.0, end=0.4, confidence=0.91)]
    assert FakeTranscriptions.seen[0]["auth"] is None  # no key configured: no Authorization header


def test_openai_engine_reports_server_errors(fake_server):
    FakeTranscriptions.answer = (400, {"error": {"message": "response_format 'verbose_json' is not supported"}})
    with pytest.raises(RecognitionFailed, match="answered 400: response_format 'verbose_json' is not supported"):
        OpenAIRecognizer(fake_server, "k").transcribe(b"RIFF", content_type="audio/wav", language="en")


def test_openai_engine_refuses_audio_it_cannot_name_before_sending(fake_server):
    with pytest.raises(UnsupportedAudio):
        OpenAIRecognizer(fake_server, "k").transcribe(b"x", content_type="text/plain", language="en")
    assert FakeTranscriptions.seen == []


def test_recognizer_factory_configures_openai_from_settings(monkeypatch):
    from panelist.core.settings import Settings

    settings = Settings(stage="t", table="Table", bucket="bucket", secret_id="s", openai_api_key="sk-x",
                        speech_base_url="http://127.0.0.1:9/v1", speech_model="whisper-large-v3")  # fmt: skip
    engine = speech.recognizer("openai", settings)
    assert isinstance(engine, OpenAIRecognizer)
    assert (engine.url, engine.api_key, engine.model) == (
        "http://127.0.0.1:9/v1/audio/transcriptions", "sk-x", "whisper-large-v3",
    )  # fmt: skip
    assert speech.recognizer("offline").engine == "offline"
    assert speech.recognizer("aws", settings).engine == "aws"
