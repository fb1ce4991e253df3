"""What the billing API shows: the balance, a transaction, a top-up, usage per day and kind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from panelist.billing import planner
from panelist.billing.pricing import TYPICAL_SESSION_MINUTES, price, show, thresholds
from panelist.models.billing import (
    ChargeKind,
    CreditBalanceOut,
    Credits,
    CreditTransaction,
    LowBalanceWarning,
    Severity,
    TopupOut,
    TransactionOut,
    TransactionType,
)


def severity(total: int) -> Severity:
    return planner.severity(total, thresholds())


def warning_message(name: str, total: int) -> str:
    if severity(total) is Severity.info:
        return ""
    return f"{name} has only {show(total):,} credits remaining"


def balance_out(credits: Credits) -> CreditBalanceOut:
    level = severity(credits.total)
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
            message=warning_message("Your organization", credits.total),
        ),
        needs_topup=level is not Severity.info,
        estimated_sessions_remaining=credits.total // price("session_minute", TYPICAL_SESSION_MINUTES),
    )


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


def topup_out(transaction: CreditTransaction, balance: Credits) -> TopupOut:
    return TopupOut(transaction=transaction_out(transaction), balance=balance_out(balance))


DAILY_USAGE_DAYS = 366
"""A range whose end is more days than this after its start is answered per month (`by_month`, `by_day`
empty); within it, per day."""


def _buckets(buckets: dict[str, dict[str, int]], label: str) -> list[dict[str, Any]]:
    return [
        {
            label: key,
            "credits_used": show(sum(values.values())),
            "by_kind": {kind: show(value) for kind, value in values.items()},
        }
        for key, values in sorted(buckets.items())
    ]


def usage(entries: Sequence[CreditTransaction], start: date, end: date) -> dict[str, Any]:
    """Credits charged per kind (refunds netted out), and credits added, over [start, end]: per UTC day
    (`by_day`) for a range of up to DAILY_USAGE_DAYS days (the seed's shape), else per UTC month (`by_month`,
    the first and last months cut at the range's ends, and `by_day` empty)."""
    monthly = (end - start).days > DAILY_USAGE_DAYS
    kinds = [kind.value for kind in ChargeKind]
    buckets: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(kinds, 0)
    added = 0
    for txn in entries:
        if txn.type in (TransactionType.charge, TransactionType.refund) and txn.kind is not None:
            day = txn.created_at.astimezone(UTC).date().isoformat()
            key = day[:7] if monthly else day
            buckets.setdefault(key, dict.fromkeys(kinds, 0))[txn.kind.value] -= txn.amount
            totals[txn.kind.value] -= txn.amount
        elif txn.amount > 0:
            added += txn.amount
    shown: dict[str, Any] = {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "total_credits_used": show(sum(totals.values())),
        "total_credits_added": show(added),
        "by_kind": {kind: show(value) for kind, value in totals.items()},
        "by_day": [] if monthly else _buckets(buckets, "date"),
    }
    if monthly:
        shown["by_month"] = _buckets(buckets, "month")
    return shown
