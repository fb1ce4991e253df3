"""The admin credit summary (GET /api/admin/credits/summary): balances, low ones, recent transactions.

An organization's admin sees the organization and its sub-merchants; the operator (organization_id
None) sees every organization. The model is snake_case here and camelCase on the wire (the seed's).
"""

from __future__ import annotations

from panelist.billing import store
from panelist.billing.pricing import show
from panelist.billing.views import severity, warning_message
from panelist.models.billing import (
    BalanceAlert,
    Credits,
    CreditSummary,
    CreditTotals,
    CreditTransaction,
    LowBalanceOrganization,
    RecentTransaction,
    Severity,
)

RECENT_TRANSACTIONS = 20


def _low(credits: Credits) -> LowBalanceOrganization:
    return LowBalanceOrganization(
        organization_id=credits.organization_id,
        organization_name=credits.organization_name,
        organization_slug=credits.organization_slug,
        starter=show(credits.starter),
        monthly=show(credits.monthly),
        topup=show(credits.topup),
        total=show(credits.total),
        monthly_credits_amount=show(credits.monthly_amount),
        monthly_credits_reset_at=credits.monthly_reset_at,
        updated_at=credits.updated_at,
        severity=severity(credits.total),
    )


def _recent(txn: CreditTransaction) -> RecentTransaction:
    return RecentTransaction(
        id=txn.id,
        organization_id=txn.organization_id,
        organization_name=txn.organization_name,
        organization_slug=txn.organization_slug,
        amount_credits=show(txn.amount),
        credit_type=txn.pool,
        transaction_type=txn.type,
        description=txn.description,
        balance_after_credits=show(txn.balance_after),
        payment_intent_id=txn.payment_intent_id,
        created_at=txn.created_at,
    )


def credit_summary(organization_id: str | None, *, recent: int = RECENT_TRANSACTIONS) -> CreditSummary:
    """The summary over the balances the caller sees (organization_id None: every organization)."""
    balances = store.balances(organization_id)
    low = sorted(
        (c for c in balances if severity(c.total) is not Severity.info), key=lambda c: (c.total, c.organization_name)
    )
    return CreditSummary(
        summary=CreditTotals(
            total_organizations=len(balances),
            total_starter_credits=show(sum(c.starter for c in balances)),
            total_monthly_credits=show(sum(c.monthly for c in balances)),
            total_topup_credits=show(sum(c.topup for c in balances)),
            total_credits=show(sum(c.total for c in balances)),
            low_balance_count=len(low),
            critical_balance_count=sum(1 for c in low if severity(c.total) is Severity.critical),
        ),
        low_balance_organizations=[_low(c) for c in low],
        recent_transactions=[_recent(t) for t in store.recent(organization_id, recent)],
        alerts=[
            BalanceAlert(
                organization_id=c.organization_id,
                severity=severity(c.total),
                message=warning_message(c.organization_name or c.organization_slug, c.total),
            )
            for c in low
        ],
    )
