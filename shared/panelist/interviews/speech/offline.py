"""The offline recogniser: CMU PocketSphinx with the US English model its PyPI wheel ships (no download, no
network). English only: another language is refused (`UnsupportedLanguage`), never heard as English.

Word timings come from the decoder's segments (10 ms frames); each word's confidence is its posterior
probability in the decoder's lattice. PocketSphinx is imported on first use: the package is a local/dev
dependency, not part of the Lambda layer (on AWS the engine is Amazon Transcribe).
"""

from __future__ import annotations

import re
import threading
from functools import cache
from importlib import metadata
from typing import Any

from panelist.interviews.speech.audio import RATE, to_pcm16k
from panelist.interviews.speech.languages import is_english, normalize
from panelist.interviews.speech.model import (
    Audio,
    Engine,
    RecognitionFailed,
    Transcript,
    UnsupportedLanguage,
    Word,
    read_audio,
)

FRAME_SECONDS = 0.01  # PocketSphinx's default frame rate is 100 frames a second
_ALTERNATE = re.compile(r"\(\d+\)$")  # "years(2)": the dictionary's second pronunciation of "years"
_NOT_WORDS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "<unk>"})
_lock = threading.Lock()  # one decoder per process; decoding is not re-entrant


def available() -> bool:
    try:
        metadata.version("pocketsphinx")
    except metadata.PackageNotFoundError:
        return False
    return True


@cache
def _decoder() -> Any:
    """The process's decoder (loading the model takes about 0.3 s)."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise RecognitionFailed(
            "the offline speech engine needs pocketsphinx (pip install pocketsphinx), which is not installed"
        ) from None
    # Dither (half a bit of noise, from a fixed seed: the same recording is still heard the same): without it,
    # digital silence (a muted microphone) is heard as a word with full confidence.
    return Decoder(samprate=RATE, loglevel="FATAL", dither=True, seed=1)


@cache
def model_name() -> str:
    return f"pocketsphinx {metadata.version('pocketsphinx')} en-us"


class OfflineRecognizer:
    engine: Engine = "offline"

    def transcribe(self, audio: Audio, *, content_type: str, language: str) -> Transcript:
        ours, _ = normalize(language)
        if not is_english(ours):
            raise UnsupportedLanguage(
                f"the offline speech engine has an English model only, not {language!r}: use the aws or openai engine",
                expected="en",
            )
        pcm = to_pcm16k(read_audio(audio), content_type)
        return decode(pcm, language=ours)


def decode(pcm: bytes, *, language: str = "en") -> Transcript:
    """The transcript of 16 kHz mono s16le PCM."""
    decoder = _decoder()
    with _lock:
        # Fresh feature state (cepstral mean, noise estimate): a transcript depends on its recording only, not
        # on what this process decoded before (PocketSphinx adapts both as it goes). Takes under 0.1 ms.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(pcm, no_search=False, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        segments = list(decoder.seg()) if hypothesis is not None else []
    words = [
        Word(
            word=_ALTERNATE.sub("", segment.word),
            start=round(segment.start_frame * FRAME_SECONDS, 2),
            end=round((segment.end_frame + 1) * FRAME_SECONDS, 2),
            # PocketSphinx 5 gives the posterior as a probability already (not a log value); lattice rounding
            # can put it a hair above 1.
            confidence=round(min(1.0, max(0.0, float(segment.prob))), 4),
        )
        for segment in segments
        if segment.word not in _NOT_WORDS and not segment.word.startswith("[")
    ]
    return Transcript(
        text=" ".join(word.word for word in words),
        language=language,
        words=words,
        engine="offline",
        model=model_name(),
        duration_seconds=round(len(pcm) / 2 / RATE, 3),
    )
