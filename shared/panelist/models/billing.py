"""Credit pools, the ledger of every change to them, and the billing API's shapes.

Amounts are stored as integer tenths of a credit (the smallest price is 0.1 credit), so sums are
exact; the API shows credits (600, 0.1).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from panelist.models.common import Entity, Input, Output, TimestampMs
from panelist.models.organizations import Plan

Number = int | float


class Pool(StrEnum):
    starter = "starter"
    monthly = "monthly"
    topup = "topup"


class TransactionType(StrEnum):
    grant = "grant"
    monthly_reset = "monthly_reset"
    purchase = "purchase"
    charge = "charge"
    refund = "refund"


class ChargeKind(StrEnum):
    session = "session"
    generation = "generation"
    translation = "translation"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class Credits(Entity):
    """An organization's balance (one item per organization); amounts in tenths of a credit.

    `warned_severity` and `last_low_balance_warning_at` are the ledger's (LedgerHead), merged in on read.
    `version` counts the changes committed to the pools.
    """

    organization_id: str
    organization_name: str = ""
    organization_slug: str = ""
    parent_id: str | None = None
    plan: Plan = Plan.free
    starter: int = 0
    monthly: int = 0
    topup: int = 0
    monthly_amount: int = 0
    monthly_reset_at: datetime
    currency: str = "eur"
    warned_severity: Severity | None = None
    last_low_balance_warning_at: datetime | None = None
    shortfall: int = 0
    version: int = 0
    updated_at: datetime

    @property
    def total(self) -> int:
        return self.starter + self.monthly + self.topup

    def pool(self, pool: Pool) -> int:
        value: int = getattr(self, pool.value)
        return value


class LedgerHead(Entity):
    """Where an organization's ledger stands: entries written so far and the total after the last one.

    Changes are committed to the pools first (Credits) and then written to the ledger in one order, by
    whoever comes next; the head is what that order continues from, and where low-balance warnings are
    recorded (they are decided in ledger order, so each crossing is seen once).
    """

    organization_id: str
    seq: int = 0
    total: int = 0
    warned_severity: Severity | None = None
    last_low_balance_warning_at: datetime | None = None
    updated_at: datetime | None = None


class CreditTransaction(Entity):
    """One ledger entry: a change of one pool; amounts in tenths of a credit."""

    id: str
    organization_id: str
    organization_name: str = ""
    organization_slug: str = ""
    amount: int
    pool: Pool
    type: TransactionType
    kind: ChargeKind | None = None
    description: str
    balance_after: int = Field(description="The organization's total balance after this entry")
    reference_id: str
    payment_intent_id: str | None = None
    shortfall: int = Field(default=0, description="What a charge could not cover (tenths)")
    seq: int = Field(default=0, description="Its place in the organization's ledger (1, 2, ...); 0 until written there")
    created_at: datetime


class TopupCreate(Input):
    """A purchase of credits for an organization: recorded by the operator, or from a verified Stripe payment."""

    organization_id: str = Field(min_length=1, max_length=64)
    credits: float = Field(gt=0, le=10_000_000, multiple_of=0.1)
    payment_reference: str = Field(min_length=1, max_length=255)
    amount_paid: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


class TransactionOut(Output):
    id: str
    amount: Number
    pool: Pool
    type: TransactionType
    kind: ChargeKind | None
    description: str
    balance_after: Number
    reference_id: str
    payment_reference: str | None
    created_at: TimestampMs


class LowBalanceWarning(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shouldWarn: bool  # the seed's name
    severity: Severity
    message: str


class CreditBalanceOut(Output):
    starter_credits: Number
    monthly_credits: Number
    topup_credits: Number
    total_credits: Number
    monthly_credits_amount: Number
    monthly_credits_reset_at: TimestampMs
    currency: str
    last_low_balance_warning_at: TimestampMs | None
    updated_at: TimestampMs
    low_balance_warning: LowBalanceWarning
    needs_topup: bool
    estimated_sessions_remaining: int


class TopupOut(Output):
    """A recorded purchase (the same one again for a repeated payment_reference) and the balance now."""

    transaction: TransactionOut
    balance: CreditBalanceOut


# ------------------------------------------------------------------ Stripe webhook events (the parts a top-up reads)


class StripeEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: dict[str, Any]


class StripeEvent(BaseModel):
    """A Stripe event (https://docs.stripe.com/api/events/object); Stripe sends more than is read here."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    data: StripeEventData


class StripePayment(BaseModel):
    """A Checkout Session or a PaymentIntent, as far as a top-up reads it; amounts in the currency's minor unit."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    metadata: dict[str, str] | None = None
    payment_status: str | None = None  # Checkout Session: "paid", "unpaid" or "no_payment_required"
    payment_intent: str | None = None  # Checkout Session
    amount_total: int | None = Field(default=None, ge=0)  # Checkout Session
    amount_received: int | None = Field(default=None, ge=0)  # PaymentIntent
    currency: str | None = None


class StripeOutcome(StrEnum):
    credited = "credited"
    already_credited = "already_credited"  # the payment was credited before (its other event, or a retry)
    ignored = "ignored"


class StripeWebhookOut(Output):
    """What POST /api/billing/stripe/webhook answers Stripe (shown in the Dashboard's delivery log)."""

    received: bool = True
    event_id: str
    event_type: str
    outcome: StripeOutcome
    reason: str | None = None
    organization_id: str | None = None
    payment_intent_id: str | None = None
    transaction_id: str | None = None
    credits: Number | None = None


# ------------------------------------------------------------------ the admin summary (the seed's camelCase)


class _Camel(BaseModel):
    """An output of the seed's admin summary: snake_case here, camelCase on the wire."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class CreditTotals(_Camel):
    total_organizations: int
    total_starter_credits: Number
    total_monthly_credits: Number
    total_topup_credits: Number
    total_credits: Number
    low_balance_count: int
    critical_balance_count: int


class LowBalanceOrganization(_Camel):
    organization_id: str
    organization_name: str
    organization_slug: str
    starter: Number
    monthly: Number
    topup: Number
    total: Number
    monthly_credits_amount: Number
    monthly_credits_reset_at: TimestampMs
    updated_at: TimestampMs
    severity: Severity


class RecentTransaction(_Camel):
    id: str
    organization_id: str
    organization_name: str
    organization_slug: str
    amount_credits: Number
    credit_type: Pool
    transaction_type: TransactionType
    description: str
    balance_after_credits: Number
    payment_intent_id: str | None
    created_at: TimestampMs


class BalanceAlert(_Camel):
    organization_id: str
    severity: Severity
    message: str


class CreditSummary(_Camel):
    """GET /api/admin/credits/summary."""

    summary: CreditTotals
    low_balance_organizations: list[LowBalanceOrganization]
    recent_transactions: list[RecentTransaction]
    alerts: list[BalanceAlert]
