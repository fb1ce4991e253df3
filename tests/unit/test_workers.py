"""The render worker pool: documents rendered in worker processes come back as PDFs, in order."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from panelist.reports import workers
from panelist.reports.workers import PoolStats, render_all, render_beside


def _texts(pdfs: list[bytes]) -> list[str]:
    return [(PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or "").strip() for pdf in pdfs]


def test_many_documents_render_in_worker_processes_in_order(monkeypatch):
    monkeypatch.setattr(workers, "worker_count", lambda documents: 2)  # whatever this machine's CPUs
    documents = [f"<p>Result {n}</p>" for n in range(6)]
    stats = PoolStats()
    pdfs = render_all(documents, stats=stats)
    assert _texts(pdfs) == [f"Result {n}" for n in range(6)]
    assert stats.workers == 2
    assert len(stats.peak_rss) == 2
    assert all(0 < rss < 256 * 1024 * 1024 for rss in stats.peak_rss)  # each worker holds one document at a time


def test_a_few_documents_render_here_without_starting_workers(monkeypatch):
    monkeypatch.setattr(workers, "worker_count", lambda documents: 2)
    stats = PoolStats()
    assert _texts(render_all(["<p>One</p>", "<p>Two</p>"], stats=stats)) == ["One", "Two"]
    assert stats.workers == 0


FORKED_COVER = """
import io, os, sys
import tests.conftest
from pypdf import PdfReader
from panelist.reports.workers import render_beside
forks = []
real_fork = os.fork
os.fork = lambda: forks.append(1) or real_fork()
pending = render_beside("<h1>Cover page</h1>")
pdf = pending()
print(len(forks), PdfReader(io.BytesIO(pdf)).pages[0].extract_text().strip())
"""


def test_a_cover_renders_in_a_fork_of_a_single_threaded_process_beside_the_merge():
    # As in a Lambda invocation (one thread); the test process itself runs xdist's threads, so ask a fresh one.
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", FORKED_COVER], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip().split(maxsplit=1) == ["1", "Cover page"]


def test_with_other_threads_running_the_cover_renders_in_this_process(monkeypatch):
    monkeypatch.setattr(workers.threading, "active_count", lambda: 3)
    monkeypatch.setattr(workers.os, "fork", lambda: pytest.fail("forked with threads running"))
    assert _texts([render_beside("<p>Cover</p>")()]) == ["Cover"]
