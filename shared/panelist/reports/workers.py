"""HTML documents to PDF in parallel: a pool of worker processes, each rendering one document at a time.

WeasyPrint holds the GIL and a 50-result document costs hundreds of MB in one process, so a combined
export renders every result as its own document in worker processes (one per CPU) and merges the PDFs.
Workers are plain subprocesses talking over pipes (`python -m panelist.reports.worker`): Lambda has no
/dev/shm, so multiprocessing's pools and queues do not work there. A worker's memory stays that of one
result, whatever the size of the export.
"""

from __future__ import annotations

import os
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

MAX_WORKERS = 6  # Lambda's largest size has 6 vCPUs
# Starting a worker (Python, WeasyPrint, fontconfig) costs about a second, three documents' rendering:
# fewer documents than this render faster in this process.
POOL_MIN_DOCUMENTS = 4
_LENGTH = struct.Struct(">Q")
OK, FAILED, STATS = b"o", b"f", b"s"


class RenderError(RuntimeError):
    """A worker could not render a document."""


@dataclass
class PoolStats:
    """What a run cost: workers started and each one's peak resident memory (bytes)."""

    workers: int = 0
    peak_rss: list[int] = field(default_factory=list)


def write_frame(stream: IO[bytes], kind: bytes, payload: bytes) -> None:
    stream.write(kind + _LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    header = stream.read(1 + _LENGTH.size)
    if len(header) < 1 + _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header[1:])
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return header[:1], payload


def worker_count(documents: int) -> int:
    """Workers worth starting: one per CPU this process may use, never more than there are documents."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(documents, cpus, MAX_WORKERS))


def _worker_environment() -> dict[str, str]:
    """This process's environment, with its import path: on Lambda, the layers' /opt/python folders are put
    on sys.path by the runtime's bootstrap, not by PYTHONPATH, so a plain child could not import panelist."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}


def render_all(documents: Sequence[str], *, stats: PoolStats | None = None) -> list[bytes]:
    """Every document as a PDF, in order. A few documents, or one CPU, render here without a worker."""
    workers = worker_count(len(documents))
    if workers <= 1 or len(documents) < POOL_MIN_DOCUMENTS:
        from panelist.reports.pdf import render_pdf

        return [render_pdf(document) for document in documents]
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(documents)):
        todo.put(index)
    results: list[bytes | None] = [None] * len(documents)
    errors: list[str] = []
    stats = stats if stats is not None else PoolStats()
    stats.workers = workers

    def run() -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "panelist.reports.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_worker_environment(),
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            while not errors:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    break
                write_frame(process.stdin, OK, documents[index].encode())
                frame = read_frame(process.stdout)
                if frame is None or frame[0] != OK:
                    errors.append(frame[1].decode(errors="replace") if frame else "the worker exited")
                    break
                results[index] = frame[1]
            process.stdin.close()  # no more work: the worker reports its peak memory and exits
            frame = read_frame(process.stdout)
            if frame is not None and frame[0] == STATS:
                stats.peak_rss.append(int(frame[1]))
        finally:
            process.stdout.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    threads = [threading.Thread(target=run, name=f"render-worker-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RenderError(errors[0])
    if any(result is None for result in results):
        raise RenderError("a document was not rendered")
    return [result for result in results if result is not None]


def render_beside(document: str) -> Callable[[], bytes]:
    """Start rendering `document` while this process goes on; call the result to get the PDF.

    WeasyPrint and pypdf both hold the GIL, so a thread would not overlap a cover's rendering with the
    merge. A fork of this process (WeasyPrint already loaded, fonts already read) renders it instead,
    when that is safe: only where no other thread runs (a Lambda invocation), since a fork copies locks
    that other threads may hold. Elsewhere the document is rendered here, at once.
    """
    from panelist.reports.pdf import render_pdf

    if not hasattr(os, "fork") or threading.active_count() > 1:
        pdf = render_pdf(document)
        return lambda: pdf
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, hand the bytes over, leave without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                write_frame(out, OK, render_pdf(document))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> bytes:
        with os.fdopen(read_end, "rb") as source:
            frame = read_frame(source)
        _, status = os.waitpid(pid, 0)
        if frame is None or status != 0:
            raise RenderError("the cover could not be rendered")
        return frame[1]

    return result
