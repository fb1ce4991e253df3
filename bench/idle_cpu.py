"""CPU that `panelist serve --demo` uses while nothing happens, as a fraction of one core.

Two windows of SECONDS each, from /proc/<pid>/stat (user + system time of the whole process):
  idle       started, demo data loaded, no request, nothing queued;
  retrying   a webhook receiver that answers 503 to everything has a generation job's status webhooks
             queued (one destination: one FIFO message group), retried with backoff while the window runs.
Target: <= TARGET of a core in both (an idle server is idle; retries wait out their backoff without polling).
Linux only (/proc).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from generation import SEED
from serve_ready import serving, wait_until_answering

SECONDS = 30.0
SETTLE = 5.0  # after start: the first handler imports, the demo's own background work
TARGET = 0.05
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - read once
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def share_of_a_core(pid: int, seconds: float = SECONDS) -> float:
    cpu, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / (time.monotonic() - started)


class FailingReceiver(ThreadingHTTPServer):
    """Answers every webhook 503; counts them."""

    def __init__(self) -> None:
        self.attempts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.attempts += 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/status"


def main() -> int:
    receiver = FailingReceiver()
    with serving() as (state_file, process):
        wait_until_answering(state_file, process, time.perf_counter())
        state = json.loads(state_file.read_text())
        time.sleep(SETTLE)
        idle = share_of_a_core(process.pid)
        request = urllib.request.Request(
            state["base_url"] + "/api/v2/ai-interviews/generate-interview",
            method="POST",
            data=json.dumps({**SEED, "notification_url": receiver.url}).encode(),
            headers={"apiKey": state["demo"]["member_key"], "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).close()
        while receiver.attempts < 2:  # retries under way: the first status webhook has failed twice
            time.sleep(0.05)
        retrying = share_of_a_core(process.pid)
    receiver.shutdown()
    print(
        f"serve --demo CPU: idle {idle:.3f} of a core, with a failing webhook receiver {retrying:.3f} "
        f"({receiver.attempts} attempts; {SECONDS:.0f} s windows; target <= {TARGET})"
    )
    return 0 if max(idle, retrying) <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
