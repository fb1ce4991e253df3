"""Requests per hour by plan, counted per organization (else per source IP) in fixed DynamoDB windows.

The clock is fixed inside one window, so the window's end (`X-RateLimit-Reset`) and `Retry-After` are
known exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from panelist.api import ratelimits
from panelist.models.organizations import Plan
from tests.functions.harness import make_tenant

TABLE = "Table"
NOW = 1_795_428_000 + 1_000  # 1,000 s into an hour
WINDOW = NOW // 3600
RESET = (WINDOW + 1) * 3600
SOURCE_IP = "203.0.113.10"  # the sample events' source
SEED_JOB = {
    "job_role": "Senior Python Developer",
    "job_description": "Five years of Django, Flask and FastAPI; databases, REST APIs and cloud; Docker.",
}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Fixed time; `clock.move(seconds)` moves it."""

    class Clock:
        now = float(NOW)

        def move(self, seconds: float) -> None:
            self.now += seconds

    fixed = Clock()
    monkeypatch.setattr(ratelimits, "clock", lambda: fixed.now)
    return fixed


def stored(bucket: str, window: int = WINDOW) -> dict | None:
    key = {"PK": {"S": f"RATE#{bucket}"}, "SK": {"S": f"WINDOW#{window}"}}
    return boto3.client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")


def count(bucket: str, window: int = WINDOW) -> int:
    item = stored(bucket, window)
    return int(item["count"]["N"]) if item else 0


def fill(bucket: str, requests: int) -> None:
    """Make the current window of `bucket` hold `requests` requests already."""
    item = {"PK": {"S": f"RATE#{bucket}"}, "SK": {"S": f"WINDOW#{WINDOW}"}, "count": {"N": str(requests)}}
    boto3.client("dynamodb").put_item(TableName=TABLE, Item=item)


def limits(reply) -> tuple[int, int, int]:
    headers = reply.headers
    return (
        int(headers["X-RateLimit-Limit"]),
        int(headers["X-RateLimit-Remaining"]),
        int(headers["X-RateLimit-Reset"]),
    )


def projects(api, tenant, **kwargs):
    return api("list_projects", headers=tenant.as_member(), query={}, **kwargs)


ANONYMOUS = ratelimits.ip_bucket  # the bucket of a request without an organization, by source IP


# ------------------------------------------------------------------ every answer carries the limits


def _xobin_ok(api, tenant):
    job = api("generate_interview", body=SEED_JOB, headers=tenant.as_member()).body["job_id"]
    path = f"/api/v2/task-executions/status/{job}"
    return api("get_task_status", path=path, path_params={"job_id": job}, headers=tenant.as_member())


CASES = {
    # surface, status: (call, counted against the organization?)
    ("xobin", 200): (_xobin_ok, True),
    ("xobin", 400): (lambda api, t: api("generate_interview", body={}, headers=t.as_member()), True),
    ("xobin", 401): (lambda api, t: api("get_task_status", headers={}), False),
    ("xobin", 404): (lambda api, t: api("route_not_found", path="/api/v2/nothing-here", method="GET"), False),
    ("jobmojito", 200): (lambda api, t: api("create_access_token", headers={"apikey": t.member_key}), True),
    ("jobmojito", 400): (
        lambda api, t: api("create_access_token", raw_body="[1]", headers={"apikey": t.member_key}),
        True,
    ),
    ("jobmojito", 401): (lambda api, t: api("create_access_token", headers={"apikey": "pnl_wrong"}), False),
    ("jobmojito", 404): (lambda api, t: api("route_not_found", path="/job-interview-nothing", method="GET"), False),
    ("relay", 200): (lambda api, t: projects(api, t), True),
    ("relay", 400): (lambda api, t: api("list_projects", headers=t.as_member(), query={"limit": "0"}), True),
    ("relay", 401): (lambda api, t: api("list_projects", headers={}), False),
    ("relay", 404): (lambda api, t: api("route_not_found", path="/api/nothing-here", method="GET"), False),
    ("relay", 403): (lambda api, t: api("list_organizations", headers=t.as_member(), query={}), True),
    ("relay", 405): (lambda api, t: api("route_not_found", path="/api/projects", method="DELETE"), False),
}
PAGE = ratelimits.page_bucket  # pages behind links count per source IP, apart from the API


@pytest.mark.parametrize("case", list(CASES), ids=[f"{surface}-{status}" for surface, status in CASES])
def test_every_answer_carries_the_limit_what_is_left_and_the_reset(api, tenant_a, case):
    call, by_organization = CASES[case]
    reply = call(api, tenant_a)
    assert reply.status == case[1]
    if by_organization:  # tenant_a is on the professional plan
        assert limits(reply) == (10_000, 10_000 - count(tenant_a.id), RESET)
    else:
        assert limits(reply) == (100, 100 - count(ANONYMOUS(SOURCE_IP)), RESET)
    assert "Retry-After" not in reply.headers


def test_admin_routes_carry_the_platform_admins_own_limit(api, platform_admin):
    reply = api("create_organization", body={"name": "Acme"}, headers=platform_admin)
    assert reply.status == 201
    assert limits(reply) == (ratelimits.PLATFORM_ADMIN_LIMIT, ratelimits.PLATFORM_ADMIN_LIMIT - 1, RESET)


def test_remaining_goes_down_by_one_per_request_whatever_the_answer(api, tenant_a):
    seen = [
        limits(projects(api, tenant_a))[1],
        limits(api("list_projects", headers=tenant_a.as_member(), query={"limit": "0"}))[1],  # a 400 counts too
        limits(api("create_access_token", headers={"apikey": tenant_a.member_key}))[1],  # any surface, same budget
        limits(projects(api, tenant_a))[1],
    ]
    assert seen == [9_999, 9_998, 9_997, 9_996]
    assert count(tenant_a.id) == 4


def test_the_window_item_expires_shortly_after_the_window(api, tenant_a):
    projects(api, tenant_a)
    item = stored(tenant_a.id)
    assert item is not None
    assert RESET < int(item["ttl"]["N"]) <= RESET + 3600


# ------------------------------------------------------------------ over the limit


@pytest.mark.slow
def test_concurrent_requests_past_the_limit_are_refused_exactly_and_do_nothing(api, clock, emulated):
    free = make_tenant("Small Shop", plan=Plan.free)
    fill(free.id, 90)

    def create(_: int):
        return api("create_project", body={"name": "Hiring"}, headers=free.as_admin())

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(create, range(20)))

    assert sorted(reply.status for reply in replies) == [201] * 10 + [429] * 10
    assert count(free.id) == 110
    for reply in replies:
        if reply.status == 429:
            assert limits(reply) == (100, 0, RESET)
            assert reply.headers["Retry-After"] == str(RESET - NOW)
            assert reply.body["error"]["code"] == "RATE_LIMITED"
            assert set(reply.body["error"]) == {"code", "message", "details"}
    served = [reply for reply in replies if reply.status == 201]
    assert sorted(limits(reply)[1] for reply in served) == list(range(10))  # 9 left, ..., 1 left, 0 left
    assert {limits(reply)[::2] for reply in served} == {(100, RESET)}

    clock.move(3600)  # the next window: the organization may read again
    listing = projects(api, free)
    assert listing.status == 200
    assert listing.body["total"] == 10  # the refused requests created nothing


@pytest.mark.parametrize(
    ("function", "kwargs", "body_keys"),
    [
        ("get_task_status", {}, {"error"}),
        ("create_access_token", {}, {"error"}),
        ("list_projects", {"query": {}}, {"error"}),
    ],
    ids=["xobin", "jobmojito", "relay"],
)
def test_the_refusal_is_a_429_in_the_surfaces_own_format(api, emulated, function, kwargs, body_keys):
    free = make_tenant("Small Shop", plan=Plan.free)
    fill(free.id, 100)
    reply = api(function, headers={"apikey": free.member_key}, **kwargs)
    assert reply.status == 429
    assert set(reply.body) == body_keys
    assert "Rate limit exceeded" in str(reply.body["error"])
    assert reply.headers["Retry-After"] == str(RESET - NOW)
    assert limits(reply) == (100, 0, RESET)
    assert count(free.id) == 101


def test_a_new_window_starts_from_zero(api, clock, emulated):
    free = make_tenant("Small Shop", plan=Plan.free)
    fill(free.id, 100)
    assert projects(api, free).status == 429
    clock.move(RESET - NOW)  # exactly when the window ends
    reply = projects(api, free)
    assert reply.status == 200
    assert limits(reply) == (100, 99, RESET + 3600)
    assert (count(free.id), count(free.id, WINDOW + 1)) == (101, 1)


def test_each_plan_has_its_limit(api, emulated):
    for plan, expected in [(Plan.free, 100), (Plan.starter, 1_000), (Plan.professional, 10_000)]:
        tenant = make_tenant(f"On {plan.value}", plan=plan)
        assert limits(projects(api, tenant))[0] == expected == ratelimits.PLAN_LIMITS[plan]


def _enterprise(api, platform_admin, **fields):
    org = api("create_organization", body={"name": "Big Corp", "plan": "enterprise", **fields}, headers=platform_admin)
    assert org.status == 201
    key = api(
        "create_api_key",
        path=f"/api/admin/organizations/{org.body['id']}/api-keys",
        path_params={"id": org.body["id"]},
        body={"name": "ATS"},
        headers=platform_admin,
    )
    return org.body, key.body["key"]


def test_an_enterprise_organization_has_its_own_limit(api, platform_admin):
    org, key = _enterprise(api, platform_admin, rate_limit_per_hour=3)
    assert org["rate_limit_per_hour"] == 3
    statuses = [api("list_projects", headers={"apikey": key}, query={}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert count(org["id"]) == 4


def test_an_enterprise_organization_without_its_own_limit_gets_the_default(api, platform_admin):
    org, key = _enterprise(api, platform_admin)
    assert org["rate_limit_per_hour"] is None
    reply = api("list_projects", headers={"apikey": key}, query={})
    assert limits(reply)[0] == ratelimits.ENTERPRISE_DEFAULT == 10_000


def test_only_enterprise_organizations_take_their_own_limit(api, platform_admin):
    reply = api(
        "create_organization",
        body={"name": "Acme", "plan": "starter", "rate_limit_per_hour": 50},
        headers=platform_admin,
    )
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == "rate_limit_per_hour"


def test_one_organizations_traffic_does_not_touch_anothers(api, emulated):
    busy = make_tenant("Busy", plan=Plan.free)
    quiet = make_tenant("Quiet", plan=Plan.free)
    fill(busy.id, 100)
    assert projects(api, busy).status == 429
    reply = projects(api, quiet)
    assert reply.status == 200
    assert limits(reply) == (100, 99, RESET)
    assert (count(busy.id), count(quiet.id)) == (101, 1)


def test_the_platform_admin_is_not_throttled_by_tenant_or_anonymous_limits(api, platform_admin, emulated):
    free = make_tenant("Small Shop", plan=Plan.free)
    fill(free.id, 100)
    fill(ANONYMOUS(SOURCE_IP), 100)  # the admin calls from the same address as everyone else
    fill(ratelimits.PLATFORM_ADMIN_BUCKET, 50_000)  # far over every plan's limit
    reply = api("list_organizations", headers=platform_admin, query={})
    assert reply.status == 200
    assert limits(reply) == (100_000, 100_000 - 50_001, RESET)
    assert (count(free.id), count(ANONYMOUS(SOURCE_IP))) == (100, 100)


# ------------------------------------------------------------------ requests without an organization


def test_requests_without_an_organization_count_per_source_ip(api, tenant_a):
    for _ in range(3):
        assert api("list_projects", headers={}).status == 401
    assert api("route_not_found", path="/api/nothing", method="GET").status == 404
    other = api("list_projects", headers={}, source_ip="198.51.100.7")
    assert limits(other) == (100, 99, RESET)
    assert count(tenant_a.id) == 0


def test_pages_behind_links_count_per_address_apart_from_the_api(api, emulated):
    fill(ANONYMOUS(SOURCE_IP), 100)  # this address has used its API budget: its candidates still get pages
    page = api("open_invite", path="/interview/nope", path_params={"token": "nope"}, headers={})
    assert page.status == 404
    assert limits(page) == (ratelimits.PAGE_LIMIT, ratelimits.PAGE_LIMIT - 1, RESET)
    fill(PAGE(SOURCE_IP), ratelimits.PAGE_LIMIT)
    refused = api("open_invite", path="/interview/nope", path_params={"token": "nope"}, headers={})
    assert refused.status == 429
    assert refused.headers["Retry-After"] == str(RESET - NOW)


def test_an_address_over_the_limit_gets_429_before_anything_else(api, emulated):
    fill(ANONYMOUS(SOURCE_IP), 100)
    unauthenticated = api("get_task_status", headers={})
    assert (unauthenticated.status, set(unauthenticated.body)) == (429, {"error"})
    unmatched = api("route_not_found", path="/job-interview-nothing", method="GET")
    assert unmatched.status == 429
    assert set(unmatched.body) == {"error"}  # the JobMojito format: no field to name
    assert unmatched.headers["Retry-After"] == str(RESET - NOW)
    assert limits(unmatched) == (100, 0, RESET)
    relay = api("route_not_found", path="/api/nothing", method="GET")
    assert (relay.status, relay.body["error"]["code"]) == (429, "RATE_LIMITED")


def test_addresses_are_stored_only_as_hashes(api, emulated):
    api("list_projects", headers={})
    api("route_not_found", path="/api/nothing", method="GET")
    dump = str(boto3.client("dynamodb").scan(TableName=TABLE)["Items"])
    assert SOURCE_IP not in dump
    assert count(ANONYMOUS(SOURCE_IP)) == 2


def test_every_api_function_may_count_its_requests(template):
    """Each function behind a route writes its window item: it needs the template's RateLimitPolicy."""
    behind_routes = [
        resource
        for resource in template.of_type("AWS::Serverless::Function")
        if any(event.get("Type") == "HttpApi" for event in (resource.properties.get("Events") or {}).values())
    ]
    assert len(behind_routes) > 20
    missing = [
        r.logical_id for r in behind_routes if {"Ref": "RateLimitPolicy"} not in r.properties.get("Policies", [])
    ]
    assert missing == []
