"""Request limits per organization plan, counted in fixed hourly windows in DynamoDB.

Every request to the API is counted once, by one atomic `UpdateItem ADD` on the caller's window item
(`PK = RATE#<bucket>`, `SK = WINDOW#<epoch hour>`), which expires through the table's `ttl` attribute
shortly after its hour ends. The count comes back from the same call, so it is exact under concurrent
requests; refused requests count too (the stored count is the number of requests made).

Buckets: an organization's requests (any of its keys or tokens) count against the organization; the
platform-admin key has its own budget, so no tenant limit ever throttles it; a request without a
verified organization (no or bad credentials, the public invite pages, unknown routes) counts against
its source IP, stored only as a hash, at the free plan's limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from panelist.api import store
from panelist.api.auth import Principal
from panelist.api.store import ip_bucket, page_bucket
from panelist.core.errors import RateLimited
from panelist.models.organizations import Plan

WINDOW_SECONDS = 3600
TTL_GRACE_SECONDS = 600  # a window's item expires 10 minutes after the window ends

# Requests per hour of each plan. Enterprise organizations have their own `rate_limit_per_hour`,
# set by the platform admin; one without it gets ENTERPRISE_DEFAULT (never less than professional).
PLAN_LIMITS: dict[Plan, int] = {
    Plan.free: 100,
    Plan.starter: 1_000,
    Plan.professional: 10_000,
}
ENTERPRISE_DEFAULT = PLAN_LIMITS[Plan.professional]
ANONYMOUS_LIMIT = PLAN_LIMITS[Plan.free]  # per source IP, for API requests without an organization
# Per source IP, for the pages behind links (invites, interviews, shared reports), counted apart from the
# API: an interview takes about 45 requests, and candidates in one office share an address.
PAGE_LIMIT = 1_000
PLATFORM_ADMIN_LIMIT = 100_000  # the platform-admin key's own budget, apart from every tenant's

PLATFORM_ADMIN_BUCKET = "PLATFORM_ADMIN"


def clock() -> float:
    """Now, in epoch seconds (tests move it to another window)."""
    return time.time()


def organization_limit(plan: str, custom: int | None = None) -> int:
    """The hourly limit of an organization: its plan's, or its own when it is on the enterprise plan."""
    try:
        known = Plan(plan)
    except ValueError:
        return ANONYMOUS_LIMIT
    if known is Plan.enterprise:
        return custom or ENTERPRISE_DEFAULT
    return PLAN_LIMITS[known]


@dataclass(frozen=True)
class Allowance:
    """Where a caller stands in the current window, after counting this request."""

    limit: int
    count: int
    reset: int  # epoch seconds at which the window ends
    now: float

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def retry_after(self) -> int:
        """Seconds until the window resets (at least 1)."""
        return max(1, math.ceil(self.reset - self.now))

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if self.exceeded:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def hit(bucket: str, limit: int) -> Allowance:
    """Count one request against `bucket` in the current hour: one atomic DynamoDB update."""
    now = clock()
    window = int(now // WINDOW_SECONDS)
    reset = (window + 1) * WINDOW_SECONDS
    count = store.count_in_window(bucket, window, reset + TTL_GRACE_SECONDS)
    return Allowance(limit=limit, count=count, reset=reset, now=now)


def count(caller: Principal | None, source_ip: str, *, page: bool = False) -> Allowance:
    """Count a request against its caller's bucket: the organization, the platform admin or the source IP
    (a page behind a link in the IP's page bucket)."""
    if caller is None:
        if page:
            return hit(page_bucket(source_ip or "unknown"), PAGE_LIMIT)
        return hit(ip_bucket(source_ip or "unknown"), ANONYMOUS_LIMIT)
    if caller.is_platform_admin:
        return hit(PLATFORM_ADMIN_BUCKET, PLATFORM_ADMIN_LIMIT)
    return hit(caller.organization_id, organization_limit(caller.plan, caller.rate_limit_per_hour))


def refusal(allowance: Allowance) -> RateLimited:
    """The 429 of a caller over its limit."""
    return RateLimited(
        f"Rate limit exceeded: {allowance.limit} requests per hour; the window resets in "
        f"{allowance.retry_after} seconds",
        retry_after=allowance.retry_after,
    )
