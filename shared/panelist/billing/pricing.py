"""What things cost and what plans get: every price and allowance in one place, in credits.

Amounts are handled as integer tenths of a credit (`tenths`), the smallest price being 0.1 credit, so
sums are exact; the API shows credits (`show`: 600, 0.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from panelist.core.settings import get_settings
from panelist.models.billing import Number
from panelist.models.organizations import Plan

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


def tenths(credits: float) -> int:
    return round(credits * TENTHS)


def show(amount: int) -> Number:
    """Tenths as the API shows credits: 600, 0.1."""
    return amount // TENTHS if amount % TENTHS == 0 else amount / TENTHS


def price(name: str, quantity: int = 1) -> int:
    """The price of `quantity` units of PRICES[name], in tenths."""
    return tenths(PRICES[name]) * quantity


def monthly_allowance(plan: Plan) -> int:
    """A plan's monthly allowance, in tenths."""
    amount = MONTHLY_CREDITS[plan]
    return tenths(get_settings().enterprise_monthly_credits if amount is None else amount)


def billed_minutes(started: datetime, ended: datetime) -> int:
    """Started minutes between two instants (a session of 4 min 1 s is 5 minutes), capped."""
    seconds = max(0.0, (ended - started).total_seconds())
    return min(MAX_BILLED_MINUTES, math.ceil(seconds / 60))


def first_of_next_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Thresholds:
    """The low-balance thresholds, in tenths: under `low` is a warning, under `critical` is critical."""

    low: int
    critical: int


def thresholds() -> Thresholds:
    settings = get_settings()
    return Thresholds(low=tenths(settings.low_balance_credits), critical=tenths(settings.critical_balance_credits))
