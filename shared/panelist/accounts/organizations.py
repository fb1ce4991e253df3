"""Organizations (tenants) and sub-merchants, managed through the platform-admin surface."""

from __future__ import annotations

import re
import secrets

from panelist.billing import credits
from panelist.core.errors import BadRequest, Conflict, NotFound
from panelist.core.storage import ConditionFailed, Item, counter_op, org_pk, put_op, table, update_op
from panelist.models.common import new_id, now
from panelist.models.organizations import Organization, OrganizationCreate, Plan

PLATFORM_PK = "PLATFORM"
ORG_SK = "ORG"
ORG_INDEX_PK = "ORGS"  # GSI1 partition listing every organization, oldest first


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-")
    return slug or "org"


def _item(org: Organization) -> Item:
    return {
        "PK": org_pk(org.id),
        "SK": ORG_SK,
        "GSI1PK": ORG_INDEX_PK,
        "GSI1SK": f"{org.created_at.isoformat()}#{org.id}",
        "type": "Organization",
        **org.model_dump(mode="json"),
    }


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
    ops = [
        put_op(_item(org), unique=True),
        put_op({"PK": f"SLUG#{slug}", "SK": "SLUG", "organization_id": org.id}, unique=True),
        counter_op(PLATFORM_PK, "organizations"),
        *credits.initial_ops(org),  # the starter grant and this month's allowance, with the organization
    ]
    if org.parent_id:
        ops.append(
            update_op(
                org_pk(org.parent_id),
                ORG_SK,
                "ADD sub_merchants :one",
                condition="attribute_exists(PK)",
                one=1,
            )
        )
    try:
        table().transact(*ops)
    except ConditionFailed as exc:
        if org.parent_id and exc.reasons[-1] == "ConditionalCheckFailed":
            raise NotFound("parent organization not found", field="parent_id") from None
        raise Conflict(f"slug {slug!r} is already taken", field="slug", expected="a unique slug") from None
    return org


def get_organization(organization_id: str) -> Organization:
    item = table().get(org_pk(organization_id), ORG_SK)
    if item is None:
        raise NotFound("organization not found", field="id")
    return Organization.model_validate(item)


def list_organizations(*, offset: int, limit: int) -> tuple[list[Organization], int]:
    items = table().query_offset(ORG_INDEX_PK, index="GSI1", offset=offset, limit=limit)
    return [Organization.model_validate(i) for i in items], table().counter(PLATFORM_PK, "organizations")
