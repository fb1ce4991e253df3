"""Applying a change, the one write path: commit it to the pools, write it to the ledger, warn.

    planner.plan(balance, change, at)  →  store.commit (pools, reference, queue, the caller's writes)
                                       →  planner.stamp + store.write_stamp (the ledger, in order)
                                       →  alerts.send (low-balance warnings, after that write)

See `panelist.billing.store` for why a change is two writes. The pools are exact after the first;
the caller then waits for (or does) the second, so it returns the change's ledger entries.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from panelist.billing import alerts, planner, store
from panelist.billing.planner import Change
from panelist.billing.pricing import thresholds
from panelist.core.errors import PaymentRequired
from panelist.core.observability import logger
from panelist.core.storage import ConditionFailed, Item
from panelist.models.billing import Credits, CreditTransaction
from panelist.models.common import now

Clock = Callable[[], datetime]
_ATTEMPTS = 100
_CATCH_UP_ROUNDS = 20
PATIENCE = 3.0  # seconds a caller waits for the oldest queued change's caller to write the ledger
# Seconds a caller waits for (or writes) the ledger before giving up: past PATIENCE, so a stopped caller's
# changes are taken over first, and far inside an API function's 29 s. Each poll is one read and a pause of
# at most 0.2 s. Giving up leaves the change committed to the pools: `apply` answers it from its plan.
SETTLE_SECONDS = 6.0


def _backoff(attempt: int) -> None:
    """After a lost race: wait a little, with jitter, before reading again."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * attempt)))  # noqa: S311 - jitter, not secrets


def _wait(attempt: int) -> None:
    """While another caller writes the ledger: exponential backoff with full jitter, up to 0.2 s."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** min(attempt, 8))))  # noqa: S311 - jitter, not secrets


@dataclass
class Applied:
    """The outcome of one reference: its ledger entries, and the balance after."""

    reference_id: str
    transactions: list[CreditTransaction]
    credits: Credits | None
    duplicate: bool = False

    @property
    def amount(self) -> int:
        return sum(t.amount for t in self.transactions)

    @property
    def shortfall(self) -> int:
        return sum(t.shortfall for t in self.transactions)


def apply(
    organization_id: str,
    reference: str,
    build: Callable[[Credits], Change],
    *,
    extra_ops: Sequence[Item] = (),
    clock: Clock = now,
) -> Applied:
    """Apply the Change `build(balance)` returns, once per reference, and write it to the ledger.

    `extra_ops` commit in the same transaction as the pools; when one of their conditions fails,
    ConditionFailed is raised with the reasons of `extra_ops` only (as if they had been written alone).
    """
    for attempt in range(_ATTEMPTS):
        if attempt:
            _backoff(attempt)
        done, credits = store.reference_and_balance(organization_id, reference)
        if done is not None:
            return _existing(organization_id, done, clock)
        if credits is None:  # an organization stored without going through create_organization
            raise PaymentRequired("This organization has no credits; top up first")
        plan = planner.plan(credits, build(credits), clock(), reference=reference)
        try:
            store.commit(plan, extra_ops)
        except (store.LostRace, store.Duplicate):
            continue  # the pools moved (or the reference was just applied): read again
        try:
            return _settle(organization_id, reference, plan.pending.key, clock)
        except Exception:  # the change stands: its entries are written by the next change or read of the ledger
            logger.exception("credit change committed, ledger not written yet", organization_id=organization_id)
            return Applied(reference, list(plan.entries), plan.after)
    raise ConditionFailed(["TransactionConflict"])


def _existing(organization_id: str, done: store.Reference, clock: Clock) -> Applied:
    if done.pending:  # committed, not in the ledger yet (its caller is writing it, or stopped): wait or write
        applied = _settle(organization_id, done.reference, None, clock)
        applied.duplicate = True
        return applied
    return Applied(done.reference, list(done.entries), store.get_credits(organization_id), duplicate=True)


def _settle(organization_id: str, reference: str, key: str | None, clock: Clock) -> Applied:
    """Wait for, or write, the ledger entries of `reference` (committed to the pools, queued at `key`).

    The caller whose change is the oldest one queued writes every queued change to the ledger at once;
    the others wait for it and find theirs written, so concurrent callers do not race for the ledger
    head. Waiting is a poll of the oldest queued change (one item, with jitter): when it is younger
    than ours, ours is written. A caller that sees the oldest stay the same for PATIENCE (its caller
    may have stopped) writes the ledger itself: the head's condition keeps that safe either way.
    Waiting is bounded in time, not in polls: after SETTLE_SECONDS it gives up with ConditionFailed.
    """
    progress, oldest = time.monotonic(), None
    deadline = progress + SETTLE_SECONDS
    state: store.State | None = store.load(organization_id)  # then only the oldest queued change, while waiting
    attempt = 0
    while attempt == 0 or time.monotonic() < deadline:
        if state is None:
            found = store.oldest_pending(organization_id)
            oldest_key = found.key if found else None
        else:
            key = key or next((p.key for p in state.pending if p.reference == reference), "")
            oldest_key = state.pending[0].key if state.pending else None
        if not key or oldest_key is None or oldest_key > key:  # ours is in the ledger
            return _written(organization_id, reference, state)
        if oldest_key != oldest:
            progress, oldest = time.monotonic(), oldest_key
        if oldest_key == key or time.monotonic() - progress > PATIENCE:
            state = state or store.load(organization_id)
            stamp = _write_ledger(state, clock)
            if stamp is not None and reference in stamp.written:
                return Applied(reference, list(stamp.written[reference]), state.merged(stamp.head))
        _wait(attempt)
        attempt += 1
        state = None
    raise ConditionFailed(["TransactionConflict"])


def _written(organization_id: str, reference: str, state: store.State | None) -> Applied:
    """A reference's entries as the ledger has them, and the balance."""
    done = store.reference(organization_id, reference)
    credits = state.merged() if state else store.get_credits(organization_id)
    return Applied(reference, list(done.entries) if done else [], credits)


def _write_ledger(state: store.State, clock: Clock) -> planner.Stamp | None:
    """Write the queued changes of `state` to the ledger, then send their warnings; None if another caller did."""
    assert state.credits is not None
    stamp = planner.stamp(
        state.ledger_head,
        state.pending,
        clock(),
        thresholds(),
        organization_name=state.credits.organization_name,
        budget=store.STAMP_BUDGET,
    )
    if not stamp.consumed:
        return None  # a debit whose credit this read did not see yet: the next read will
    try:
        store.write_stamp(state, stamp)
    except store.LostRace:
        return None
    alerts.send(stamp.crossings)  # after the write committed, never inside it
    return stamp


def catch_up(organization_id: str, clock: Clock = now) -> None:
    """Write to the ledger whatever is queued (left by a caller that stopped before writing it).

    A few rounds at most: with changes still coming, their own callers write them.
    """
    for attempt in range(_CATCH_UP_ROUNDS):
        state = store.load(organization_id)
        if not state.pending:
            return
        if _write_ledger(state, clock) is None:
            _backoff(attempt + 1)
