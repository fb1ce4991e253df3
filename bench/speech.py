"""Offline speech recognition (PocketSphinx) on flite's voices: word error rate and real-time factor.

Speaks tests/speech_data.SENTENCES with each flite voice (cached in .tools/speech/), transcribes every WAV with
the offline engine (the code path of `panelist transcribe`), and prints a table per voice, then the figures as
JSON. Real-time factor = decoding seconds / audio seconds (under 1: faster than the audio plays), twice: on the
wall clock (what a caller waits, which other load on the machine inflates) and in CPU seconds of the decoding
thread (what one free core would take; the figure TARGET_RTF gates). Exits 1 if the overall WER is above
TARGET_WER or the CPU RTF above TARGET_RTF.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from panelist.interviews.speech import offline
from tests.speech_data import VOICES, missing_tool, normalize, samples, wer, word_errors

TARGET_WER = 0.20
TARGET_RTF = 1.0


def main() -> int:
    reason = missing_tool() or (None if offline.available() else "pocketsphinx is not installed")
    if reason:
        print(f"speech: skipped ({reason})")
        return 0
    recognizer = offline.OfflineRecognizer()
    recognizer.transcribe(samples(VOICES[:1])[0].path, content_type="audio/wav", language="en")  # load the model
    rows, pairs_all, audio_all, busy_all, cpu_all = [], [], 0.0, 0.0, 0.0
    right_confidences: list[float] = []
    wrong_confidences: list[float] = []
    for voice in VOICES:
        pairs, audio, busy, cpu = [], 0.0, 0.0, 0.0
        for item in samples((voice,)):
            started, cpu_started = time.perf_counter(), time.thread_time()
            transcript = recognizer.transcribe(item.path, content_type="audio/wav", language="en")
            busy += time.perf_counter() - started
            cpu += time.thread_time() - cpu_started
            audio += transcript.duration_seconds or 0
            hypothesis = normalize(transcript.text)
            pairs.append((item.words, hypothesis))
            reference = set(item.words)
            for word in transcript.words:
                if word.confidence is not None:
                    (right_confidences if word.word in reference else wrong_confidences).append(word.confidence)
        errors = sum(word_errors(ref, hyp) for ref, hyp in pairs)
        words = sum(len(r) for r, _ in pairs)
        rows.append(
            {"voice": voice, "files": len(pairs), "words": words, "errors": errors, "wer": round(wer(pairs), 4),
             "audio_s": round(audio, 1), "rtf": round(busy / audio, 3), "cpu_rtf": round(cpu / audio, 3)}
        )  # fmt: skip
        pairs_all += pairs
        audio_all += audio
        busy_all += busy
        cpu_all += cpu
    overall = {"wer": round(wer(pairs_all), 4), "rtf": round(busy_all / audio_all, 3),
               "cpu_rtf": round(cpu_all / audio_all, 3), "audio_s": round(audio_all, 1),
               "mean_confidence_right_words": round(sum(right_confidences) / max(1, len(right_confidences)), 3),
               "mean_confidence_wrong_words": round(sum(wrong_confidences) / max(1, len(wrong_confidences)), 3),
               "model": offline.model_name(), "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}  # fmt: skip
    print(f"{'voice':<7}{'files':>6}{'words':>7}{'errors':>8}{'WER':>8}{'audio s':>9}{'RTF':>7}{'CPU RTF':>9}")
    for row in rows:
        print(f"{row['voice']:<7}{row['files']:>6}{row['words']:>7}{row['errors']:>8}{row['wer']:>8.1%}"
              f"{row['audio_s']:>9}{row['rtf']:>7.2f}{row['cpu_rtf']:>9.2f}")  # fmt: skip
    print(f"{'all':<7}{len(pairs_all):>6}{sum(len(r) for r, _ in pairs_all):>7}{'':>8}{overall['wer']:>8.1%}"
          f"{overall['audio_s']:>9}{overall['rtf']:>7.2f}{overall['cpu_rtf']:>9.2f}")  # fmt: skip
    print(json.dumps({"speech_offline": {"voices": rows, "overall": overall}}))
    return int(overall["wer"] > TARGET_WER or overall["cpu_rtf"] > TARGET_RTF)


if __name__ == "__main__":
    raise SystemExit(main())
