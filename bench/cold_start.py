"""Cold start: importing each handler module in a fresh interpreter, against the platform's floor.

The floor is what any Powertools HTTP handler pays before doing anything: importing boto3 and
creating a DynamoDB client, Powertools Logger, Tracer and Metrics, and an
APIGatewayHttpResolver(enable_validation=True). Target: every non-PDF handler <= 1.25x the floor.
Each handler is imported in RUNS fresh interpreters, each run paired with a floor run, and the
median ratio is reported; times are measured inside the interpreter (its own start-up excluded);
bytecode is compiled beforehand, as the layer ships it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
TARGET = 1.25
# Functions that carry the PDF layer (WeasyPrint, pypdf) are measured, not held to the target.
PDF_FUNCTIONS = {"get_session_pdf", "export_report", "share_report", "render_report", "analyse_session"}

FLOOR = """
import time
t = time.perf_counter()
import boto3
boto3.client("dynamodb")
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
Logger(); Tracer(); Metrics()
APIGatewayHttpResolver(enable_validation=True)
print(time.perf_counter() - t)
"""

HANDLER = """
import importlib.util, sys, time
path = sys.argv[1]
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.handler)
print(time.perf_counter() - t)
"""

ENV = {
    # Bytecode is written on the warm-up run and used after, as the layer ships it (whatever the shell says).
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "PANELIST_STAGE": "bench",
    "PANELIST_TABLE": "panelist-bench",
    "PANELIST_BUCKET": "panelist-bench",
    "PANELIST_SECRET_ID": "panelist/bench/keys",
    "POWERTOOLS_SERVICE_NAME": "panelist",
    "POWERTOOLS_METRICS_NAMESPACE": "Panelist",
}


def _seconds(code: str, *args: str, env: dict[str, str] = ENV) -> float:
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _ratio(app: str) -> tuple[float, float]:
    """Median handler/floor ratio over RUNS pairs run back to back (pairing cancels the machine's drift)."""
    _seconds(HANDLER, app)  # compile bytecode once, as the layer ships it
    pairs = [(_seconds(HANDLER, app), _seconds(FLOOR)) for _ in range(RUNS)]
    return statistics.median(h / f for h, f in pairs), statistics.median(h for h, _ in pairs)


def main() -> int:
    _seconds(FLOOR)
    floor = statistics.median(_seconds(FLOOR) for _ in range(RUNS))
    print(f"cold start: platform floor {floor * 1000:.0f} ms (median of {RUNS})")
    worst = 0.0
    for app in sorted(ROOT.glob("functions/*/app.py")):
        name = app.parent.name
        ratio, seconds = _ratio(str(app))
        held = name not in PDF_FUNCTIONS
        worst = max(worst, ratio) if held else worst
        flag = "" if not held else ("ok" if ratio <= TARGET else "OVER TARGET")
        print(f"  {name:28} {seconds * 1000:6.0f} ms  {ratio:4.2f}x floor  {flag}")
    print(f"cold start: worst non-PDF handler {worst:.2f}x the floor (target <= {TARGET}x)")
    with tempfile.TemporaryDirectory() as empty:  # no bytecode anywhere: what a layer without .pyc costs
        no_pyc = {**ENV, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
        app = str(ROOT / "functions/create_organization/app.py")
        cold = statistics.median(_seconds(HANDLER, app, env=no_pyc) for _ in range(3))
        warm = statistics.median(_seconds(HANDLER, app) for _ in range(3))
    print(f"cold start without .pyc (create_organization): {cold * 1000:.0f} ms, {cold / warm:.1f}x slower")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
