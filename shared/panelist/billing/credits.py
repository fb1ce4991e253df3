"""Credits, the public operations: charge, refund, top up, grant, reset, balance and usage.

Every organization has three pools, charged in this order: starter (granted once, when the
organization is created), monthly (the plan's allowance, set back every month) and top-up
(purchased). Each operation builds a planner Change and applies it through `changes.apply`, the one
write path; a new organization's grants are planned and written to the ledger the same way, into
its creation transaction. Prices are in `pricing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from panelist.billing import changes, planner, store, views
from panelist.billing.changes import Applied
from panelist.billing.planner import Change
from panelist.billing.pricing import (
    CURRENCY,
    PRICES,
    STARTER_CREDITS,
    billed_minutes,
    first_of_next_month,
    monthly_allowance,
    price,
    show,
    tenths,
    thresholds,
)
from panelist.billing.views import balance_out, severity, warning_message
from panelist.core import times
from panelist.core.errors import BadRequest, NotFound, PaymentRequired
from panelist.core.observability import logger
from panelist.core.storage import Item
from panelist.models.billing import (
    ChargeKind,
    Credits,
    CreditTransaction,
    LedgerHead,
    Pool,
    TopupCreate,
    TopupOut,
    TransactionType,
)
from panelist.models.common import now
from panelist.models.organizations import Organization

__all__ = [
    "PRICES",
    "Applied",
    "Change",
    "ChargeKind",
    "apply",
    "balance_out",
    "billed_minutes",
    "charge",
    "due_for_reset",
    "ensure_session_can_start",
    "first_of_next_month",
    "get_credits",
    "grant",
    "initial_ops",
    "ledger",
    "monthly_allowance",
    "price",
    "refund",
    "require_credits",
    "reset_due",
    "reset_monthly",
    "session_charge",
    "severity",
    "show",
    "tenths",
    "topup",
    "topup_out",
    "usage",
    "warning_message",
]


def _now() -> datetime:
    return now()  # looked up at each call, so a test can set this module's `now`


def get_credits(organization_id: str) -> Credits | None:
    return store.get_credits(organization_id)


def require_credits(organization_id: str) -> Credits:
    credits = get_credits(organization_id)
    if credits is None:  # an organization stored without going through create_organization
        raise PaymentRequired("This organization has no credits; top up first")
    return credits


def apply(
    organization_id: str,
    reference: str,
    build: Callable[[Credits], Change],
    *,
    extra_ops: Sequence[Item] = (),
) -> Applied:
    """Apply the Change `build(balance)` returns, once per reference (see `changes.apply`)."""
    return changes.apply(organization_id, reference, build, extra_ops=extra_ops, clock=_now)


# ------------------------------------------------------------------ grants, charges, purchases


def initial_ops(org: Organization) -> list[Item]:
    """The starter grant and this month's allowance of a new organization, for its creation transaction.

    Planned and written to the ledger as any change is; the balance is created in that same transaction.
    """
    at = org.created_at
    allowance = monthly_allowance(org.plan)
    credits = Credits(
        organization_id=org.id,
        organization_name=org.name,
        organization_slug=org.slug,
        parent_id=org.parent_id,
        plan=org.plan,
        monthly_amount=allowance,
        monthly_reset_at=first_of_next_month(at),
        currency=CURRENCY,
        updated_at=at,
    )
    grants = [
        (f"starter:{org.id}", planner.grant(Pool.starter, tenths(STARTER_CREDITS), "Starter credits")),
        (
            f"monthly:{org.id}:{times.month(at)}",
            planner.grant(
                Pool.monthly,
                allowance,
                f"Monthly credits ({org.plan.value} plan)",
                type=TransactionType.monthly_reset,
            ),
        ),
    ]
    head = LedgerHead(organization_id=org.id)
    plans: list[planner.Plan] = []
    written: dict[str, tuple[CreditTransaction, ...]] = {}
    for reference, change in grants:  # one after the other, as they would be one by one
        plans.append(planner.plan(credits, change, at, reference=reference))
        stamp = planner.stamp(head, [plans[-1].pending], at, thresholds())
        credits, head = plans[-1].after, stamp.head
        written.update(stamp.written)
    return store.creation_ops(credits, head, plans, written)


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
        return planner.charge(credits, amount, kind=kind, description=description, partial=partial)

    return apply(organization_id, reference, build, extra_ops=extra_ops)


def refund(organization_id: str, reference: str, description: str) -> Applied | None:
    """Give back, once, what the charge `reference` took, to the pools it came from; None if nothing was charged."""
    charged = store.reference(organization_id, reference)
    if charged is None or not charged.entries:
        return None
    return apply(organization_id, f"refund:{reference}", lambda _credits: planner.refund(charged.entries, description))


def grant(organization_id: str, pool: Pool, amount: int, *, reference: str, description: str) -> Applied:
    """Add `amount` tenths to a pool, once per reference."""
    return apply(organization_id, reference, lambda _credits: planner.grant(pool, amount, description))


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


def topup(request: TopupCreate) -> Applied:
    """Record a purchase of credits into the organization's top-up pool; one payment reference is recorded once.

    Only the operator (the platform-admin key) and verified Stripe payments (`panelist.billing.stripe`) call this:
    an organization never tops itself up. An unknown organization is a NotFound and nothing is written.
    """
    organization_id = request.organization_id
    if get_credits(organization_id) is None:  # every organization gets its balance in its creation transaction
        raise NotFound(
            f"No organization {organization_id}", field="organization_id", expected="the id of an organization"
        )
    amount = tenths(request.credits)
    paid = ""
    if request.amount_paid is not None:
        paid = f" ({request.amount_paid:.2f} {(request.currency or CURRENCY).upper()})"
    description = f"Credit top-up: {show(amount):,} credits{paid}"
    applied = apply(
        organization_id,
        f"topup:{request.payment_reference}",
        lambda _credits: planner.purchase(amount, description, request.payment_reference),
    )
    if applied.duplicate and applied.transactions and applied.transactions[0].amount != amount:
        raise BadRequest(
            "this payment_reference was already recorded with a different number of credits",
            field="payment_reference",
            expected="a new payment reference",
        )
    return applied


def topup_out(applied: Applied) -> TopupOut:
    """A recorded purchase and the balance after it, as POST /api/billing/topups answers."""
    balance = applied.credits or require_credits(applied.transactions[0].organization_id)
    return views.topup_out(applied.transactions[0], balance)


# ------------------------------------------------------------------ monthly reset


def due_for_reset(at: datetime | None = None, *, limit: int = 1000) -> list[str]:
    """Organizations whose monthly reset is due (one Query on GSI1, oldest due first)."""
    return store.due_for_reset(at or _now(), limit=limit)


def reset_monthly(organization_id: str, at: datetime | None = None) -> Applied | None:
    """Set the monthly pool to the plan's allowance, once per month; None when it is not due."""
    at = at or _now()
    credits = get_credits(organization_id)
    if credits is None or credits.monthly_reset_at > at:
        return None

    def build(current: Credits) -> Change:
        return planner.monthly_reset(current, monthly_allowance(current.plan), first_of_next_month(at))

    return apply(organization_id, f"monthly:{organization_id}:{times.month(at)}", build)


def reset_due(at: datetime | None = None) -> list[str]:
    """Reset every organization due; the ids reset (a retried run resets none twice)."""
    at = at or _now()
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


# ------------------------------------------------------------------ reading the ledger


def ledger(organization_id: str, start: date, end: date) -> list[CreditTransaction]:
    """Ledger entries of UTC days [start, end], oldest first (anything still queued is written first)."""
    changes.catch_up(organization_id, _now)
    return store.ledger(organization_id, start, end)


def usage(organization_id: str, start: date | None, end: date | None) -> dict[str, Any]:
    """Credits charged per UTC day (per month beyond DAILY_USAGE_DAYS) and per kind in [start, end]."""
    today = _now().date()
    end = end or today
    start = start or end.replace(day=1)
    if end < start:
        raise BadRequest("end_date is before start_date", field="end_date", expected="a date on or after start_date")
    return views.usage(ledger(organization_id, start, end), start, end)
