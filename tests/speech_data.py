"""Speech with known words: WAV files spoken by Debian's `flite` (installed by `make test` where it can be),
generated on first use into .tools/speech/ and reused (keyed by voice and text).

espeak-ng was tried too and is not used: its formant voice is far from the speech PocketSphinx's acoustic
model was trained on (over 50% word error rate measured here, against about 10% with flite's voices).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parents[1] / ".tools" / "speech"
VOICES = ("slt", "rms", "awb", "kal16")
"""flite's built-in 16 kHz voices (US female, US male, Scottish male, US male diphone)."""

SENTENCES = (
    "I have five years of experience building web services in Python and I enjoy working with small teams",
    "In my last role I designed a database schema for an online store and improved the slowest queries",
    "When a deadline is at risk I talk to the team early and we agree on what to cut",
    "I would start by measuring the problem before changing any code",
    "Our team used automated tests and code review for every change before it reached production",
    "I led a project to move our servers to the cloud which reduced our costs by a third",
    "The most difficult customer I had wanted a refund after the contract had ended",
    "I learned to write clear documentation so that new developers could start quickly",
    "We released a new version every two weeks and collected feedback from our users",
    "My strongest skill is explaining technical decisions to people outside engineering",
    "I think good managers listen first and give their team room to make decisions",
    "Last year I trained three junior engineers and two of them now lead their own projects",
)


@dataclass(frozen=True)
class Sample:
    text: str
    voice: str
    path: Path

    @property
    def words(self) -> list[str]:
        return normalize(self.text)


def normalize(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def missing_tool() -> str | None:
    """Why samples cannot be made here, or None."""
    if shutil.which("flite") is None:
        return "flite is not installed (apt-get install flite; `make test` does it as root): no speech samples"
    return None


def sample(text: str, voice: str = "slt") -> Sample:
    """A WAV of `voice` saying `text` (16 kHz, mono, 16-bit), made once."""
    key = hashlib.sha256(f"flite|{voice}|{text}".encode()).hexdigest()[:16]
    path = CACHE / f"{voice}-{key}.wav"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.wav")
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(partial)], check=True, timeout=60)
        partial.replace(path)
    return Sample(text, voice, path)


def samples(voices: tuple[str, ...] = VOICES, sentences: tuple[str, ...] = SENTENCES) -> list[Sample]:
    return [sample(text, voice) for voice in voices for text in sentences]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions turning `reference` into `hypothesis` (Levenshtein over words)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def wer(pairs: list[tuple[list[str], list[str]]]) -> float:
    """Corpus word error rate: all errors over all reference words."""
    return sum(word_errors(ref, hyp) for ref, hyp in pairs) / max(1, sum(len(ref) for ref, _ in pairs))
