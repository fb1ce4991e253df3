"""Credits on `panelist serve --demo`: the monthly reset fired through `panelist schedule run`."""

import json
import subprocess
import sys
from datetime import datetime, timedelta

from tests.functions.harness import ROOT


def _schedule_run(served, *args):
    command = [
        sys.executable,
        "-m",
        "panelist_local.cli",
        "schedule",
        "run",
        *args,
        "--state-file",
        served["state_file"],
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_monthly_reset_runs_through_panelist_schedule_run(client, served):
    key = {"Authorization": f"Bearer {served['demo']['admin_key']}"}
    before = client.request("GET", "/api/billing/credits", headers=key).json
    due = datetime.fromisoformat(before["monthly_credits_reset_at"])

    early = _schedule_run(served, "MonthlyCreditsReset", "--at", (due - timedelta(hours=1)).isoformat())
    assert early.returncode == 0, early.stderr
    assert served["demo"]["organization_id"] not in early.stdout

    run = _schedule_run(served, "MonthlyCreditsReset", "--at", (due + timedelta(minutes=30)).isoformat())
    assert run.returncode == 0, run.stderr
    assert served["demo"]["organization_id"] in json.dumps(json.loads(run.stdout))
    after = client.request("GET", "/api/billing/credits", headers=key).json
    assert after["monthly_credits"] == after["monthly_credits_amount"]
    assert datetime.fromisoformat(after["monthly_credits_reset_at"]) > due

    again = _schedule_run(served, "MonthlyCreditsReset", "--at", (due + timedelta(hours=1)).isoformat())
    assert served["demo"]["organization_id"] not in again.stdout  # once a month
    bad = _schedule_run(served, "MonthlyCreditsReset", "--at", "next tuesday")
    assert bad.returncode == 1
