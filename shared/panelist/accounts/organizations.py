"""Organizations (tenants) and sub-merchants, managed through the platform-admin surface."""

from __future__ import annotations

import re
import secrets

from panelist.accounts import store
from panelist.accounts.store import get_organization, list_organizations
from panelist.billing import credits
from panelist.core.errors import BadRequest
from panelist.models.common import new_id, now
from panelist.models.organizations import Organization, OrganizationCreate, Plan

__all__ = ["create_organization", "get_organization", "list_organizations"]


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-")
    return slug or "org"


def create_organization(request: OrganizationCreate) -> Organization:
    """Create an organization; its slug is unique across the platform.

    Only an enterprise organization has its own `rate_limit_per_hour` (see `panelist.api.ratelimits`).
    """
    if request.rate_limit_per_hour is not None and request.plan is not Plan.enterprise:
        raise BadRequest(
            f"rate_limit_per_hour is only set on the enterprise plan; the {request.plan.value} plan has its own limit",
            field="rate_limit_per_hour",
            expected="no value unless plan is enterprise",
        )
    created = now()
    slug = request.slug or f"{_slugify(request.name)}-{secrets.token_hex(2)}"
    org = Organization(
        id=new_id(), slug=slug, created_at=created, updated_at=created, **request.model_dump(exclude={"slug"})
    )
    # the starter grant and this month's allowance are written with the organization
    store.insert_organization(org, with_ops=credits.initial_ops(org))
    return org
