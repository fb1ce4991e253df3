"""Credits: three pools per organization (starter, monthly, top-up), charged in that order, and a ledger.

The balance is one item (`ORG#<id>` / `CREDITS`) holding the pools in integer tenths of a credit and a
`version`. Every change is ONE TransactWriteItems: the balance item updated on the condition that its
version is the one read (so the pools written are exact and never below zero), a reference item
(`CREDITREF#<reference>`) that must not exist yet (so one reference is applied once: a retried charge,
a repeated payment reference or a second monthly reset of one month changes nothing), and one ledger
entry per pool touched, each with the total balance after it. A transaction that lost a race on the
version is rebuilt from a fresh read and retried.

Indexes (no Scan anywhere): the balance item is in GSI1 `CREDITS#RESET` sorted by its next reset (the
monthly job queries the due ones), GSI2 `CREDITS#ALL` (the operator's summary) and, for a sub-merchant,
GSI3 `CREDITS#PARENT#<parent>`. Ledger entries sort by time under `ORG#<id>` / `CREDITTXN#<time>#<id>`
and are also in GSI1 `CREDITTXNS` (newest across the platform) and GSI2 `CREDITTXNS#PARENT#<parent>`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from panelist.core import mail
from panelist.core.errors import BadRequest, PaymentRequired
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.core.storage import ConditionFailed, Item, org_pk, put_op, table, update_op
from panelist.models.billing import (
    ChargeKind,
    CreditBalanceOut,
    Credits,
    CreditTransaction,
    LowBalanceWarning,
    Number,
    Pool,
    Severity,
    TopupCreate,
    TopupOut,
    TransactionOut,
    TransactionType,
)
from panelist.models.common import new_id, now
from panelist.models.organizations import Organization, Plan
from panelist.webhooks import endpoints

SK = "CREDITS"
REF_PREFIX = "CREDITREF#"
TXN_PREFIX = "CREDITTXN#"
RESET_INDEX_PK = "CREDITS#RESET"
ALL_INDEX_PK = "CREDITS#ALL"
TXNS_INDEX_PK = "CREDITTXNS"

TENTHS = 10  # amounts are stored in tenths of a credit

# Every price, in credits: the one place they are set.
PRICES: dict[str, float] = {
    "session_minute": 10,  # a completed session, per started minute
    "interview_generation": 50,  # one interview generation job
    "translated_report_result": 0.1,  # one translated report result
}
TYPICAL_SESSION_MINUTES = 10  # what estimated_sessions_remaining assumes (10 x 10 = 100 credits)
MAX_BILLED_MINUTES = 120  # a session is billed for two hours at most

STARTER_CREDITS = 1000  # granted once, when an organization is created
# The monthly allowance of each plan (enterprise: the EnterpriseMonthlyCredits setting).
MONTHLY_CREDITS: dict[Plan, float | None] = {
    Plan.free: 100,
    Plan.starter: 1000,
    Plan.professional: 5000,
    Plan.enterprise: None,
}
CURRENCY = "eur"
ORDER = (Pool.starter, Pool.monthly, Pool.topup)
RECENT_TRANSACTIONS = 20
_ATTEMPTS = 100


def tenths(credits: float) -> int:
    return round(credits * TENTHS)


def show(amount: int) -> Number:
    """Tenths as the API shows credits: 600, 0.1."""
    return amount // TENTHS if amount % TENTHS == 0 else amount / TENTHS


def price(name: str, quantity: int = 1) -> int:
    """The price of `quantity` units of PRICES[name], in tenths."""
    return tenths(PRICES[name]) * quantity


def monthly_allowance(plan: Plan) -> int:
    amount = MONTHLY_CREDITS[plan]
    return tenths(get_settings().enterprise_monthly_credits if amount is None else amount)


def billed_minutes(started: datetime, ended: datetime) -> int:
    """Started minutes between two instants (a session of 4 min 1 s is 5 minutes), capped."""
    seconds = max(0.0, (ended - started).total_seconds())
    return min(MAX_BILLED_MINUTES, math.ceil(seconds / 60))


def first_of_next_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------ items


def credits_item(credits: Credits) -> Item:
    item: Item = {
        "PK": org_pk(credits.organization_id),
        "SK": SK,
        "type": "Credits",
        "GSI1PK": RESET_INDEX_PK,
        "GSI1SK": f"{_iso(credits.monthly_reset_at)}#{credits.organization_id}",
        "GSI2PK": ALL_INDEX_PK,
        "GSI2SK": credits.organization_id,
        **credits.model_dump(mode="json"),
    }
    if credits.parent_id:
        item["GSI3PK"], item["GSI3SK"] = f"CREDITS#PARENT#{credits.parent_id}", credits.organization_id
    return item


def _txn_item(txn: CreditTransaction, parent_id: str | None, position: int) -> Item:
    """A ledger entry, sorted by time, then by its place in its transaction (entries of one change share a time)."""
    sort = f"{_iso(txn.created_at)}#{position}#{txn.id}"
    item: Item = {
        "PK": org_pk(txn.organization_id),
        "SK": TXN_PREFIX + sort,
        "type": "CreditTransaction",
        "GSI1PK": TXNS_INDEX_PK,
        "GSI1SK": sort,
        **txn.model_dump(mode="json"),
    }
    if parent_id:
        item["GSI2PK"], item["GSI2SK"] = f"CREDITTXNS#PARENT#{parent_id}", sort
    return item


def get_credits(organization_id: str) -> Credits | None:
    item = table().get(org_pk(organization_id), SK)
    return Credits.model_validate(item) if item else None


def require_credits(organization_id: str) -> Credits:
    credits = get_credits(organization_id)
    if credits is None:  # an organization stored without going through create_organization
        raise PaymentRequired("This organization has no credits; top up first")
    return credits


# ------------------------------------------------------------------ the one write path


@dataclass
class Change:
    """What one reference does to a balance: a delta per pool, and how the entries read."""

    type: TransactionType
    description: str
    deltas: dict[Pool, int]
    kind: ChargeKind | None = None
    payment_reference: str | None = None
    shortfall: int = 0
    sets: dict[str, Any] = field(default_factory=dict)  # other attributes of the balance to set


@dataclass
class Applied:
    """The outcome of one reference: the entries written (or found), and the balance after."""

    reference_id: str
    transactions: list[CreditTransaction]
    credits: Credits | None
    duplicate: bool = False
    before_total: int = 0

    @property
    def amount(self) -> int:
        return sum(t.amount for t in self.transactions)

    @property
    def shortfall(self) -> int:
        return sum(t.shortfall for t in self.transactions)


def _ops(credits: Credits, reference: str, change: Change, at: datetime) -> tuple[list[Item], Applied]:
    """The transaction applying `change` to `credits` as read: balance, reference and ledger entries."""
    updated = credits.model_copy(
        update={
            **{pool.value: credits.pool(pool) + change.deltas.get(pool, 0) for pool in ORDER},
            **change.sets,
            "version": credits.version + 1,
            "updated_at": at,
        }
    )
    running = credits.total
    entries: list[CreditTransaction] = []
    touched = [pool for pool in ORDER if change.deltas.get(pool)]
    if not touched:  # a charge of nothing (balance empty) still records its shortfall
        touched = [Pool.topup]
    for pool in touched:
        delta = change.deltas.get(pool, 0)
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
    stored = credits_item(updated)
    keys = [k for k in stored if k not in ("PK", "SK", "version")]
    names = {f"#{n}": k for n, k in enumerate(keys)}
    values = {f"{n}": stored[k] for n, k in enumerate(keys)}
    sets = ", ".join(f"#{n} = :{n}" for n in range(len(keys)))
    remove = "" if updated.parent_id else " REMOVE GSI3PK, GSI3SK"
    balance = update_op(
        org_pk(credits.organization_id),
        SK,
        f"SET {sets}, #version = :new_version{remove}",
        condition="#version = :version",
        names={**names, "#version": "version"},
        new_version=updated.version,
        version=credits.version,
        **values,
    )
    reference_item = {
        "PK": org_pk(credits.organization_id),
        "SK": REF_PREFIX + reference,
        "type": "CreditReference",
        "transactions": [entry.model_dump(mode="json") for entry in entries],
    }
    ops = [
        balance,
        put_op(reference_item, unique=True),
        *(put_op(_txn_item(entry, credits.parent_id, n), unique=True) for n, entry in enumerate(entries)),
    ]
    return ops, Applied(reference, entries, updated, before_total=credits.total)


def _existing(organization_id: str, reference: str) -> Applied | None:
    item = table().get(org_pk(organization_id), REF_PREFIX + reference)
    if item is None:
        return None
    entries = [CreditTransaction.model_validate(t) for t in item["transactions"]]
    return Applied(reference, entries, get_credits(organization_id), duplicate=True)


def apply(
    organization_id: str,
    reference: str,
    build: Any,
    *,
    extra_ops: Sequence[Item] = (),
) -> Applied:
    """Apply the Change `build(credits)` returns, once per reference, retrying lost races.

    `extra_ops` commit in the same transaction; when one of their conditions fails, ConditionFailed
    is raised with the reasons of `extra_ops` only (as if they had been written alone).
    """
    for attempt in range(_ATTEMPTS):
        if attempt:  # lost a race: back off a little, with jitter, before reading again
            time.sleep(random.uniform(0, min(0.05, 0.002 * attempt)))  # noqa: S311 - jitter, not secrets
        done = _existing(organization_id, reference)
        if done is not None:
            return done
        credits = require_credits(organization_id)
        change: Change = build(credits)
        at = now()
        ops, applied = _ops(credits, reference, change, at)
        try:
            table().transact(*ops, *extra_ops)
        except ConditionFailed as exc:
            extra = exc.reasons[len(ops) :]
            if "ConditionalCheckFailed" in extra:
                raise ConditionFailed(extra) from None
            continue  # the version moved (or the reference was just applied): read again
        except ClientError as exc:  # TransactionConflict with a concurrent transaction on DynamoDB
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            continue
        _after_change(applied)
        return applied
    raise ConditionFailed(["TransactionConflict"])


# ------------------------------------------------------------------ grants, charges, purchases


def initial_ops(org: Organization) -> list[Item]:
    """The starter grant and this month's allowance of a new organization, for its creation transaction."""
    at = org.created_at
    credits = Credits(
        organization_id=org.id,
        organization_name=org.name,
        organization_slug=org.slug,
        parent_id=org.parent_id,
        plan=org.plan,
        monthly_amount=monthly_allowance(org.plan),
        monthly_reset_at=first_of_next_month(at),
        currency=CURRENCY,
        updated_at=at,
    )
    ops: list[Item] = [put_op(credits_item(credits), unique=True)]
    grants = [
        (Pool.starter, tenths(STARTER_CREDITS), TransactionType.grant, "Starter credits", f"starter:{org.id}"),
        (
            Pool.monthly,
            credits.monthly_amount,
            TransactionType.monthly_reset,
            f"Monthly credits ({org.plan.value} plan)",
            f"monthly:{org.id}:{at.astimezone(UTC):%Y-%m}",
        ),
    ]
    balance = 0
    for position, (pool, amount, kind, description, reference) in enumerate(grants):
        balance += amount
        entry = CreditTransaction(
            id=new_id(),
            organization_id=org.id,
            organization_name=org.name,
            organization_slug=org.slug,
            amount=amount,
            pool=pool,
            type=kind,
            description=description,
            balance_after=balance,
            reference_id=reference,
            created_at=at,
        )
        ops.append(put_op(_txn_item(entry, org.parent_id, position), unique=True))
        ops.append(
            put_op(
                {
                    "PK": org_pk(org.id),
                    "SK": REF_PREFIX + reference,
                    "type": "CreditReference",
                    "transactions": [entry.model_dump(mode="json")],
                },
                unique=True,
            )
        )
    ops[0] = put_op(
        credits_item(
            credits.model_copy(update={"starter": tenths(STARTER_CREDITS), "monthly": credits.monthly_amount})
        ),
        unique=True,
    )
    return ops


def _split(credits: Credits, amount: int) -> dict[Pool, int]:
    """Take `amount` (at most the balance) from the pools in order: starter, monthly, top-up."""
    deltas: dict[Pool, int] = {}
    left = amount
    for pool in ORDER:
        taken = min(left, credits.pool(pool))
        if taken:
            deltas[pool] = -taken
            left -= taken
    return deltas


def charge(
    organization_id: str,
    amount: int,
    *,
    kind: ChargeKind,
    reference: str,
    description: str,
    partial: bool = False,
    extra_ops: Sequence[Item] = (),
) -> Applied:
    """Charge `amount` tenths once per `reference`, starter → monthly → top-up.

    Without `partial`, a balance that cannot cover it is PaymentRequired and nothing is written. With
    `partial` (work already done, e.g. a finished interview), what the balance holds is charged and
    the rest recorded as the entry's shortfall.
    """
    if amount < 0:
        raise ValueError("a charge is not negative")

    def build(credits: Credits) -> Change:
        if credits.total < amount and not partial:
            raise PaymentRequired(
                f"Insufficient credits: this costs {show(amount)} credits and the balance is {show(credits.total)}",
                expected=f"at least {show(amount)} credits",
            )
        taken = min(amount, credits.total)
        return Change(
            TransactionType.charge,
            description,
            _split(credits, taken),
            kind=kind,
            shortfall=amount - taken,
            sets={"shortfall": credits.shortfall + amount - taken},
        )

    return apply(organization_id, reference, build, extra_ops=extra_ops)


def refund(organization_id: str, reference: str, description: str) -> Applied | None:
    """Give back, once, what the charge `reference` took, to the pools it came from; None if nothing was charged."""
    charged = _existing(organization_id, reference)
    if charged is None or not charged.transactions:
        return None
    kind = charged.transactions[0].kind

    def build(credits: Credits) -> Change:
        return Change(TransactionType.refund, description, {t.pool: -t.amount for t in charged.transactions}, kind=kind)

    return apply(organization_id, f"refund:{reference}", build)


def ensure_session_can_start(organization_id: str) -> None:
    """PaymentRequired unless the balance covers a session's first minute (it is charged on completion)."""
    balance = get_credits(organization_id)
    minimum = price("session_minute")
    if balance is not None and balance.total < minimum:
        raise PaymentRequired(
            f"Insufficient credits to start an interview session: a minute costs {show(minimum)} credits "
            f"and the balance is {show(balance.total)}",
            expected=f"at least {show(minimum)} credits",
        )


def session_charge(session_id: str, started: datetime, ended: datetime) -> tuple[int, str, str]:
    """Price, reference and description of a completed session."""
    minutes = billed_minutes(started, ended)
    return price("session_minute", minutes), f"session:{session_id}", f"Interview session: {minutes} min"


def topup(organization_id: str, request: TopupCreate) -> Applied:
    """Record a purchase of credits into the top-up pool; one payment reference is recorded once."""
    amount = tenths(request.credits)
    paid = ""
    if request.amount_paid is not None:
        paid = f" ({request.amount_paid:.2f} {(request.currency or CURRENCY).upper()})"

    def build(credits: Credits) -> Change:
        return Change(
            TransactionType.purchase,
            f"Credit top-up: {show(amount):,} credits{paid}",
            {Pool.topup: amount},
            payment_reference=request.payment_reference,
            sets=_clear_warning(credits, amount),
        )

    applied = apply(organization_id, f"topup:{request.payment_reference}", build)
    if applied.duplicate and applied.transactions and applied.transactions[0].amount != amount:
        raise BadRequest(
            "this payment_reference was already recorded with a different number of credits",
            field="payment_reference",
            expected="a new payment reference",
        )
    return applied


def _clear_warning(credits: Credits, added: int) -> dict[str, Any]:
    """A balance raised back above the low threshold may be warned again on the next crossing."""
    if credits.total + added >= tenths(get_settings().low_balance_credits):
        return {"warned_severity": None}
    above_critical = credits.total + added >= tenths(get_settings().critical_balance_credits)
    if above_critical and credits.warned_severity is Severity.critical:
        return {"warned_severity": Severity.warning}
    return {}


# ------------------------------------------------------------------ monthly reset


def due_for_reset(at: datetime | None = None, *, limit: int = 1000) -> list[str]:
    """Organizations whose monthly reset is due (one Query on GSI1, oldest due first)."""
    at = at or now()
    items = table().query_offset(RESET_INDEX_PK, index="GSI1", limit=limit, between=("0", _iso(at) + "~"))
    return [str(item["organization_id"]) for item in items]


def reset_monthly(organization_id: str, at: datetime | None = None) -> Applied | None:
    """Set the monthly pool to the plan's allowance, once per month; None when it is not due."""
    at = at or now()
    credits = get_credits(organization_id)
    if credits is None or credits.monthly_reset_at > at:
        return None
    reference = f"monthly:{organization_id}:{at.astimezone(UTC):%Y-%m}"

    def build(current: Credits) -> Change:
        allowance = monthly_allowance(current.plan)
        return Change(
            TransactionType.monthly_reset,
            f"Monthly credits reset to {show(allowance):,} ({current.plan.value} plan)",
            {Pool.monthly: allowance - current.monthly},
            sets={
                "monthly_amount": allowance,
                "monthly_reset_at": first_of_next_month(at),
                **_clear_warning(current, allowance - current.monthly),
            },
        )

    return apply(organization_id, reference, build)


def reset_due(at: datetime | None = None) -> list[str]:
    """Reset every organization due; the ids reset (a retried run resets none twice)."""
    at = at or now()
    done: list[str] = []
    seen: set[str] = set()
    while True:
        batch = [
            organization_id
            for organization_id in due_for_reset(at, limit=100 + len(seen))
            if organization_id not in seen
        ]
        if not batch:
            return done
        for organization_id in batch:
            seen.add(organization_id)
            try:
                applied = reset_monthly(organization_id, at)
            except Exception:
                logger.exception("monthly reset failed", organization_id=organization_id)
                continue
            if applied is not None and not applied.duplicate:
                done.append(organization_id)


# ------------------------------------------------------------------ what the API shows


def severity(total: int) -> Severity:
    settings = get_settings()
    if total < tenths(settings.critical_balance_credits):
        return Severity.critical
    if total < tenths(settings.low_balance_credits):
        return Severity.warning
    return Severity.info


def warning_message(name: str, total: int) -> str:
    level = severity(total)
    if level is Severity.info:
        return ""
    return f"{name} has only {show(total):,} credits remaining"


def balance_out(credits: Credits) -> CreditBalanceOut:
    level = severity(credits.total)
    per_session = price("session_minute", TYPICAL_SESSION_MINUTES)
    return CreditBalanceOut(
        starter_credits=show(credits.starter),
        monthly_credits=show(credits.monthly),
        topup_credits=show(credits.topup),
        total_credits=show(credits.total),
        monthly_credits_amount=show(credits.monthly_amount),
        monthly_credits_reset_at=credits.monthly_reset_at,
        currency=credits.currency,
        last_low_balance_warning_at=credits.last_low_balance_warning_at,
        updated_at=credits.updated_at,
        low_balance_warning=LowBalanceWarning(
            shouldWarn=level is not Severity.info,
            severity=level,
            message=warning_message("Your organization", credits.total) if level is not Severity.info else "",
        ),
        needs_topup=level is not Severity.info,
        estimated_sessions_remaining=credits.total // per_session,
    )


def ledger(organization_id: str, start: date, end: date) -> list[CreditTransaction]:
    """Ledger entries of UTC days [start, end], oldest first: one Query of the organization's ledger."""
    low = f"{TXN_PREFIX}{start.isoformat()}"
    high = f"{TXN_PREFIX}{(end + timedelta(days=1)).isoformat()}"
    items = table().query_offset(org_pk(organization_id), limit=100_000, between=(low, high))
    return [CreditTransaction.model_validate(item) for item in items]


def usage(organization_id: str, start: date | None, end: date | None) -> dict[str, Any]:
    """Credits charged per UTC day and per kind (sessions, generations, translations) in [start, end]."""
    today = now().date()
    end = end or today
    start = start or end.replace(day=1)
    if end < start:
        raise BadRequest("end_date is before start_date", field="end_date", expected="a date on or after start_date")
    if (end - start).days > 366:
        raise BadRequest("the range is longer than 366 days", field="end_date", expected="at most 366 days")
    kinds = [kind.value for kind in ChargeKind]
    days: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(kinds, 0)
    added = 0
    for txn in ledger(organization_id, start, end):
        if txn.type in (TransactionType.charge, TransactionType.refund) and txn.kind is not None:
            day = txn.created_at.astimezone(UTC).date().isoformat()
            days.setdefault(day, dict.fromkeys(kinds, 0))[txn.kind.value] -= txn.amount
            totals[txn.kind.value] -= txn.amount
        elif txn.amount > 0:
            added += txn.amount
    return {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "total_credits_used": show(sum(totals.values())),
        "total_credits_added": show(added),
        "by_kind": {kind: show(value) for kind, value in totals.items()},
        "by_day": [
            {
                "date": day,
                "credits_used": show(sum(values.values())),
                "by_kind": {kind: show(value) for kind, value in values.items()},
            }
            for day, values in sorted(days.items())
        ],
    }


# ------------------------------------------------------------------ low-balance warnings


def _after_change(applied: Applied) -> None:
    """Warn once per crossing below the low or critical threshold; never fails the caller."""
    credits = applied.credits
    if credits is None or not any(t.amount < 0 for t in applied.transactions):
        return
    level = severity(credits.total)
    if level is Severity.info or _RANK[level] <= _RANK[credits.warned_severity]:
        return
    try:
        _warn(credits, level)
    except Exception:
        logger.exception("could not send the low-balance warning", organization_id=credits.organization_id)


_RANK: dict[Severity | None, int] = {None: 0, Severity.info: 0, Severity.warning: 1, Severity.critical: 2}


def _warn(credits: Credits, level: Severity) -> None:
    """Claim the warning (one caller wins: the condition reads what was warned), then mail and publish.

    The claim bumps the balance's version, so a charge that read the balance before it retries
    instead of writing the old warned severity back.
    """
    at = now()
    higher = [s.value for s in (Severity.warning, Severity.critical) if _RANK[s] >= _RANK[level]]
    condition = " AND ".join(f"NOT #warned = :s{n}" for n in range(len(higher)))
    try:
        table().update(
            org_pk(credits.organization_id),
            SK,
            "SET #warned = :level, #at = :at ADD #version :one",
            condition=condition,
            names={"#warned": "warned_severity", "#at": "last_low_balance_warning_at", "#version": "version"},
            level=level.value,
            at=at.isoformat(),
            one=1,
            **{f"s{n}": value for n, value in enumerate(higher)},
        )
    except ConditionFailed:
        return  # another charge warned first
    message = warning_message(credits.organization_name or "Your organization", credits.total)
    data = {
        "organization_id": credits.organization_id,
        "severity": level.value,
        "message": message,
        "total_credits": show(credits.total),
        "threshold_credits": get_settings().critical_balance_credits
        if level is Severity.critical
        else get_settings().low_balance_credits,
    }
    key = f"credits.low:{credits.organization_id}:{level.value}:{at.isoformat()}"
    endpoints.publish(credits.organization_id, "credits.low", data, idempotency_key=key)
    email = _billing_email(credits.organization_id)
    if email:
        try:
            mail.send(
                email,
                f"Panelist credits {'critically ' if level is Severity.critical else ''}low: "
                f"{show(credits.total):,} remaining",
                "credits_low",
                organization=credits.organization_name,
                severity=level.value,
                total=f"{show(credits.total):,}",
                message=message,
            )
        except Exception:
            logger.exception("could not mail the low-balance warning", organization_id=credits.organization_id)


def _billing_email(organization_id: str) -> str | None:
    item = table().get(org_pk(organization_id), "ORG")
    return str(item["billing_email"]) if item and item.get("billing_email") else None


# ------------------------------------------------------------------ the admin summary


def _all_pages(partition: str, index: str) -> list[Item]:
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = table().query(partition, index=index, limit=100, cursor=cursor)
        items.extend(page.items)
        if not page.cursor:
            return items
        cursor = page.cursor


def _balances(organization_id: str | None) -> list[Credits]:
    """Everyone's balance (organization_id None: the operator), else the organization's and its sub-merchants'."""
    if organization_id is None:
        return [Credits.model_validate(i) for i in _all_pages(ALL_INDEX_PK, "GSI2")]
    own = get_credits(organization_id)
    children = [Credits.model_validate(i) for i in _all_pages(f"CREDITS#PARENT#{organization_id}", "GSI3")]
    return ([own] if own else []) + children


def _recent(organization_id: str | None, limit: int) -> list[CreditTransaction]:
    """The newest ledger entries, newest first: across the platform, or of an organization and its sub-merchants."""
    if organization_id is None:
        items = table().query(TXNS_INDEX_PK, index="GSI1", limit=limit, forward=False).items
    else:
        own = table().query(org_pk(organization_id), prefix=TXN_PREFIX, limit=limit, forward=False).items
        children = table().query(f"CREDITTXNS#PARENT#{organization_id}", index="GSI2", limit=limit, forward=False).items
        items = own + children
    entries = [CreditTransaction.model_validate(i) for i in items]
    entries.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    return entries[:limit]


def summary(organization_id: str | None, *, recent: int = RECENT_TRANSACTIONS) -> dict[str, Any]:
    """The seed's admin credit summary (camelCase) over the balances `_balances` covers."""
    balances = _balances(organization_id)
    low = sorted(
        (c for c in balances if severity(c.total) is not Severity.info), key=lambda c: (c.total, c.organization_name)
    )
    return {
        "summary": {
            "totalOrganizations": len(balances),
            "totalStarterCredits": show(sum(c.starter for c in balances)),
            "totalMonthlyCredits": show(sum(c.monthly for c in balances)),
            "totalTopupCredits": show(sum(c.topup for c in balances)),
            "totalCredits": show(sum(c.total for c in balances)),
            "lowBalanceCount": len(low),
            "criticalBalanceCount": sum(1 for c in low if severity(c.total) is Severity.critical),
        },
        "lowBalanceOrganizations": [
            {
                "organizationId": c.organization_id,
                "organizationName": c.organization_name,
                "organizationSlug": c.organization_slug,
                "starter": show(c.starter),
                "monthly": show(c.monthly),
                "topup": show(c.topup),
                "total": show(c.total),
                "monthlyCreditsAmount": show(c.monthly_amount),
                "monthlyCreditsResetAt": _iso_ms(c.monthly_reset_at),
                "updatedAt": _iso_ms(c.updated_at),
                "severity": severity(c.total).value,
            }
            for c in low
        ],
        "recentTransactions": [
            {
                "id": t.id,
                "organizationId": t.organization_id,
                "organizationName": t.organization_name,
                "organizationSlug": t.organization_slug,
                "amountCredits": show(t.amount),
                "creditType": t.pool.value,
                "transactionType": t.type.value,
                "description": t.description,
                "balanceAfterCredits": show(t.balance_after),
                "paymentIntentId": t.payment_intent_id,
                "createdAt": _iso_ms(t.created_at),
            }
            for t in _recent(organization_id, recent)
        ],
        "alerts": [
            {
                "organizationId": c.organization_id,
                "severity": severity(c.total).value,
                "message": warning_message(c.organization_name or c.organization_slug, c.total),
            }
            for c in low
        ],
    }


def _iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def transaction_out(txn: CreditTransaction) -> TransactionOut:
    return TransactionOut(
        id=txn.id,
        amount=show(txn.amount),
        pool=txn.pool,
        type=txn.type,
        kind=txn.kind,
        description=txn.description,
        balance_after=show(txn.balance_after),
        reference_id=txn.reference_id,
        payment_reference=txn.payment_intent_id,
        created_at=txn.created_at,
    )


def topup_out(applied: Applied) -> TopupOut:
    balance = applied.credits or require_credits(applied.transactions[0].organization_id)
    return TopupOut(transaction=transaction_out(applied.transactions[0]), balance=balance_out(balance))
