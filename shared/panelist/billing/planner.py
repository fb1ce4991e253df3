"""The credit planner: pure functions from a balance and a change to what gets written. No I/O.

Two steps, both pure:

* `plan(credits, change, at, reference=...)`: which pools change by how much, on what condition on
  the pools (the write holds only while the plan does), the ledger entries, the balance after.
* `stamp(head, pending, at, thresholds)`: committed changes put in the ledger in one order. Every
  entry gets its place (`seq`) and the total balance after it (`balance_after`), and low-balance
  crossings are decided in that order, so each one is seen once however the changes interleaved.

Pools are charged starter → monthly → top-up and never go below zero. Amounts are integer tenths of
a credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from panelist.billing.pricing import Thresholds, show
from panelist.core import times
from panelist.core.errors import PaymentRequired
from panelist.models.billing import (
    ChargeKind,
    Credits,
    CreditTransaction,
    LedgerHead,
    Pool,
    Severity,
    TransactionType,
)
from panelist.models.common import new_id

ORDER = (Pool.starter, Pool.monthly, Pool.topup)
SETTABLE = frozenset({"monthly_amount", "monthly_reset_at"})  # what a change may set on the balance besides pools
CLOCK_SKEW = timedelta(seconds=5)  # how far apart the clocks of two callers may be
RANK: dict[Severity | None, int] = {None: 0, Severity.info: 0, Severity.warning: 1, Severity.critical: 2}


# ------------------------------------------------------------------ changes


@dataclass
class Change:
    """What one reference does to a balance: a delta per pool, and how its ledger entries read.

    `exact`: the pools it changes must still hold exactly what was read (a reset sets a pool to a value;
    a charge only needs enough). `sets`: other attributes of the balance (see SETTABLE).
    """

    type: TransactionType
    description: str
    deltas: dict[Pool, int]
    kind: ChargeKind | None = None
    payment_reference: str | None = None
    shortfall: int = 0
    sets: dict[str, Any] = field(default_factory=dict)
    exact: bool = False


def split(credits: Credits, amount: int) -> dict[Pool, int]:
    """Take `amount` (at most the balance) from the pools in order: starter, monthly, top-up."""
    deltas: dict[Pool, int] = {}
    left = amount
    for pool in ORDER:
        taken = min(left, credits.pool(pool))
        if taken:
            deltas[pool] = -taken
            left -= taken
    return deltas


def charge(credits: Credits, amount: int, *, kind: ChargeKind, description: str, partial: bool = False) -> Change:
    """Charge `amount` starter → monthly → top-up.

    Without `partial`, a balance that cannot cover it is PaymentRequired. With `partial` (the work is
    done), what the balance holds is taken and the rest is the entry's shortfall.
    """
    if amount < 0:
        raise ValueError("a charge is not negative")
    if credits.total < amount and not partial:
        raise PaymentRequired(
            f"Insufficient credits: this costs {show(amount)} credits and the balance is {show(credits.total)}",
            expected=f"at least {show(amount)} credits",
        )
    taken = min(amount, credits.total)
    return Change(TransactionType.charge, description, split(credits, taken), kind=kind, shortfall=amount - taken)


def grant(pool: Pool, amount: int, description: str, *, type: TransactionType = TransactionType.grant) -> Change:
    return Change(type, description, {pool: amount})


def purchase(amount: int, description: str, payment_reference: str) -> Change:
    return Change(TransactionType.purchase, description, {Pool.topup: amount}, payment_reference=payment_reference)


def refund(charged: Sequence[CreditTransaction], description: str) -> Change:
    """Give back what a charge took, to the pools it came from."""
    deltas: dict[Pool, int] = {}
    for entry in charged:
        deltas[entry.pool] = deltas.get(entry.pool, 0) - entry.amount
    return Change(TransactionType.refund, description, deltas, kind=charged[0].kind if charged else None)


def monthly_reset(credits: Credits, allowance: int, next_reset: datetime) -> Change:
    """Set the monthly pool back to the plan's allowance (unused credits do not carry over)."""
    return Change(
        TransactionType.monthly_reset,
        f"Monthly credits reset to {show(allowance):,} ({credits.plan.value} plan)",
        {Pool.monthly: allowance - credits.monthly},
        sets={"monthly_amount": allowance, "monthly_reset_at": next_reset},
        exact=True,
    )


# ------------------------------------------------------------------ plans


class Op(StrEnum):
    at_least = ">="
    exactly = "="


@dataclass(frozen=True)
class Condition:
    """What a pool must hold for a plan to apply (DynamoDB checks it in the same write)."""

    op: Op
    value: int

    def holds(self, amount: int) -> bool:
        return amount >= self.value if self.op is Op.at_least else amount == self.value


@dataclass(frozen=True)
class Pending:
    """A change committed to the pools, waiting for its place in the ledger."""

    reference: str
    entries: tuple[CreditTransaction, ...]
    key: str  # its place in the queue: when it was planned, then its first entry's id

    @property
    def net(self) -> int:
        return sum(e.amount for e in self.entries)

    @property
    def debit(self) -> bool:
        return any(e.amount < 0 for e in self.entries)


@dataclass(frozen=True)
class Plan:
    """What to write for one reference: deltas on conditions, ledger entries, and the balance after.

    The entries' `balance_after` is what it is if nothing else happens in between; `stamp` sets it for
    good when the change takes its place in the ledger.
    """

    reference: str
    at: datetime
    deltas: dict[Pool, int]
    conditions: dict[Pool, Condition]
    shortfall: int
    sets: dict[str, Any]
    entries: tuple[CreditTransaction, ...]
    before: Credits
    after: Credits

    @property
    def organization_id(self) -> str:
        return self.before.organization_id

    @property
    def pending(self) -> Pending:
        return Pending(self.reference, self.entries, f"{times.sortable(self.at)}#{self.entries[0].id}")

    def holds(self, credits: Credits) -> bool:
        """Whether the plan still applies to `credits` (as DynamoDB will decide, in the write)."""
        return all(condition.holds(credits.pool(pool)) for pool, condition in self.conditions.items())


def _conditions(credits: Credits, deltas: Mapping[Pool, int], exact: bool) -> dict[Pool, Condition]:
    """The pools as read that a plan relies on; nothing else may change them in between.

    A charge relies on the pools it empties (and on the empty ones before them, so the order holds)
    still holding what was read, and on the last pool it takes from still holding enough. Credits
    rely on nothing: concurrent charges and credits all apply, as atomic additions.
    """
    if exact:
        return {pool: Condition(Op.exactly, credits.pool(pool)) for pool in deltas}
    debited = [pool for pool in ORDER if deltas.get(pool, 0) < 0]
    if not debited:
        return {}
    conditions: dict[Pool, Condition] = {}
    for pool in ORDER[: ORDER.index(debited[-1]) + 1]:
        delta = deltas.get(pool, 0)
        if credits.pool(pool) + delta == 0:
            conditions[pool] = Condition(Op.exactly, credits.pool(pool))
        elif delta < 0:
            conditions[pool] = Condition(Op.at_least, -delta)
    return conditions


def plan(credits: Credits, change: Change, at: datetime, *, reference: str) -> Plan:
    """The plan applying `change` to `credits` as read, for `reference`, at `at`."""
    unknown = set(change.sets) - SETTABLE
    if unknown:
        raise ValueError(f"a change cannot set {sorted(unknown)}")
    deltas = {pool: change.deltas[pool] for pool in ORDER if pool in change.deltas}
    for pool, delta in deltas.items():
        if credits.pool(pool) + delta < 0:
            raise ValueError(f"the {pool.value} pool would go below zero")
    touched = [pool for pool in ORDER if deltas.get(pool)]
    if not touched:  # a change of nothing is still recorded: a reset with nothing used, a charge with only a shortfall
        touched = [next(iter(deltas), Pool.topup)]
    # Credits before debits, so the running total never dips below what it ends at.
    touched.sort(key=lambda pool: deltas.get(pool, 0) < 0)
    running = credits.total
    entries: list[CreditTransaction] = []
    for pool in touched:
        delta = deltas.get(pool, 0)
        running += delta
        entries.append(
            CreditTransaction(
                id=new_id(),
                organization_id=credits.organization_id,
                organization_name=credits.organization_name,
                organization_slug=credits.organization_slug,
                amount=delta,
                pool=pool,
                type=change.type,
                kind=change.kind,
                description=change.description,
                balance_after=running,
                reference_id=reference,
                payment_intent_id=change.payment_reference,
                shortfall=change.shortfall if pool is touched[-1] else 0,
                created_at=at,
            )
        )
    after = credits.model_copy(
        update={
            **{pool.value: credits.pool(pool) + deltas.get(pool, 0) for pool in ORDER},
            **change.sets,
            "shortfall": credits.shortfall + change.shortfall,
            "version": credits.version + 1,
            "updated_at": at,
        }
    )
    return Plan(
        reference=reference,
        at=at,
        deltas=deltas,
        conditions=_conditions(credits, deltas, change.exact),
        shortfall=change.shortfall,
        sets=dict(change.sets),
        entries=tuple(entries),
        before=credits,
        after=after,
    )


# ------------------------------------------------------------------ the ledger's order, and warnings


def severity(total: int, thresholds: Thresholds) -> Severity:
    if total < thresholds.critical:
        return Severity.critical
    if total < thresholds.low:
        return Severity.warning
    return Severity.info


def warning_after(
    warned: Severity | None, total: int, debit: bool, thresholds: Thresholds
) -> tuple[Severity | None, Severity | None]:
    """(what is warned now, the crossing to warn of or None) once a change brings the total to `total`.

    A balance back above a threshold may be warned again on the next crossing; only a change that takes
    credits warns, once per crossing below the low threshold and once more below the critical one.
    """
    if total >= thresholds.low:
        warned = None
    elif total >= thresholds.critical and warned is Severity.critical:
        warned = Severity.warning
    level = severity(total, thresholds)
    if debit and level is not Severity.info and RANK[level] > RANK[warned]:
        return level, level
    return warned, None


@dataclass(frozen=True)
class Crossing:
    """A low-balance threshold crossed: what the warning (mail, `credits.low` webhook) says."""

    organization_id: str
    organization_name: str
    severity: Severity
    total: int
    threshold: int
    seq: int
    at: datetime


@dataclass(frozen=True)
class Stamp:
    """Changes given their place in the ledger: the entries by reference, the head after, the crossings."""

    head: LedgerHead
    written: dict[str, tuple[CreditTransaction, ...]]
    consumed: tuple[Pending, ...]
    crossings: tuple[Crossing, ...]


def stamp_cost(pending: Pending) -> int:
    """Items the ledger write takes for one change: its entries, its reference, its queue item."""
    return len(pending.entries) + 2


def stamp(
    head: LedgerHead,
    pending: Iterable[Pending],
    at: datetime,
    thresholds: Thresholds,
    *,
    organization_name: str = "",
    budget: int | None = None,
) -> Stamp:
    """Give committed changes their place in the ledger, after `head`, at `at`.

    Credits go first, then debits, each oldest first: every change was committed on pools that could
    carry it, so in that order the running total never goes below zero. A debit that would (its
    credit not seen yet) waits, with everything after it, for the next stamp. `budget` caps the items
    written (stamp_cost each), for one transaction. Entries are dated `at` (when they enter the
    ledger), never a little before the head's last (clock skew), so time order is ledger order.
    """
    if head.updated_at is not None and head.updated_at - CLOCK_SKEW < at < head.updated_at:
        at = head.updated_at  # another machine's clock was a little ahead: the ledger's time never goes back
    order = sorted(pending, key=lambda p: (p.net < 0, p.key))
    seq, total = head.seq, head.total
    warned, warned_at = head.warned_severity, head.last_low_balance_warning_at
    written: dict[str, tuple[CreditTransaction, ...]] = {}
    consumed: list[Pending] = []
    crossings: list[Crossing] = []
    used = 0
    for change in order:
        if total + change.net < 0 or (budget is not None and used + stamp_cost(change) > budget):
            break
        used += stamp_cost(change)
        entries = []
        for entry in sorted(change.entries, key=lambda e: e.amount < 0):
            seq += 1
            total += entry.amount
            entries.append(entry.model_copy(update={"seq": seq, "balance_after": total, "created_at": at}))
        written[change.reference] = tuple(entries)
        consumed.append(change)
        warned, crossed = warning_after(warned, total, change.debit, thresholds)
        if crossed is not None:
            warned_at = at
            crossings.append(
                Crossing(
                    organization_id=head.organization_id,
                    organization_name=organization_name,
                    severity=crossed,
                    total=total,
                    threshold=thresholds.critical if crossed is Severity.critical else thresholds.low,
                    seq=seq,
                    at=at,
                )
            )
    after = head.model_copy(
        update={
            "seq": seq,
            "total": total,
            "warned_severity": warned,
            "last_low_balance_warning_at": warned_at,
            "updated_at": at if consumed else head.updated_at,
        }
    )
    return Stamp(after, written, tuple(consumed), tuple(crossings))
