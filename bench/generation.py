"""Interview generation on the local runtime with the offline provider: POST → completed, median of RUNS.

Measures what a client waits for: from POST /api/v2/ai-interviews/generate-interview until
GET /api/v2/task-executions/status/{job_id} says completed (polling every 20 ms), with the whole
Step Functions workflow (analyse, Map over skills, assemble, persist) run from its ASL.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request

from serve_ready import serving, wait_until_answering

RUNS = 10
SEED = {
    "job_role": "Senior Python Developer",
    "job_description": "We are looking for a Senior Python Developer with 5+ years of experience in Django, Flask, "
    "and FastAPI. The candidate should have strong knowledge of databases, REST APIs, and cloud technologies. "
    "Experience with Docker, Kubernetes, and CI/CD pipelines is preferred.",
}


def _call(state: dict, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        state["base_url"] + path,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"apiKey": state["demo"]["member_key"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def one_job(state: dict) -> float:
    started = time.perf_counter()
    job_id = _call(state, "POST", "/api/v2/ai-interviews/generate-interview", SEED)["job_id"]
    while (status := _call(state, "GET", f"/api/v2/task-executions/status/{job_id}")["status"]) != "completed":
        if status == "failed" or time.perf_counter() - started > 120:
            raise RuntimeError(f"job {job_id} ended {status}")
        time.sleep(0.02)
    return time.perf_counter() - started


def main() -> int:
    with serving() as (state_file, process):
        wait_until_answering(state_file, process, time.perf_counter())
        state = json.loads(state_file.read_text())
        one_job(state)  # warm: first imports of the task handlers
        times = [one_job(state) for _ in range(RUNS)]
    print(
        f"generation POST -> completed (offline provider, local runtime): median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, {RUNS} jobs after one warm-up)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
