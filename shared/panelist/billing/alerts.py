"""Low-balance warnings: a `credits.low` webhook event and a mail to the billing address.

They are decided when changes are written to the ledger (planner `stamp`, once per crossing, recorded
on the ledger head in that same write) and sent here only after that write committed: best effort,
never failing the change that crossed.
"""

from __future__ import annotations

from collections.abc import Iterable

from panelist.accounts.store import get_organization
from panelist.billing.planner import Crossing
from panelist.billing.pricing import show
from panelist.billing.views import warning_message
from panelist.core import mail
from panelist.core.errors import NotFound
from panelist.core.observability import logger
from panelist.core.settings import get_settings
from panelist.models.billing import Severity
from panelist.webhooks import endpoints


def send(crossings: Iterable[Crossing]) -> None:
    """Warn of each crossing; a failure is logged, never raised."""
    for crossing in crossings:
        try:
            _send(crossing)
        except Exception:
            logger.exception("could not send the low-balance warning", organization_id=crossing.organization_id)


def _send(crossing: Crossing) -> None:
    settings = get_settings()
    critical = crossing.severity is Severity.critical
    message = warning_message(crossing.organization_name or "Your organization", crossing.total)
    data = {
        "organization_id": crossing.organization_id,
        "severity": crossing.severity.value,
        "message": message,
        "total_credits": show(crossing.total),
        "threshold_credits": settings.critical_balance_credits if critical else settings.low_balance_credits,
    }
    # One key per crossing (its place in the ledger): a repeated send is the same webhook.
    key = f"credits.low:{crossing.organization_id}:{crossing.severity.value}:{crossing.seq}"
    endpoints.publish(crossing.organization_id, "credits.low", data, idempotency_key=key)
    email = _billing_email(crossing.organization_id)
    if not email:
        return
    try:
        mail.send(
            email,
            f"Panelist credits {'critically ' if critical else ''}low: {show(crossing.total):,} remaining",
            "credits_low",
            organization=crossing.organization_name,
            severity=crossing.severity.value,
            total=f"{show(crossing.total):,}",
            message=message,
        )
    except Exception:
        logger.exception("could not mail the low-balance warning", organization_id=crossing.organization_id)


def _billing_email(organization_id: str) -> str | None:
    try:
        return get_organization(organization_id).billing_email
    except NotFound:
        return None
