"""The only writer of the billing items, and the only reader of them by key.

Items, all under the organization's partition `ORG#<id>` (amounts in integer tenths of a credit):

| SK | what | written by |
|---|---|---|
| `CREDITS` | the pools (starter, monthly, top-up), shortfall, plan, next reset | `commit` (atomic ADDs) |
| `CREDITS#LEDGER` | the ledger head: entries so far, the total after the last, warnings | `write_stamp` |
| `CREDITS#PEND#<time>#<id>` | a change committed to the pools, not in the ledger yet | `commit`; `write_stamp` |
| `CREDITREF#<reference>` | once per reference: its entries (`pending` until in the ledger) | `commit`; `write_stamp` |
| `CREDITTXN#<time>#<seq>#<id>` | a ledger entry, with the total balance after it | `write_stamp` |

Indexes (no Scan anywhere): the balance is in GSI1 `CREDITS#RESET` sorted by its next reset (the
monthly job), GSI2 `CREDITS#ALL` (the operator's summary) and, for a sub-merchant, GSI3
`CREDITS#PARENT#<parent>`. Ledger entries are also in GSI1 `CREDITTXNS` (newest across the platform)
and GSI2 `CREDITTXNS#PARENT#<parent>`.

Why two writes (commit, then the ledger), not one versioned balance item
-----------------------------------------------------------------------
Before, every change rewrote the balance on the condition that its version was the one read: a
change read, planned and wrote, and any change committed in between made it start over. 50 session
completions at once on one organization cost 176 transactions (126 lost races) in the issue's
measure, 6 to 8 per charge in `bench/billing_contention.py`: the balance is the organization's one
hot item, and every attempt's whole read-plan-write window was exposed to every other change.

Now a change is committed with **atomic ADDs on the pools**, conditional only on what its plan relies
on (planner `_conditions`): the pools it empties still hold exactly what was read, the last pool it
takes from still holds enough. Concurrent charges on a pool that covers them all apply without
retrying each other; only a race for the last credits of a pool is lost (and planned again), which
is what keeps the pools exact, in order and never below zero. The same transaction puts the
reference item (it must not exist: each reference is applied once, however often it is retried), a
queue item, and the caller's own writes (a session's status change, a job record), so those stay
atomic with the charge, and a 402 still leaves nothing behind.

What atomic ADDs cannot give is the running total after each entry: which change came first is only
known once they are committed. So the ledger is a second, short write (planner `stamp`,
`write_stamp`): the caller of the oldest queued change writes every queued change to the ledger
(credits first, then debits, oldest first), numbering the entries after the ledger head, computing
`balance_after`, deciding low-balance crossings in that order (so each is seen once) and deleting the
queue items, in one transaction conditional on the head's `seq`. The other callers wait (polling the
oldest queued item) and find theirs written: a group commit, a handful of ledger writes for 50
changes. The pools are exact at once; the ledger catches up within the callers' own calls, and what
a stopped caller left queued is written by the next caller (after PATIENCE) or the next ledger read.
The ledger sums to the pools exactly: head total + queued changes = pools.

Not chosen: sharded balances make the 402 check and the pool order a read across shards; a queue
with one consumer per organization takes the charge out of the caller's transaction (a completed
session and its charge could be seen apart) and makes the 402 asynchronous.

On DynamoDB, transactions on one item at the same instant may also be cancelled (TransactionConflict);
a commit is then planned again like a lost race. The pools and the ledger head are separate items, so
commits and ledger writes do not conflict with each other. The price: a change writes about twice
the items it did (queue item and reference update), for no retries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from panelist.billing.planner import ORDER, Op, Pending, Plan, Stamp
from panelist.core import times
from panelist.core.storage import ConditionFailed, Item, delete_op, org_pk, put_op, serialize, table, update_op
from panelist.models.billing import Credits, CreditTransaction, LedgerHead

SK = "CREDITS"
HEAD_SK = "CREDITS#LEDGER"
PENDING_PREFIX = "CREDITS#PEND#"
REF_PREFIX = "CREDITREF#"
TXN_PREFIX = "CREDITTXN#"
RESET_INDEX_PK = "CREDITS#RESET"
ALL_INDEX_PK = "CREDITS#ALL"
TXNS_INDEX_PK = "CREDITTXNS"
MAX_PENDING = 1000  # queued changes read at once (there are as many as callers committing at the same time)
STAMP_BUDGET = 99  # items of one ledger write, besides the head (a transaction holds 100)
_NOT_STORED = {"warned_severity", "last_low_balance_warning_at"}  # the head's, merged in on read


class LostRace(Exception):
    """What was read changed before the write (or DynamoDB cancelled a concurrent transaction)."""


class Duplicate(Exception):
    """The reference was applied already."""


@dataclass(frozen=True)
class Reference:
    reference: str
    entries: tuple[CreditTransaction, ...]
    pending: bool


@dataclass(frozen=True)
class State:
    """An organization's billing state as one query reads it: the pools, the ledger head, the queue."""

    credits: Credits | None
    head: LedgerHead | None  # None: not stored (an organization from before the ledger head)
    pending: tuple[Pending, ...]

    @property
    def ledger_head(self) -> LedgerHead:
        """The head, or for an organization without one, what it stands for (everything before is in the ledger)."""
        if self.head is not None:
            return self.head
        assert self.credits is not None
        queued = sum(p.net for p in self.pending)
        return LedgerHead(
            organization_id=self.credits.organization_id,
            total=self.credits.total - queued,
            warned_severity=self.credits.warned_severity,
            last_low_balance_warning_at=self.credits.last_low_balance_warning_at,
        )

    def merged(self, head: LedgerHead | None = None) -> Credits | None:
        """The balance as the API shows it: the pools, with the warnings of the ledger head."""
        head = head or self.head
        if self.credits is None or head is None:
            return self.credits
        return self.credits.model_copy(
            update={
                "warned_severity": head.warned_severity,
                "last_low_balance_warning_at": head.last_low_balance_warning_at,
            }
        )


# ------------------------------------------------------------------ items


def balance_item(credits: Credits) -> Item:
    item: Item = {
        "PK": org_pk(credits.organization_id),
        "SK": SK,
        "type": "Credits",
        "GSI1PK": RESET_INDEX_PK,
        "GSI1SK": _reset_key(credits.organization_id, credits.monthly_reset_at),
        "GSI2PK": ALL_INDEX_PK,
        "GSI2SK": credits.organization_id,
        **credits.model_dump(mode="json", exclude=_NOT_STORED),
    }
    if credits.parent_id:
        item["GSI3PK"], item["GSI3SK"] = f"CREDITS#PARENT#{credits.parent_id}", credits.organization_id
    return item


def _reset_key(organization_id: str, reset_at: datetime) -> str:
    return f"{times.sortable(reset_at)}#{organization_id}"


def _head_item(head: LedgerHead) -> Item:
    return {"PK": org_pk(head.organization_id), "SK": HEAD_SK, "type": "LedgerHead", **head.model_dump(mode="json")}


def _entry_item(entry: CreditTransaction, parent_id: str | None) -> Item:
    """A ledger entry, sorted by time, then by its place in the ledger."""
    sort = f"{times.sortable(entry.created_at)}#{entry.seq:010d}#{entry.id}"
    item: Item = {
        "PK": org_pk(entry.organization_id),
        "SK": TXN_PREFIX + sort,
        "type": "CreditTransaction",
        "GSI1PK": TXNS_INDEX_PK,
        "GSI1SK": sort,
        **entry.model_dump(mode="json"),
    }
    if parent_id:
        item["GSI2PK"], item["GSI2SK"] = f"CREDITTXNS#PARENT#{parent_id}", sort
    return item


def _reference_item(organization_id: str, reference: str, entries: Sequence[CreditTransaction], pending: bool) -> Item:
    item: Item = {
        "PK": org_pk(organization_id),
        "SK": REF_PREFIX + reference,
        "type": "CreditReference",
        "transactions": [entry.model_dump(mode="json") for entry in entries],
    }
    if pending:
        item["pending"] = True
    return item


def _pending_item(organization_id: str, pending: Pending) -> Item:
    return {
        "PK": org_pk(organization_id),
        "SK": PENDING_PREFIX + pending.key,
        "type": "CreditPending",
        "reference": pending.reference,
        "transactions": [entry.model_dump(mode="json") for entry in pending.entries],
    }


def _pending(item: Item) -> Pending:
    entries = tuple(CreditTransaction.model_validate(t) for t in item["transactions"])
    return Pending(str(item["reference"]), entries, str(item["SK"])[len(PENDING_PREFIX) :])


# ------------------------------------------------------------------ reads


def load(organization_id: str, *, queued: bool = True) -> State:
    """The pools, the ledger head and (with `queued`) the changes waiting for the ledger: one Query."""
    items = table().query_offset(org_pk(organization_id), prefix=SK, limit=2 + MAX_PENDING if queued else 2)
    credits = head = None
    pending: list[Pending] = []
    for item in items:
        if item["SK"] == SK:
            credits = Credits.model_validate(item)
        elif item["SK"] == HEAD_SK:
            head = LedgerHead.model_validate(item)
        elif queued and str(item["SK"]).startswith(PENDING_PREFIX):
            pending.append(_pending(item))
    return State(credits, head, tuple(pending))


def oldest_pending(organization_id: str) -> Pending | None:
    """The oldest change waiting for the ledger, if any (one item read)."""
    items = table().query_offset(org_pk(organization_id), prefix=PENDING_PREFIX, limit=1)
    return _pending(items[0]) if items else None


def get_credits(organization_id: str) -> Credits | None:
    """The balance (pools, with the ledger's warnings), or None for an organization without credits."""
    return load(organization_id, queued=False).merged()


def reference(organization_id: str, reference: str) -> Reference | None:
    return _reference(table().get(org_pk(organization_id), REF_PREFIX + reference), reference)


def _reference(item: Item | None, reference: str) -> Reference | None:
    if item is None:
        return None
    entries = tuple(CreditTransaction.model_validate(t) for t in item["transactions"])
    return Reference(reference, entries, bool(item.get("pending")))


def reference_and_balance(organization_id: str, reference: str) -> tuple[Reference | None, Credits | None]:
    """A reference (if applied already) and the pools, read together (one BatchGetItem)."""
    ref, balance = table().get_many([(org_pk(organization_id), REF_PREFIX + reference), (org_pk(organization_id), SK)])
    return _reference(ref, reference), Credits.model_validate(balance) if balance else None


def due_for_reset(at: datetime, *, limit: int) -> list[str]:
    """Organizations whose monthly reset is due at `at` (one Query on GSI1, oldest due first)."""
    items = table().query_offset(RESET_INDEX_PK, index="GSI1", limit=limit, between=("0", times.sortable(at) + "~"))
    return [str(item["organization_id"]) for item in items]


def ledger(organization_id: str, start: date, end: date) -> list[CreditTransaction]:
    """Ledger entries of UTC days [start, end], oldest first: one Query of the organization's ledger."""
    low = f"{TXN_PREFIX}{start.isoformat()}"
    high = f"{TXN_PREFIX}{(end + timedelta(days=1)).isoformat()}"
    items = table().query_offset(org_pk(organization_id), limit=100_000, between=(low, high))
    return [CreditTransaction.model_validate(item) for item in items]


def _all_pages(partition: str, index: str) -> list[Item]:
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = table().query(partition, index=index, limit=100, cursor=cursor)
        items.extend(page.items)
        if not page.cursor:
            return items
        cursor = page.cursor


def balances(organization_id: str | None) -> list[Credits]:
    """Everyone's balance (organization_id None: the operator), else the organization's and its sub-merchants'."""
    if organization_id is None:
        return [Credits.model_validate(i) for i in _all_pages(ALL_INDEX_PK, "GSI2")]
    own = get_credits(organization_id)
    children = [Credits.model_validate(i) for i in _all_pages(f"CREDITS#PARENT#{organization_id}", "GSI3")]
    return ([own] if own else []) + children


def recent(organization_id: str | None, limit: int) -> list[CreditTransaction]:
    """The newest ledger entries, newest first: across the platform, or of an organization and its sub-merchants."""
    if organization_id is None:
        items = table().query(TXNS_INDEX_PK, index="GSI1", limit=limit, forward=False).items
    else:
        own = table().query(org_pk(organization_id), prefix=TXN_PREFIX, limit=limit, forward=False).items
        children = table().query(f"CREDITTXNS#PARENT#{organization_id}", index="GSI2", limit=limit, forward=False).items
        items = own + children
    entries = [CreditTransaction.model_validate(i) for i in items]
    entries.sort(key=lambda t: (t.created_at, t.seq, t.id), reverse=True)
    return entries[:limit]


# ------------------------------------------------------------------ writes


def _balance_op(plan: Plan) -> Item:
    """The pools' atomic additions, on the conditions the plan relies on; and what it sets."""
    stored = plan.after.model_dump(mode="json", include={"updated_at", *plan.sets})
    names = {"#updated_at": "updated_at", "#version": "version"}
    values: dict[str, Any] = {"at": stored["updated_at"], "one": 1}
    adds = ["#version :one"]
    sets = ["#updated_at = :at"]
    conditions = ["attribute_exists(PK)"]
    for pool in ORDER:
        name = f"#{pool.value}"
        if plan.deltas.get(pool):
            names[name] = pool.value
            adds.append(f"{name} :d_{pool.value}")
            values[f"d_{pool.value}"] = plan.deltas[pool]
        if pool in plan.conditions:
            condition = plan.conditions[pool]
            names[name] = pool.value
            conditions.append(f"{name} {'>=' if condition.op is Op.at_least else '='} :c_{pool.value}")
            values[f"c_{pool.value}"] = condition.value
    if plan.shortfall:
        names["#shortfall"] = "shortfall"
        adds.append("#shortfall :shortfall")
        values["shortfall"] = plan.shortfall
    for field in plan.sets:
        names[f"#{field}"] = field
        sets.append(f"#{field} = :s_{field}")
        values[f"s_{field}"] = stored[field]
        if field == "monthly_reset_at":
            names["#gsi1sk"] = "GSI1SK"
            sets.append("#gsi1sk = :reset_key")
            values["reset_key"] = _reset_key(plan.organization_id, plan.after.monthly_reset_at)
    return update_op(
        org_pk(plan.organization_id),
        SK,
        f"SET {', '.join(sets)} ADD {', '.join(adds)}",
        condition=" AND ".join(conditions),
        names=names,
        **values,
    )


def commit(plan: Plan, extra_ops: Sequence[Item] = ()) -> None:
    """Commit a plan to the pools, with its reference, its queue item and `extra_ops`, in one transaction.

    Raises Duplicate (the reference exists), LostRace (the pools no longer hold what the plan relies
    on, or a concurrent transaction), or ConditionFailed with the reasons of `extra_ops` only (as if
    they had been written alone) when one of theirs fails.
    """
    organization_id = plan.organization_id
    ops = [
        _balance_op(plan),
        put_op(_reference_item(organization_id, plan.reference, plan.entries, pending=True), unique=True),
        put_op(_pending_item(organization_id, plan.pending), unique=True),
    ]
    try:
        table().transact(*ops, *extra_ops)
    except ConditionFailed as exc:
        extra = exc.reasons[len(ops) :]
        if "ConditionalCheckFailed" in extra:
            raise ConditionFailed(extra) from None
        if exc.reasons[1] == "ConditionalCheckFailed":
            raise Duplicate(plan.reference) from None
        raise LostRace from None
    except ClientError as exc:  # TransactionConflict with a concurrent transaction on DynamoDB
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        raise LostRace from None


def write_stamp(state: State, stamp: Stamp) -> None:
    """Write stamped changes to the ledger, on the condition that the head is the one read (LostRace if not)."""
    assert state.credits is not None
    organization_id = state.credits.organization_id
    parent_id = state.credits.parent_id
    if state.head is None:
        head = put_op(_head_item(stamp.head), unique=True)
    else:
        head = put_op(_head_item(stamp.head), condition="#seq = :seq")  # the head as read: one writer at a time
        head["Put"]["ExpressionAttributeNames"] = {"#seq": "seq"}
        head["Put"]["ExpressionAttributeValues"] = serialize({":seq": state.head.seq})
    ops = [head]
    for change in stamp.consumed:
        entries = stamp.written[change.reference]
        ops.extend(put_op(_entry_item(entry, parent_id), unique=True) for entry in entries)
        ops.append(
            update_op(
                org_pk(organization_id),
                REF_PREFIX + change.reference,
                "SET #t = :t REMOVE #pending",
                names={"#t": "transactions", "#pending": "pending"},
                t=[entry.model_dump(mode="json") for entry in entries],
            )
        )
        ops.append(delete_op(org_pk(organization_id), PENDING_PREFIX + change.key, condition="attribute_exists(PK)"))
    try:
        table().transact(*ops)
    except ConditionFailed:
        raise LostRace from None
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        raise LostRace from None


def creation_ops(
    credits: Credits, head: LedgerHead, plans: Sequence[Plan], written: Mapping[str, Sequence[CreditTransaction]]
) -> list[Item]:
    """A new organization's balance, ledger head, references and entries, for its creation transaction.

    Nothing can come in between (the balance is created in the same transaction), so the changes are
    written to the ledger at once: `written` holds their stamped entries, by reference.
    """
    organization_id = credits.organization_id
    ops = [put_op(balance_item(credits), unique=True), put_op(_head_item(head), unique=True)]
    for plan in plans:
        entries = written[plan.reference]
        ops.append(put_op(_reference_item(organization_id, plan.reference, entries, pending=False), unique=True))
        ops.extend(put_op(_entry_item(entry, credits.parent_id), unique=True) for entry in entries)
    return ops
