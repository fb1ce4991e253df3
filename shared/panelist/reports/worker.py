"""A render worker (see panelist.reports.workers): HTML documents in on stdin, PDFs out on stdout, until EOF.

Run as `python -m panelist.reports.worker`. Frames are a kind byte, a big-endian length and the payload;
at end of input the worker sends its peak resident memory and exits.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from panelist.reports.pdf import render_pdf
from panelist.reports.workers import FAILED, OK, STATS, read_frame, write_frame


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the frame stream
    while (frame := read_frame(source)) is not None:
        try:
            pdf = render_pdf(frame[1].decode())
        except Exception:  # the parent reports it; the worker stays usable
            write_frame(sink, FAILED, traceback.format_exc(limit=3).encode())
            continue
        write_frame(sink, OK, pdf)
    write_frame(sink, STATS, str(peak_rss()).encode())


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM). Not ru_maxrss: Linux carries the parent's
    peak over into a child it starts, so every worker would report its parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
