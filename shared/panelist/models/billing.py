"""Credit pools and the ledger of every change to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from panelist.models.common import Entity


class Pool(StrEnum):
    starter = "starter"
    monthly = "monthly"
    topup = "topup"


class Credits(Entity):
    organization_id: str
    starter: float = 0
    monthly: float = 0
    topup: float = 0
    monthly_amount: float = 0
    monthly_reset_at: datetime
    currency: str = "eur"
    last_low_balance_warning_at: datetime | None = None
    updated_at: datetime

    @property
    def total(self) -> float:
        return self.starter + self.monthly + self.topup


class CreditTransaction(Entity):
    id: str
    organization_id: str
    amount: float
    pool: Pool
    type: str
    description: str
    balance_after: float
    reference_id: str
    payment_intent_id: str | None = None
    created_at: datetime
