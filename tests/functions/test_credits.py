"""Credits: pools, the ledger, charges under concurrency, top-ups, the monthly reset and the billing routes."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from panelist.accounts.organizations import create_organization
from panelist.billing import changes, credits, store
from panelist.core import aws
from panelist.core.errors import PaymentRequired
from panelist.core.storage import org_pk, table
from panelist.models.billing import ChargeKind, Credits, Pool, TopupCreate, TransactionType
from panelist.models.common import new_id, now
from panelist.models.organizations import OrganizationCreate, Plan
from panelist.models.sessions import SessionStatus
from panelist.sessions.lifecycle import finish_session, save_new_session
from panelist.sessions.store import get_session, list_sessions
from panelist_local.emulator import sent_mail
from panelist_local.runtime import scheduled_event
from tests.functions.harness import Tenant, invoke, make_tenant, queued_webhooks
from tests.functions.test_sessions import make_session

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:panelist-test-generate-interview"
MS_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
GENERATE = {"job_role": "Data Engineer", "job_description": "Spark, Airflow and SQL."}


def _balance(organization_id: str) -> Credits:
    found = credits.get_credits(organization_id)
    assert found is not None
    return found


def _pools(organization_id: str) -> tuple[int, int, int]:
    c = _balance(organization_id)
    return c.starter, c.monthly, c.topup


def _ledger(organization_id: str):
    today = now().date()
    return credits.ledger(organization_id, today - timedelta(days=400), today + timedelta(days=400))


def _set_pools(organization_id: str, *, starter: float, monthly: float, topup: float) -> None:
    """Bring the pools to known amounts (credits) through the ledger, with one adjusting entry per pool."""
    wanted = {
        Pool.starter: credits.tenths(starter),
        Pool.monthly: credits.tenths(monthly),
        Pool.topup: credits.tenths(topup),
    }
    credits.apply(
        organization_id,
        f"setup:{new_id()}",
        lambda c: credits.Change(TransactionType.grant, "setup", {p: v - c.pool(p) for p, v in wanted.items()}),
    )
    assert _pools(organization_id) == tuple(wanted.values())


def _assert_ledger_matches(organization_id: str) -> None:
    c = _balance(organization_id)
    entries = _ledger(organization_id)
    for pool in Pool:
        assert sum(e.amount for e in entries if e.pool is pool) == c.pool(pool), pool
    assert entries[-1].balance_after == c.total


# ------------------------------------------------------------------ grants


def test_a_new_organization_gets_its_starter_credits_and_the_plan_allowance_in_the_ledger(emulated):
    tenant = make_tenant("Acme Labs", plan=Plan.starter)
    c = _balance(tenant.id)
    assert (c.starter, c.monthly, c.topup) == (10_000, 10_000, 0)  # tenths: 1000 + 1000 credits
    assert c.monthly_reset_at == credits.first_of_next_month(now())
    entries = _ledger(tenant.id)
    assert [(e.pool, e.type, e.amount) for e in entries] == [
        (Pool.starter, TransactionType.grant, 10_000),
        (Pool.monthly, TransactionType.monthly_reset, 10_000),
    ]
    assert entries[-1].balance_after == 20_000
    _assert_ledger_matches(tenant.id)


def test_plans_have_their_allowance_from_one_table(emulated):
    for plan, expected in ((Plan.free, 1000), (Plan.professional, 50_000), (Plan.enterprise, 200_000)):
        org = create_organization(OrganizationCreate(name=f"Org {plan.value}", plan=plan))
        assert _balance(org.id).monthly == expected


# ------------------------------------------------------------------ charges


def test_charges_take_starter_then_monthly_then_topup(emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=100, monthly=500, topup=50)
    org = tenant.id
    credits.charge(org, 800, kind=ChargeKind.session, reference="a", description="a")
    assert _pools(org) == (200, 5000, 500)
    applied = credits.charge(org, 700, kind=ChargeKind.session, reference="b", description="b")
    assert _pools(org) == (0, 4500, 500)
    assert [(t.pool, t.amount, t.balance_after) for t in applied.transactions] == [
        (Pool.starter, -200, 5500),
        (Pool.monthly, -500, 5000),
    ]
    credits.charge(org, 4600, kind=ChargeKind.generation, reference="c", description="c")
    assert _pools(org) == (0, 0, 400)
    with pytest.raises(PaymentRequired):
        credits.charge(org, 401, kind=ChargeKind.generation, reference="d", description="d")
    assert _pools(org) == (0, 0, 400)
    assert table().get(org_pk(org), "CREDITREF#d") is None


def test_a_retried_charge_with_the_same_reference_is_charged_once(emulated):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    first = credits.charge(tenant.id, 500, kind=ChargeKind.generation, reference="job-1", description="x")
    again = credits.charge(tenant.id, 500, kind=ChargeKind.generation, reference="job-1", description="x")
    assert not first.duplicate
    assert again.duplicate
    assert [t.id for t in again.transactions] == [t.id for t in first.transactions]
    assert _balance(tenant.id).total == before - 500
    _assert_ledger_matches(tenant.id)


@pytest.mark.slow
def test_twenty_concurrent_charges_never_overdraw(emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=100, monthly=300, topup=250)  # 650 credits = 6500 tenths
    start = _balance(tenant.id).total

    def charge(n: int) -> int:
        try:
            applied = credits.charge(
                tenant.id, 500, kind=ChargeKind.session, reference=f"concurrent-{n}", description="x"
            )
        except PaymentRequired:
            return 0
        return -applied.amount

    with ThreadPoolExecutor(max_workers=20) as pool:
        charged = list(pool.map(charge, range(20)))
    assert sum(charged) == start == 6500
    assert charged.count(500) == 13
    assert charged.count(0) == 7
    assert _pools(tenant.id) == (0, 0, 0)
    entries = _ledger(tenant.id)
    assert all(e.balance_after >= 0 for e in entries)
    _assert_ledger_matches(tenant.id)


@pytest.mark.slow
def test_twenty_concurrent_partial_charges_take_exactly_the_balance(emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=10, monthly=20, topup=33.3)
    start = _balance(tenant.id).total  # 633 tenths

    def charge(n: int) -> tuple[int, int]:
        applied = credits.charge(
            tenant.id, 70, kind=ChargeKind.session, reference=f"p-{n}", description="x", partial=True
        )
        return -applied.amount, applied.shortfall

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(charge, range(20)))
    assert sum(c for c, _ in results) == start
    assert sum(s for _, s in results) == 20 * 70 - start
    assert _balance(tenant.id).total == 0
    assert _balance(tenant.id).shortfall == 20 * 70 - start
    _assert_ledger_matches(tenant.id)


# ------------------------------------------------------------------ top-ups


def _topup(organization_id: str, **fields) -> dict:
    return {"organization_id": organization_id, "credits": 10000, "payment_reference": "pi_test_123", **fields}


def test_the_operator_tops_up_the_organization_it_names_once_per_payment_reference(api, platform_admin):
    tenant, other = make_tenant("Acme Labs"), make_tenant("Bright Water")
    before, other_before = _balance(tenant.id), _balance(other.id)
    body = _topup(tenant.id, amount_paid=100, currency="eur")
    first = api("create_topup", body=body, headers=platform_admin)
    assert first.status == 201, first.body
    again = api("create_topup", body=body, headers=platform_admin)
    assert again.status == 200
    assert again.body["transaction"] == first.body["transaction"]
    assert first.body["transaction"]["amount"] == 10000
    assert first.body["transaction"]["pool"] == "topup"
    assert first.body["transaction"]["type"] == "purchase"
    assert first.body["transaction"]["payment_reference"] == "pi_test_123"
    assert first.body["transaction"]["description"] == "Credit top-up: 10,000 credits (100.00 EUR)"
    assert first.body["balance"]["topup_credits"] == before.topup / 10 + 10000
    after = _balance(tenant.id)
    assert after.topup == before.topup + 100_000
    assert after.total == before.total + 100_000
    assert _balance(other.id).total == other_before.total  # only the organization named
    assert [e.type for e in _ledger(tenant.id)].count(TransactionType.purchase) == 1
    _assert_ledger_matches(tenant.id)

    changed = api("create_topup", body=_topup(tenant.id, credits=20000), headers=platform_admin)
    assert changed.status == 400
    assert changed.body["error"]["details"]["field"] == "payment_reference"
    assert _balance(tenant.id).total == after.total

    summary = api("get_credit_summary", headers=platform_admin).body
    [purchase] = [t for t in summary["recentTransactions"] if t["transactionType"] == "purchase"]
    assert (purchase["organizationId"], purchase["paymentIntentId"]) == (tenant.id, "pi_test_123")
    assert purchase["amountCredits"] == 10000


def test_an_organization_key_cannot_top_up_any_organization(api, tenant_a, tenant_b):
    before_a, before_b = _balance(tenant_a.id).total, _balance(tenant_b.id).total
    token = api("create_access_token", headers=tenant_a.as_admin()).body["access_token"]
    for headers in (
        tenant_a.as_admin(),
        tenant_a.as_member(),
        {"authorization": f"Bearer {token}"},
    ):
        for organization_id in (tenant_a.id, tenant_b.id):
            reply = api("create_topup", body=_topup(organization_id), headers=headers)
            assert reply.status == 403, (headers, reply.body)
            assert reply.body["error"]["code"] == "FORBIDDEN"
            assert "platform-admin" in reply.body["error"]["message"]
    assert api("create_topup", body=_topup(tenant_a.id)).status == 401
    assert (_balance(tenant_a.id).total, _balance(tenant_b.id).total) == (before_a, before_b)
    assert TransactionType.purchase not in [e.type for e in _ledger(tenant_a.id)]


def test_a_top_up_for_an_unknown_organization_is_a_404_and_writes_nothing(api, platform_admin):
    missing = new_id()
    reply = api("create_topup", body=_topup(missing), headers=platform_admin)
    assert reply.status == 404
    assert reply.body == {
        "error": {
            "code": "NOT_FOUND",
            "message": f"No organization {missing}",
            "details": {"field": "organization_id", "expected": "the id of an organization"},
        }
    }
    assert store.reference(missing, "topup:pi_test_123") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"credits": 0}, "credits"),
        ({"credits": 1.25}, "credits"),
        ({"credits": 10_000_001}, "credits"),
        ({"payment_reference": ""}, "payment_reference"),
        ({"organization_id": ""}, "organization_id"),
        ({"currency": "euro"}, "currency"),
    ],
)
def test_a_top_up_refuses_bad_fields(api, platform_admin, body, field):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    reply = api("create_topup", body={**_topup(tenant.id), **body}, headers=platform_admin)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"]["field"] == field
    assert _balance(tenant.id).total == before


def test_a_top_up_without_the_organization_names_the_field(api, platform_admin):
    reply = api("create_topup", body={"credits": 5, "payment_reference": "x"}, headers=platform_admin)
    assert reply.status == 400
    assert reply.body["error"]["details"] == {"field": "organization_id", "expected": "a value"}


@pytest.mark.slow
def test_concurrent_topups_with_one_payment_reference_count_once(emulated):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    request = TopupCreate(organization_id=tenant.id, credits=250, payment_reference="pi_same")
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: credits.topup(request), range(10)))
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.transactions[0].id for r in results}) == 1
    assert _balance(tenant.id).total == before + 2500


# ------------------------------------------------------------------ monthly reset


def _make_due(organization_id: str, *, monthly: int, due: datetime) -> None:
    """Set the monthly pool (through the ledger) and when it is next reset."""
    credits.apply(
        organization_id,
        f"setup:due:{new_id()}",
        lambda c: credits.Change(
            TransactionType.grant, "setup", {Pool.monthly: monthly - c.monthly}, sets={"monthly_reset_at": due}
        ),
    )


def test_the_monthly_reset_runs_from_the_templates_schedule_once_per_month(template, emulated):
    due, not_due = make_tenant("Acme Labs"), make_tenant("Bright Water")
    next_month = credits.first_of_next_month(now())
    _make_due(due.id, monthly=1234, due=next_month)
    _make_due(not_due.id, monthly=4321, due=credits.first_of_next_month(next_month))
    schedule = template.schedule("MonthlyCreditsReset")
    assert template.functions[schedule.function].code_dir.name == "reset_monthly_credits"
    assert schedule.kind == "Schedule"
    fired_at = next_month + timedelta(minutes=30)  # the schedule's run just after the month starts

    assert invoke("reset_monthly_credits", scheduled_event(schedule, now())) == {"reset": []}  # not due yet
    result = invoke("reset_monthly_credits", scheduled_event(schedule, fired_at))
    assert result == {"reset": [due.id]}
    c = _balance(due.id)
    assert c.monthly == 50_000
    assert c.monthly_reset_at == credits.first_of_next_month(next_month)
    reset = [e for e in _ledger(due.id) if e.type is TransactionType.monthly_reset]
    assert reset[-1].amount == 50_000 - 1234
    assert reset[-1].reference_id == f"monthly:{due.id}:{next_month:%Y-%m}"
    assert _balance(not_due.id).monthly == 4321
    _assert_ledger_matches(due.id)

    assert invoke("reset_monthly_credits", scheduled_event(schedule, fired_at)) == {"reset": []}
    # Even when made due again within that month, the month's reference is applied once.
    _make_due(due.id, monthly=7, due=next_month)
    assert invoke("reset_monthly_credits", scheduled_event(schedule, fired_at + timedelta(hours=1))) == {"reset": []}
    assert len([e for e in _ledger(due.id) if e.type is TransactionType.monthly_reset]) == len(reset)


def test_due_organizations_are_found_by_the_reset_index(emulated):
    tenant = make_tenant("Acme Labs")
    assert credits.due_for_reset(now()) == []
    assert credits.due_for_reset(credits.first_of_next_month(now()) + timedelta(seconds=1)) == [tenant.id]
    applied = credits.reset_monthly(tenant.id, credits.first_of_next_month(now()) + timedelta(hours=2))
    assert applied is not None
    assert applied.transactions[0].amount == 0  # the allowance was untouched: nothing expires


# ------------------------------------------------------------------ GET /api/billing/credits


def test_get_credits_is_exactly_the_seeds_shape(api, emulated):
    tenant = make_tenant("Acme Labs", plan=Plan.starter)
    _set_pools(tenant.id, starter=600, monthly=820, topup=4000)
    reply = api("get_credits", headers=tenant.as_member())
    assert reply.status == 200
    body = reply.body
    reset_at = credits.first_of_next_month(now())
    updated_at = body.pop("updated_at")
    assert MS_TIMESTAMP.match(updated_at)
    assert body == {
        "starter_credits": 600,
        "monthly_credits": 820,
        "topup_credits": 4000,
        "total_credits": 5420,
        "monthly_credits_amount": 1000,
        "monthly_credits_reset_at": reset_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "currency": "eur",
        "last_low_balance_warning_at": None,
        "low_balance_warning": {"shouldWarn": False, "severity": "info", "message": ""},
        "needs_topup": False,
        "estimated_sessions_remaining": 54,
    }


def test_get_credits_warns_when_low(api, emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=0, monthly=15, topup=0.5)
    body = api("get_credits", headers=tenant.as_member()).body
    assert body["total_credits"] == 15.5
    assert body["low_balance_warning"] == {
        "shouldWarn": True,
        "severity": "critical",
        "message": "Your organization has only 15.5 credits remaining",
    }
    assert body["needs_topup"] is True
    assert body["estimated_sessions_remaining"] == 0


# ------------------------------------------------------------------ usage


def test_usage_by_day_and_kind(api, emulated, monkeypatch):
    tenant = make_tenant("Acme Labs")
    days = [datetime(2026, 3, d, 12, tzinfo=UTC) for d in (1, 1, 2, 5)]
    kinds = [ChargeKind.session, ChargeKind.generation, ChargeKind.session, ChargeKind.translation]
    amounts = [500, 500, 300, 1]
    for n, (day, kind, amount) in enumerate(zip(days, kinds, amounts, strict=True)):
        monkeypatch.setattr(credits, "now", lambda day=day: day)
        credits.charge(tenant.id, amount, kind=kind, reference=f"u{n}", description="x")
    reply = api(
        "get_billing_usage", query={"start_date": "2026-03-01", "end_date": "2026-03-02"}, headers=tenant.as_member()
    )
    assert reply.status == 200, reply.body
    assert reply.body == {
        "start_date": "2026-03-01",
        "end_date": "2026-03-02",
        "total_credits_used": 130,
        "total_credits_added": 0,
        "by_kind": {"session": 80, "generation": 50, "translation": 0},
        "by_day": [
            {"date": "2026-03-01", "credits_used": 100, "by_kind": {"session": 50, "generation": 50, "translation": 0}},
            {"date": "2026-03-02", "credits_used": 30, "by_kind": {"session": 30, "generation": 0, "translation": 0}},
        ],
    }
    wide = api(
        "get_billing_usage", query={"start_date": "2026-03-01", "end_date": "2026-03-31"}, headers=tenant.as_member()
    )
    assert wide.body["by_kind"]["translation"] == 0.1
    assert wide.body["total_credits_used"] == 130.1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_date": "2026-03-05", "end_date": "2026-03-01"}, "end_date"),
        ({"start_date": "2026-03-01T10:00:00"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
    ],
)
def test_usage_refuses_bad_dates(api, emulated, query, field):
    tenant = make_tenant("Acme Labs")
    reply = api("get_billing_usage", query=query, headers=tenant.as_member())
    assert reply.status == 400
    assert reply.body["error"]["details"]["field"] == field


def test_usage_over_two_years_is_answered_per_month(api, emulated, monkeypatch):
    tenant = make_tenant("Acme Labs")
    moments = [
        datetime(2025, 1, 31, 23, tzinfo=UTC),
        datetime(2025, 2, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    ]
    for n, (moment, amount) in enumerate(zip(moments, [500, 300, 20], strict=True)):
        monkeypatch.setattr(credits, "now", lambda moment=moment: moment)
        credits.charge(tenant.id, amount, kind=ChargeKind.session, reference=f"y{n}", description="x")
    query = {"start_date": "2025-01-01", "end_date": "2026-12-31"}
    reply = api("get_billing_usage", query=query, headers=tenant.as_member())
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["by_day"], body["total_credits_used"], body["by_kind"]["session"]) == ([], 82, 82)
    assert body["by_month"] == [
        {"month": "2025-01", "credits_used": 50, "by_kind": {"session": 50, "generation": 0, "translation": 0}},
        {"month": "2025-02", "credits_used": 30, "by_kind": {"session": 30, "generation": 0, "translation": 0}},
        {"month": "2026-12", "credits_used": 2, "by_kind": {"session": 2, "generation": 0, "translation": 0}},
    ]
    # the last range answered per day (the end 366 days after the start) keeps the seed's shape
    daily = api(
        "get_billing_usage", query={"start_date": "2025-01-31", "end_date": "2026-02-01"}, headers=tenant.as_member()
    )
    assert "by_month" not in daily.body
    assert [d["date"] for d in daily.body["by_day"]] == ["2025-01-31", "2025-02-01"]
    monthly = api(
        "get_billing_usage", query={"start_date": "2025-01-31", "end_date": "2026-02-02"}, headers=tenant.as_member()
    )
    assert monthly.body["by_day"] == []
    assert [m["month"] for m in monthly.body["by_month"]] == ["2025-01", "2025-02"]


# ------------------------------------------------------------------ admin summary


SUMMARY_KEYS = {
    "totalOrganizations",
    "totalStarterCredits",
    "totalMonthlyCredits",
    "totalTopupCredits",
    "totalCredits",
    "lowBalanceCount",
    "criticalBalanceCount",
}
LOW_KEYS = {
    "organizationId",
    "organizationName",
    "organizationSlug",
    "starter",
    "monthly",
    "topup",
    "total",
    "monthlyCreditsAmount",
    "monthlyCreditsResetAt",
    "updatedAt",
    "severity",
}
TXN_KEYS = {
    "id",
    "organizationId",
    "organizationName",
    "organizationSlug",
    "amountCredits",
    "creditType",
    "transactionType",
    "description",
    "balanceAfterCredits",
    "paymentIntentId",
    "createdAt",
}


def _family() -> tuple[Tenant, Tenant, Tenant]:
    parent = make_tenant("Acme Labs")
    child_org = create_organization(
        OrganizationCreate(name="Acme Sub", slug="acme-sub", plan=Plan.free, parent_id=parent.id)
    )
    child = Tenant(child_org.id, "", "", "", "")
    other = make_tenant("Bright Water")
    return parent, child, other


def test_the_admin_summary_covers_the_organization_and_its_sub_merchants(api, emulated):
    parent, child, _other = _family()
    _set_pools(child.id, starter=0, monthly=20, topup=15)
    reply = api("get_credit_summary", headers=parent.as_admin())
    assert reply.status == 200, reply.body
    body = reply.body
    assert set(body) == {"summary", "lowBalanceOrganizations", "recentTransactions", "alerts"}
    assert set(body["summary"]) == SUMMARY_KEYS
    assert body["summary"] == {
        "totalOrganizations": 2,
        "totalStarterCredits": 1000,
        "totalMonthlyCredits": 5020,
        "totalTopupCredits": 15,
        "totalCredits": 6035,
        "lowBalanceCount": 1,
        "criticalBalanceCount": 0,
    }
    [low] = body["lowBalanceOrganizations"]
    assert set(low) == LOW_KEYS
    assert low["organizationId"] == child.id
    assert (low["organizationName"], low["organizationSlug"]) == ("Acme Sub", "acme-sub")
    assert (low["starter"], low["monthly"], low["topup"], low["total"]) == (0, 20, 15, 35)
    assert low["severity"] == "warning"
    assert low["monthlyCreditsAmount"] == 100
    assert MS_TIMESTAMP.match(low["monthlyCreditsResetAt"])
    assert MS_TIMESTAMP.match(low["updatedAt"])
    assert body["alerts"] == [
        {"organizationId": child.id, "severity": "warning", "message": "Acme Sub has only 35 credits remaining"}
    ]
    transactions = body["recentTransactions"]
    assert transactions
    assert all(set(t) == TXN_KEYS for t in transactions)
    assert {t["organizationId"] for t in transactions} == {parent.id, child.id}
    times = [t["createdAt"] for t in transactions]
    assert times == sorted(times, reverse=True)
    assert all(MS_TIMESTAMP.match(t) for t in times)


def test_the_summary_is_for_admins_and_the_operator_sees_everyone(api, emulated, platform_admin):
    parent, child, other = _family()
    assert api("get_credit_summary", headers=parent.as_member()).status == 403
    own = api("get_credit_summary", headers=other.as_admin()).body
    assert own["summary"]["totalOrganizations"] == 1
    assert {t["organizationId"] for t in own["recentTransactions"]} == {other.id}
    everyone = api("get_credit_summary", headers=platform_admin)
    assert everyone.status == 200
    assert everyone.body["summary"]["totalOrganizations"] == 3
    assert {t["organizationId"] for t in everyone.body["recentTransactions"]} == {parent.id, child.id, other.id}


def test_the_summary_flags_a_critical_balance(api, emulated):
    parent, _child, _ = _family()
    _set_pools(parent.id, starter=0, monthly=0, topup=12)
    body = api("get_credit_summary", headers=parent.as_admin()).body
    assert body["summary"]["criticalBalanceCount"] == 1
    assert body["alerts"] == [
        {"organizationId": parent.id, "severity": "critical", "message": "Acme Labs has only 12 credits remaining"}
    ]


# ------------------------------------------------------------------ what is charged


def test_generation_is_refused_with_402_when_out_of_credits_and_nothing_starts(api, emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=0, monthly=0, topup=49)
    reply = api("generate_interview", body=GENERATE, headers=tenant.as_member())
    assert reply.status == 402
    assert reply.body == {"error": "Insufficient credits: this costs 50 credits and the balance is 49"}
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=STATE_MACHINE)["executions"]
    assert executions == []
    assert table().query(org_pk(tenant.id), prefix="TASK#").items == []
    assert _pools(tenant.id) == (0, 0, 490)


def test_generation_is_charged_once_per_job_even_when_retried(api, emulated):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    headers = {**tenant.as_member(), "Idempotency-Key": "charge-once"}
    first = api("generate_interview", body=GENERATE, headers=headers)
    again = api("generate_interview", body=GENERATE, headers=headers)
    assert first.status == again.status == 202
    assert first.body["job_id"] == again.body["job_id"]
    assert _balance(tenant.id).total == before - credits.price("interview_generation")
    [entry] = [e for e in _ledger(tenant.id) if e.type is TransactionType.charge]
    assert entry.reference_id == f"generation:{first.body['job_id']}"
    assert entry.kind is ChargeKind.generation


def test_a_job_that_cannot_start_is_failed_and_its_charge_given_back(api, emulated, monkeypatch):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id)
    stepfunctions = aws.client("stepfunctions")

    def refuse(**_kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution")

    monkeypatch.setattr(stepfunctions, "start_execution", refuse)
    reply = api("generate_interview", body=GENERATE, headers={**tenant.as_member(), "Idempotency-Key": "k"})
    assert reply.status == 503
    assert reply.body == {"error": "The interview generation could not be started; please retry"}
    [task] = table().query(org_pk(tenant.id), prefix="TASK#", limit=1).items
    assert task["status"] == "failed"
    after = _balance(tenant.id)
    assert (after.starter, after.monthly, after.topup) == (before.starter, before.monthly, before.topup)
    assert [e.type for e in _ledger(tenant.id)][-2:] == [TransactionType.charge, TransactionType.refund]
    assert credits.usage(tenant.id, None, None)["total_credits_used"] == 0

    monkeypatch.undo()
    retried = api("generate_interview", body=GENERATE, headers={**tenant.as_member(), "Idempotency-Key": "k"})
    assert retried.status == 202
    assert _balance(tenant.id).total == before.total - credits.price("interview_generation")


def _in_progress(tenant: Tenant):
    done = make_session(tenant)
    return save_new_session(
        done.model_copy(update={"id": new_id(), "status": SessionStatus.in_progress, "completed_at": None})
    )


def test_a_session_cannot_start_without_credits_for_its_first_minute(emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=0, monthly=0, topup=9)
    with pytest.raises(PaymentRequired, match="a minute costs 10 credits and the balance is 9"):
        _in_progress(tenant)
    assert list_sessions(tenant.id, status=SessionStatus.in_progress) == ([], 0)
    _set_pools(tenant.id, starter=0, monthly=0, topup=10)
    assert _in_progress(tenant).status is SessionStatus.in_progress


def test_a_completed_session_is_charged_per_started_minute_with_its_status_change(emulated):
    tenant = make_tenant("Acme Labs")
    session = _in_progress(tenant)
    before = _balance(tenant.id).total
    finish_session(
        tenant.id, session.id, SessionStatus.completed, at=session.started_at + timedelta(minutes=4, seconds=1)
    )
    assert _balance(tenant.id).total == before - 500  # 5 started minutes x 10 credits
    finish_session(tenant.id, session.id, SessionStatus.completed)  # a retry charges nothing
    assert _balance(tenant.id).total == before - 500
    [entry] = [e for e in _ledger(tenant.id) if e.kind is ChargeKind.session]
    assert entry.reference_id == f"session:{session.id}"
    assert entry.description == "Interview session: 5 min"


def test_an_abandoned_session_is_not_charged(emulated):
    tenant = make_tenant("Acme Labs")
    session = _in_progress(tenant)
    before = _balance(tenant.id).total
    finish_session(tenant.id, session.id, SessionStatus.abandoned, at=session.started_at + timedelta(minutes=30))
    assert _balance(tenant.id).total == before


def test_a_session_the_balance_cannot_cover_completes_and_records_the_shortfall(emulated):
    tenant = make_tenant("Acme Labs")
    session = _in_progress(tenant)
    _set_pools(tenant.id, starter=0, monthly=30, topup=0)
    finish_session(tenant.id, session.id, SessionStatus.completed, at=session.started_at + timedelta(minutes=10))
    assert get_session(tenant.id, session.id).status is SessionStatus.completed
    c = _balance(tenant.id)
    assert c.total == 0
    assert c.shortfall == 700
    [entry] = [e for e in _ledger(tenant.id) if e.kind is ChargeKind.session]
    assert (entry.amount, entry.shortfall) == (-300, 700)


# ------------------------------------------------------------------ low-balance warnings


def _credits_low_events(queue: str) -> list[dict]:
    return [m for m in queued_webhooks(queue) if m["type"] == "credits.low"]


def test_a_low_balance_is_warned_once_per_crossing_by_mail_and_webhook(emulated, queue):
    from panelist.models.webhooks import WebhookEndpointCreate
    from panelist.webhooks.endpoints import create_endpoint

    org = create_organization(OrganizationCreate(name="Acme Labs", plan=Plan.free, billing_email="billing@acme.test"))
    create_endpoint(org.id, WebhookEndpointCreate(url="https://hooks.example.com/credits", events=["credits.low"]))
    _set_pools(org.id, starter=0, monthly=150, topup=0)
    sent_mail(clear=True)

    def charge(reference: str, amount_credits: float) -> None:
        credits.charge(
            org.id, credits.tenths(amount_credits), kind=ChargeKind.session, reference=reference, description="x"
        )

    charge("a", 40)  # 110: above the low threshold
    assert sent_mail() == []
    charge("b", 20)  # 90: below 100, warned
    charge("c", 10)  # 80: still below, not warned again
    mails = sent_mail()
    assert len(mails) == 1
    assert mails[0]["destinations"]["ToAddresses"] == ["billing@acme.test"]
    assert "80" not in mails[0]["subject"]
    assert "90" in mails[0]["subject"]
    assert "Acme Labs has only 90 credits remaining" in mails[0]["body"]
    assert _balance(org.id).warned_severity == "warning"
    assert _balance(org.id).last_low_balance_warning_at is not None

    charge("d", 70)  # 10: critical, warned once more
    charge("e", 5)
    assert len(sent_mail()) == 2

    credits.topup(TopupCreate(organization_id=org.id, credits=500, payment_reference="pi_1"))  # 505: above again
    assert _balance(org.id).warned_severity is None
    charge("f", 420)  # 85: a new crossing
    assert len(sent_mail()) == 3
    # The queue is read once, at the end (the emulated FIFO queue hides a group's later messages
    # from a reader that already received earlier ones): one event per crossing, not per charge.
    events = _credits_low_events(queue)
    assert [e["payload"]["data"]["severity"] for e in events] == ["warning", "critical", "warning"]
    assert [e["payload"]["data"]["total_credits"] for e in events] == [90, 10, 85]
    assert {e["url"] for e in events} == {"https://hooks.example.com/credits"}


def test_an_organization_is_created_with_its_billing_email_and_credits(api, platform_admin):
    body = {"name": "Acme Labs", "plan": "free", "billing_email": "billing@acme.test"}
    reply = api("create_organization", body=body, headers=platform_admin)
    assert reply.status == 201
    assert reply.body["billing_email"] == "billing@acme.test"
    assert _pools(reply.body["id"]) == (10_000, 1000, 0)
    bad = api("create_organization", body={**body, "billing_email": "nope"}, headers=platform_admin)
    assert bad.status == 400
    assert bad.body["error"]["details"]["field"] == "billing_email"


# ------------------------------------------------------------------ the ledger written after the pools


def _stop_before_the_ledger(monkeypatch) -> None:
    """The next change's caller stops once its change is committed to the pools (a Lambda that timed out)."""
    monkeypatch.setattr(
        changes, "_settle", lambda _organization_id, reference, _clock: changes.Applied(reference, [], None)
    )


def test_a_change_whose_caller_stopped_is_written_to_the_ledger_by_the_next_read(emulated, monkeypatch):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    with monkeypatch.context() as patch:
        _stop_before_the_ledger(patch)
        credits.charge(tenant.id, 500, kind=ChargeKind.session, reference="stopped", description="x")
    assert _balance(tenant.id).total == before - 500  # the pools are exact at once
    again = credits.charge(tenant.id, 500, kind=ChargeKind.session, reference="stopped", description="x")
    assert again.duplicate
    assert [(t.amount, t.balance_after) for t in again.transactions] == [(-500, before - 500)]
    assert _ledger(tenant.id)[-1].reference_id == "stopped"
    _assert_ledger_matches(tenant.id)


def test_a_change_whose_caller_stopped_is_written_by_the_next_change(emulated, monkeypatch):
    tenant = make_tenant("Acme Labs")
    before = _balance(tenant.id).total
    with monkeypatch.context() as patch:
        _stop_before_the_ledger(patch)
        credits.charge(tenant.id, 500, kind=ChargeKind.session, reference="stopped", description="x")
    monkeypatch.setattr(changes, "PATIENCE", 0.05)  # how long the next caller waits for the stopped one
    applied = credits.charge(tenant.id, 300, kind=ChargeKind.session, reference="next", description="x")
    assert [t.balance_after for t in applied.transactions] == [before - 800]
    assert table().query(org_pk(tenant.id), prefix="CREDITS#PEND#").items == []
    assert [e.reference_id for e in _ledger(tenant.id)][-2:] == ["stopped", "next"]
    _assert_ledger_matches(tenant.id)


def test_an_organization_stored_before_the_ledger_head_keeps_its_balance_and_warning(emulated):
    tenant = make_tenant("Acme Labs")
    _set_pools(tenant.id, starter=0, monthly=90, topup=0)
    # As the balance was stored before: the warning on it, no ledger head.
    table().update(org_pk(tenant.id), "CREDITS", "SET warned_severity = :w", w="warning")
    aws.client("dynamodb").delete_item(
        TableName=table().name, Key={"PK": {"S": org_pk(tenant.id)}, "SK": {"S": "CREDITS#LEDGER"}}
    )
    assert _balance(tenant.id).warned_severity == "warning"
    credits.charge(tenant.id, 100, kind=ChargeKind.session, reference="after", description="x")
    assert _pools(tenant.id) == (0, 800, 0)
    assert _balance(tenant.id).warned_severity == "warning"  # 80 credits: warned already, not again
    assert table().get(org_pk(tenant.id), "CREDITS#LEDGER") is not None
    _assert_ledger_matches(tenant.id)


@pytest.mark.slow
def test_the_ledger_write_is_one_for_many_concurrent_changes(emulated, monkeypatch):
    """Concurrent callers wait for the oldest queued change's caller, who writes everyone's entries at once."""
    tenant = make_tenant("Acme Labs")
    writes = []
    write_stamp = store.write_stamp

    def counted(state, stamp):
        write_stamp(state, stamp)
        writes.append(len(stamp.consumed))

    monkeypatch.setattr(store, "write_stamp", counted)
    together = threading.Barrier(20)

    def charge(n: int) -> None:
        together.wait()
        credits.charge(tenant.id, 10, kind=ChargeKind.session, reference=f"g{n}", description="x")

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(charge, range(20)))
    assert sum(writes) == 20
    assert len(writes) < 20
    _assert_ledger_matches(tenant.id)
