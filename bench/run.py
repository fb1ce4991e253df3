"""Run every benchmark and print its figures (`make bench`); exit non-zero if one misses its target."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import billing_contention
import cold_start
import generation
import idle_cpu
import list_reads
import reports
import sam_build
import serve_ready
import speech

if __name__ == "__main__":
    raise SystemExit(
        max(
            [
                cold_start.main(),
                serve_ready.main(),
                idle_cpu.main(),
                generation.main(),
                list_reads.main(),
                reports.main(),
                billing_contention.main(),
                sam_build.main(),
                speech.main(),
            ]
        )
    )
