"""Organizations (tenants), their API keys, and access tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from panelist.models.common import Entity, Input, Output, Timestamp


class Plan(StrEnum):
    free = "free"
    starter = "starter"
    professional = "professional"
    enterprise = "enterprise"


class Role(StrEnum):
    member = "member"
    admin = "admin"


class Organization(Entity):
    id: str
    name: str
    slug: str
    plan: Plan
    parent_id: str | None = None
    rate_limit_per_hour: int | None = None
    billing_email: str | None = None
    created_at: datetime
    updated_at: datetime


class ApiKey(Entity):
    id: str
    organization_id: str
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class OrganizationCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    plan: Plan = Plan.free
    parent_id: str | None = Field(default=None, description="Parent organization (makes this a sub-merchant)")
    rate_limit_per_hour: int | None = Field(default=None, ge=1, description="Enterprise plans only")
    billing_email: str | None = Field(
        default=None,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Where low-balance warnings are mailed",
    )


class OrganizationOut(Output):
    id: str
    name: str
    slug: str
    plan: Plan
    parent_id: str | None
    rate_limit_per_hour: int | None
    billing_email: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ApiKeyCreate(Input):
    name: str = Field(default="API key", min_length=1, max_length=200)
    role: Role = Role.member


class ApiKeyOut(Output):
    id: str
    organization_id: str
    name: str
    role: Role
    prefix: str
    created_at: Timestamp
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. Shown only in this response; store it now.")


class AccessTokenRequest(Input):
    expires_in: int = Field(default=3600, ge=60, le=3600, description="Lifetime in seconds")


class AccessTokenOut(Output):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    expires_at: Timestamp
    organization_id: str
    role: Role
