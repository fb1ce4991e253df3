"""Credits on `panelist serve --demo`: the monthly reset fired through `panelist schedule run`."""

import json
import subprocess
import sys
from datetime import datetime, timedelta

from panelist.billing import stripe
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


def _stripe_delivery(served, event: dict, *, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A delivery of the Stripe webhook as Stripe makes it, signed with the secret `panelist serve` printed."""
    payload = json.dumps(event, indent=2).encode()
    header = stripe.signature_header(served["stripe_webhook_secret"], payload, at)
    return payload, {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}


def test_only_the_operator_and_stripe_top_up(client, served, platform_admin):
    organization_id = served["demo"]["organization_id"]
    admin = {"Authorization": f"Bearer {served['demo']['admin_key']}"}
    balance = client.request("GET", "/api/billing/credits", headers=admin).json["topup_credits"]
    body = {"organization_id": organization_id, "credits": 100, "payment_reference": "e2e-manual-1"}

    refused = client.request("POST", "/api/billing/topups", body=body, headers=admin)
    assert refused.status == 403
    assert refused.json["error"]["code"] == "FORBIDDEN"
    recorded = client.request("POST", "/api/billing/topups", body=body, headers=platform_admin)
    assert recorded.status == 201, recorded.json

    event = {
        "id": "evt_e2e_checkout_1",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_e2e_1",
                "object": "checkout.session",
                "payment_status": "paid",
                "payment_intent": "pi_e2e_1",
                "amount_total": 4900,
                "currency": "eur",
                "metadata": {"organization_id": organization_id, "credits": "1000"},
            }
        },
    }
    payload, headers = _stripe_delivery(served, event)
    credited = client.request("POST", "/api/billing/stripe/webhook", raw=payload, headers=headers)  # no API key
    assert credited.status == 200, credited.json
    assert credited.json["outcome"] == "credited"
    assert client.request("POST", "/api/billing/stripe/webhook", raw=payload, headers=headers).json["outcome"] == (
        "already_credited"
    )
    tampered = client.request(
        "POST", "/api/billing/stripe/webhook", raw=payload.replace(b'"1000"', b'"9000"'), headers=headers
    )
    assert tampered.status == 400
    assert tampered.json["error"]["details"]["field"] == "Stripe-Signature"

    after = client.request("GET", "/api/billing/credits", headers=admin).json["topup_credits"]
    assert after == balance + 100 + 1000
    summary = client.request("GET", "/api/admin/credits/summary", headers=platform_admin).json
    assert "pi_e2e_1" in {t["paymentIntentId"] for t in summary["recentTransactions"]}
