"""Billing contention: 50 session completions at once on one organization, attempts per charge.

Each completion does what `panelist.sessions.lifecycle` does: the session's conditional status change
committed in the same transaction as its charge (`credits.charge(..., partial=True, extra_ops=...)`),
50 threads released together against emulated DynamoDB (moto, in-process, with the emulator's
request serialisation). Every DynamoDB call is counted with botocore event hooks, so the figures do
not depend on the code measured: attempts are TransactWriteItems calls, lost races the ones
cancelled. The same run is made on the billing code before issue 12 (commit BEFORE, exported with
`git archive` into a temporary directory, in a subprocess) and on this tree. Figures are printed,
never asserted: the run fails only if the balance or the ledger come out wrong.

    python bench/billing_contention.py            # before and after
    python bench/billing_contention.py --tree .   # one tree only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "bf336ae"  # the last commit with the single versioned balance item (billing/credits.py)
COMPLETIONS = 50
MINUTES = 10  # each session is billed 10 minutes (100 credits): 50 x 100 of the 6,000 a professional plan starts with


SCENARIOS = {
    # A new professional organization: 1,000 starter credits cover the first 10 completions, the rest
    # are charged to the monthly pool, so some charges race for the starter pool's last credits.
    "across pools": False,
    # The starter pool spent first: every completion is charged to the monthly pool.
    "one pool": True,
}


def measure(tree: Path) -> dict[str, dict[str, Any]]:
    """Run the 50 completions with the `panelist` package of `tree`, in each scenario; the counts."""
    sys.path[:0] = [str(tree / "shared"), str(tree / "local"), str(ROOT)]
    from moto import mock_aws

    import tests.conftest  # noqa: F401 - the offline test environment: emulated AWS, never a real account
    from panelist.accounts.organizations import create_organization
    from panelist.billing import credits
    from panelist.core import aws
    from panelist.core.storage import org_pk, table, update_op
    from panelist.models.billing import ChargeKind
    from panelist.models.common import now
    from panelist.models.organizations import OrganizationCreate, Plan
    from panelist_local.emulator import provision
    from panelist_local.template import Template

    assert Path(credits.__file__).is_relative_to(tree), credits.__file__
    calls: Counter[str] = Counter()
    lock = threading.Lock()
    counting = threading.Event()
    kind = threading.local()

    def count(name: str) -> None:
        if counting.is_set():
            with lock:
                calls[name] += 1

    def before_transaction(params: dict[str, Any], **_: Any) -> None:
        keys = [next(iter(op.values())).get("Key") or next(iter(op.values()))["Item"] for op in params["TransactItems"]]
        kind.value = "ledger" if any(key["SK"]["S"] == "CREDITS#LEDGER" for key in keys) else "charge"
        count(f"{kind.value} writes")

    def after_transaction(parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get("Error", {}).get("Code") == "TransactionCanceledException":
            count(f"{kind.value} lost")

    def run(spend_starter: bool) -> dict[str, Any]:
        org = create_organization(OrganizationCreate(name="Bench Recruiting", plan=Plan.professional))
        for n in range(COMPLETIONS):
            table().put({"PK": org_pk(org.id), "SK": f"BENCHSESSION#{n}", "status": "in_progress"})
        if spend_starter:
            starter = credits.get_credits(org.id)
            assert starter is not None
            credits.charge(org.id, starter.starter, kind=ChargeKind.session, reference="spend", description="spend")
        start = credits.get_credits(org.id)
        assert start is not None
        amount = credits.price("session_minute", MINUTES)
        gate = threading.Barrier(COMPLETIONS)

        def complete(n: int) -> None:
            status = update_op(
                org_pk(org.id),
                f"BENCHSESSION#{n}",
                "SET #s = :done",
                condition="#s = :active",
                names={"#s": "status"},
                done="completed",
                active="in_progress",
            )
            gate.wait()  # all 50 at once
            credits.charge(
                org.id,
                amount,
                kind=ChargeKind.session,
                reference=f"session:bench-{n}",
                description=f"Interview session: {MINUTES} min",
                partial=True,
                extra_ops=[status],
            )

        calls.clear()
        counting.set()
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=COMPLETIONS) as pool:
            list(pool.map(complete, range(COMPLETIONS)))
        seconds = time.perf_counter() - began
        counting.clear()  # what follows checks the outcome; it is not counted

        after = credits.get_credits(org.id)
        assert after is not None
        today = now().date()
        entries = credits.ledger(org.id, today - timedelta(days=1), today + timedelta(days=1))
        charged = [e for e in entries if e.reference_id.startswith("session:bench-")]
        exact = (
            after.total == start.total - COMPLETIONS * amount
            and sum(e.amount for e in entries) == after.total
            and entries[-1].balance_after == after.total
            and len({e.reference_id for e in charged}) == COMPLETIONS
            and all(e.balance_after >= 0 for e in entries)
            and all(
                item["status"] == "completed" for item in table().query(org_pk(org.id), prefix="BENCHSESSION#").items
            )
        )
        return {
            "completions": COMPLETIONS,
            "attempts": calls["charge writes"] + calls["ledger writes"],
            "charge_writes": calls["charge writes"],
            "ledger_writes": calls["ledger writes"],
            "lost_races": calls["charge lost"] + calls["ledger lost"],
            "charge_lost": calls["charge lost"],
            "ledger_lost": calls["ledger lost"],
            "requests": sum(n for name, n in calls.items() if name.startswith("calls:")),
            "by_call": {name[6:]: n for name, n in sorted(calls.items()) if name.startswith("calls:")},
            "seconds": round(seconds, 2),
            "exact": exact,
        }

    with mock_aws():
        aws.reset()
        provision(Template.load(tree / "template.yaml", {"Stage": "test"}, local=True))
        events = aws.client("dynamodb").meta.events
        events.register("before-call.dynamodb", lambda model, **_: count(f"calls:{model.name}"))
        events.register("provide-client-params.dynamodb.TransactWriteItems", before_transaction)
        events.register("after-call.dynamodb.TransactWriteItems", after_transaction)
        return {name: run(spend_starter) for name, spend_starter in SCENARIOS.items()}


def _run(tree: Path) -> dict[str, dict[str, Any]]:
    """`measure` in a fresh interpreter, so each tree imports its own `panelist`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "shared"), str(tree / "local"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(tree)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _export(revision: str, into: Path) -> bool:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=False)
    if archive.returncode:
        return False
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return True


def _line(label: str, r: dict[str, Any]) -> str:
    n = r["completions"]
    parts = (
        f" ({r['charge_writes']} charge writes, {r['charge_lost']} lost; "
        f"{r['ledger_writes']} ledger writes, {r['ledger_lost']} lost)"
        if r["ledger_writes"]
        else ""
    )
    return (
        f"  {label:22} {r['attempts']:3d} transactions, {r['lost_races']:3d} lost races{parts}\n"
        f"  {'':22} {r['attempts'] / n:.2f} attempts and {r['lost_races'] / n:.2f} lost races per charge; "
        f"{r['requests'] / n:.1f} DynamoDB requests per charge {dict(r['by_call'])}; {r['seconds']:.2f} s; "
        f"balance and ledger {'exact' if r['exact'] else 'WRONG'}"
    )


def main(trees: list[tuple[str, Path]] | None = None) -> int:
    print(f"billing contention: {COMPLETIONS} session completions at once, charging one organization")
    exact = True
    with tempfile.TemporaryDirectory() as scratch:
        if trees is None:
            trees = []
            if _export(BEFORE, Path(scratch)):
                trees.append((f"before ({BEFORE})", Path(scratch)))
            else:
                print(f"  before: not measured (git archive {BEFORE} failed)")
            trees.append(("after", ROOT))
        for label, tree in trees:
            for scenario, result in _run(tree).items():
                print(_line(f"{label.split()[0]}, {scenario}", result))
                exact = exact and result["exact"]
    return 0 if exact else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help="measure only this tree")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure.resolve())))
        raise SystemExit(0)
    raise SystemExit(main([(str(args.tree), args.tree.resolve())] if args.tree else None))
