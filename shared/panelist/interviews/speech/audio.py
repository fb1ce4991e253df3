"""Audio in the shape the offline recogniser needs: 16 kHz, mono, signed 16-bit little-endian PCM.

WAV (PCM, 16-bit, any rate, mono or stereo) is read with the standard library. Anything else (the browser's
webm/opus, ogg/opus, mp4/aac; mp3, flac, other WAV encodings) needs `ffmpeg` on the PATH; without it the
recording is refused with a reason, never guessed at.
"""

from __future__ import annotations

import array
import io
import shutil
import subprocess
import sys
import wave

from panelist.interviews.speech.model import UnsupportedAudio, base_type

RATE = 16_000
MAX_SECONDS = 15 * 60
"""The longest recording an offline transcription takes (an interview answer is minutes, not hours)."""
FFMPEG_SECONDS = 120

WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})
CONTAINERS = {  # what the content type says, for messages and the ffmpeg path
    "audio/webm": "webm", "video/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "mp4", "video/mp4": "mp4",
    "audio/mpeg": "mp3", "audio/flac": "flac", "audio/x-flac": "flac", "audio/m4a": "mp4", "audio/x-m4a": "mp4",
}  # fmt: skip


def sniff(data: bytes) -> str | None:
    """The container a recording's first bytes announce, whatever its content type claims."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def to_pcm16k(data: bytes, content_type: str) -> bytes:
    """`data` as 16 kHz mono s16le PCM. Raises UnsupportedAudio naming what is accepted."""
    kind = sniff(data)
    declared = base_type(content_type)
    if kind is None:
        raise UnsupportedAudio(
            f"not a recording this engine can read (declared {declared or 'no type'})",
            expected="WAV (PCM 16-bit), or webm/ogg/mp4/mp3/flac with ffmpeg installed",
        )
    if kind == "wav":
        try:
            return _wav(data)
        except (wave.Error, EOFError, ValueError):
            pass  # an encoding the standard library does not read (float, 24-bit, extensible): ffmpeg may
    return _ffmpeg(data, kind)


def _wav(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as reader:
        channels, width, rate, frames = (
            reader.getnchannels(), reader.getsampwidth(), reader.getframerate(), reader.getnframes(),
        )  # fmt: skip
        if width != 2 or channels not in (1, 2) or not 8000 <= rate <= 96000:
            raise ValueError("not 16-bit mono/stereo PCM")
        if frames / rate > MAX_SECONDS:
            raise UnsupportedAudio(f"the recording lasts {frames / rate:.0f} s", expected=f"at most {MAX_SECONDS} s")
        samples = array.array("h", reader.readframes(frames))
    if sys.byteorder == "big":
        samples.byteswap()
    if channels == 2:
        samples = array.array("h", ((a + b) // 2 for a, b in zip(samples[::2], samples[1::2], strict=True)))
    if rate != RATE:
        samples = resample(samples, rate, RATE)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def resample(samples: array.array[int], source: int, target: int) -> array.array[int]:
    """Linear-interpolation resampling, averaging each output sample's span when downsampling (a crude
    low-pass against aliasing). Good enough for speech recognition, which reads below 6.9 kHz."""
    count = int(len(samples) * target / source)
    if not count:
        return array.array("h")
    step = source / target
    last = len(samples) - 1
    if step > 1:  # box filter over the span each output sample covers, then pick
        span = int(step)
        prefix = [0] * (len(samples) + 1)
        total = 0
        for index, value in enumerate(samples):
            total += value
            prefix[index + 1] = total
        out = array.array("h", bytes(2 * count))
        for i in range(count):
            start = int(i * step)
            stop = min(start + span, len(samples))
            out[i] = (prefix[stop] - prefix[start]) // max(1, stop - start)
        return out
    out = array.array("h", bytes(2 * count))
    for i in range(count):
        position = i * step
        j = int(position)
        a = samples[j]
        b = samples[j + 1] if j < last else a
        out[i] = int(a + (b - a) * (position - j))
    return out


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def _ffmpeg(data: bytes, kind: str) -> bytes:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise UnsupportedAudio(
            f"{kind} audio needs ffmpeg, which is not installed (apt-get install ffmpeg)",
            expected="WAV (PCM 16-bit), or install ffmpeg for webm/ogg/mp4/mp3/flac",
        )
    command = [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0"]
    command += ["-t", str(MAX_SECONDS), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=FFMPEG_SECONDS, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        raise UnsupportedAudio(f"ffmpeg took over {FFMPEG_SECONDS} s", expected="a shorter recording") from None
    if done.returncode or not done.stdout:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no audio"]
        raise UnsupportedAudio(f"ffmpeg could not decode the {kind} recording: {reason[0]}", expected="valid audio")
    return done.stdout
