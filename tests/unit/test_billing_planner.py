"""The credit planner, without AWS: plans (pools, conditions, entries), the ledger's order, warnings, tenths."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from panelist.billing import planner
from panelist.billing.planner import Change, Condition, Op, Pending
from panelist.billing.pricing import Thresholds, billed_minutes, first_of_next_month, price, show, tenths
from panelist.core.errors import PaymentRequired
from panelist.models.billing import ChargeKind, Credits, LedgerHead, Pool, Severity, TransactionType
from panelist.models.organizations import Plan

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
LIMITS = Thresholds(low=1000, critical=200)  # 100 and 20 credits, in tenths


def balance(starter: int = 0, monthly: int = 0, topup: int = 0, **fields) -> Credits:
    return Credits(
        organization_id="org",
        organization_name="Acme Labs",
        plan=Plan.starter,
        starter=starter,
        monthly=monthly,
        topup=topup,
        monthly_amount=10_000,
        monthly_reset_at=first_of_next_month(AT),
        updated_at=AT,
        **fields,
    )


def charge(
    credits: Credits, amount: int, *, partial: bool = False, reference: str = "r", at: datetime = AT
) -> planner.Plan:
    change = planner.charge(credits, amount, kind=ChargeKind.session, description="x", partial=partial)
    return planner.plan(credits, change, at, reference=reference)


def pools(credits: Credits) -> tuple[int, int, int]:
    return credits.starter, credits.monthly, credits.topup


# ------------------------------------------------------------------ tenths


def test_amounts_are_tenths_and_shown_as_credits():
    assert tenths(0.1) == 1
    assert tenths(1000) == 10_000
    assert tenths(33.3) == 333
    assert show(6000) == 600
    assert isinstance(show(6000), int)
    assert show(1) == 0.1
    assert show(155) == 15.5
    assert price("translated_report_result", 3) == 3  # 0.3 credit, exactly
    assert price("session_minute", 5) == 500
    assert price("interview_generation") == 500


def test_sessions_are_billed_per_started_minute_up_to_two_hours():
    start = AT
    assert billed_minutes(start, start) == 0
    assert billed_minutes(start, start + timedelta(minutes=4, seconds=1)) == 5
    assert billed_minutes(start, start + timedelta(minutes=5)) == 5
    assert billed_minutes(start, start + timedelta(hours=5)) == 120
    assert billed_minutes(start, start - timedelta(minutes=1)) == 0


def test_the_next_reset_is_the_first_of_the_next_month_in_utc():
    assert first_of_next_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert first_of_next_month(datetime(2026, 2, 1, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)


# ------------------------------------------------------------------ charges


def test_a_charge_takes_starter_then_monthly_then_topup():
    before = balance(1000, 5000, 500)
    first = charge(before, 800)
    assert pools(first.after) == (200, 5000, 500)
    second = charge(first.after, 700)
    assert pools(second.after) == (0, 4500, 500)
    assert [(e.pool, e.amount, e.balance_after) for e in second.entries] == [
        (Pool.starter, -200, 5500),
        (Pool.monthly, -500, 5000),
    ]
    third = charge(second.after, 4600)
    assert pools(third.after) == (0, 0, 400)
    assert third.after.version == before.version + 3


def test_a_charge_the_balance_cannot_cover_is_refused_and_plans_nothing():
    with pytest.raises(PaymentRequired, match=r"this costs 40\.1 credits and the balance is 40$"):
        charge(balance(0, 0, 400), 401)


def test_a_partial_charge_takes_what_there_is_and_records_the_shortfall():
    plan = charge(balance(0, 300, 0), 1000, partial=True)
    assert pools(plan.after) == (0, 0, 0)
    assert plan.shortfall == 700
    assert plan.after.shortfall == 700
    assert [(e.pool, e.amount, e.shortfall) for e in plan.entries] == [(Pool.monthly, -300, 700)]


def test_a_charge_to_an_empty_balance_is_still_recorded_with_its_shortfall():
    plan = charge(balance(), 70, partial=True)
    assert [(e.pool, e.amount, e.shortfall, e.balance_after) for e in plan.entries] == [(Pool.topup, 0, 70, 0)]


def test_no_plan_takes_a_pool_below_zero():
    with pytest.raises(ValueError, match="below zero"):
        planner.plan(balance(100), Change(TransactionType.charge, "x", {Pool.starter: -101}), AT, reference="r")
    with pytest.raises(ValueError, match="not negative"):
        planner.charge(balance(100), -1, kind=ChargeKind.session, description="x")


def test_a_change_sets_only_what_it_may():
    with pytest.raises(ValueError, match="cannot set"):
        planner.plan(balance(), Change(TransactionType.grant, "x", {}, sets={"starter": 5}), AT, reference="r")


# ------------------------------------------------------------------ conditions: what a plan relies on


def test_a_charge_within_one_pool_only_needs_enough_in_it():
    plan = charge(balance(1000, 5000), 300)
    assert plan.conditions == {Pool.starter: Condition(Op.at_least, 300)}
    assert plan.holds(balance(300, 0))  # another charge took some: this one still applies
    assert not plan.holds(balance(299, 5000))


def test_a_charge_across_pools_needs_the_pools_it_empties_unchanged():
    plan = charge(balance(200, 5000), 700)
    assert plan.conditions == {Pool.starter: Condition(Op.exactly, 200), Pool.monthly: Condition(Op.at_least, 500)}
    assert not plan.holds(balance(300, 5000))  # a refund in between: starter would be taken first


def test_a_charge_after_an_empty_pool_needs_it_still_empty():
    plan = charge(balance(0, 5000), 700)
    assert plan.conditions == {Pool.starter: Condition(Op.exactly, 0), Pool.monthly: Condition(Op.at_least, 700)}


def test_credits_rely_on_nothing_and_a_reset_on_the_pool_it_sets():
    assert planner.plan(balance(), planner.purchase(5000, "x", "pi_1"), AT, reference="r").conditions == {}
    assert planner.plan(balance(), planner.grant(Pool.starter, 10, "x"), AT, reference="r").conditions == {}
    reset = planner.plan(balance(0, 1234), planner.monthly_reset(balance(0, 1234), 10_000, AT), AT, reference="m")
    assert reset.conditions == {Pool.monthly: Condition(Op.exactly, 1234)}


# ------------------------------------------------------------------ grants, purchases, refunds, resets


def test_grants_and_purchases_add_to_their_pool():
    plan = planner.plan(balance(0, 0, 50), planner.purchase(1000, "Credit top-up", "pi_1"), AT, reference="t")
    assert pools(plan.after) == (0, 0, 1050)
    [entry] = plan.entries
    assert (entry.type, entry.amount, entry.payment_intent_id, entry.balance_after) == (
        TransactionType.purchase,
        1000,
        "pi_1",
        1050,
    )
    grant = planner.plan(balance(), planner.grant(Pool.starter, 10_000, "Starter credits"), AT, reference="s")
    assert pools(grant.after) == (10_000, 0, 0)


def test_a_refund_gives_back_to_the_pools_the_charge_took_from():
    charged = charge(balance(200, 5000, 0), 700)
    back = planner.plan(charged.after, planner.refund(charged.entries, "Refund"), AT, reference="refund:r")
    assert pools(back.after) == (200, 5000, 0)
    assert {(e.pool, e.amount) for e in back.entries} == {(Pool.starter, 200), (Pool.monthly, 500)}
    assert all(e.type is TransactionType.refund and e.kind is ChargeKind.session for e in back.entries)


def test_the_monthly_reset_sets_the_allowance_and_the_next_reset():
    before = balance(0, 1234, 0)
    next_reset = first_of_next_month(AT)
    plan = planner.plan(before, planner.monthly_reset(before, 10_000, next_reset), AT, reference="monthly:org:2026-03")
    assert pools(plan.after) == (0, 10_000, 0)
    assert plan.after.monthly_reset_at == next_reset
    assert plan.sets == {"monthly_amount": 10_000, "monthly_reset_at": next_reset}
    [entry] = plan.entries
    assert (entry.type, entry.amount) == (TransactionType.monthly_reset, 10_000 - 1234)
    untouched = planner.plan(plan.after, planner.monthly_reset(plan.after, 10_000, next_reset), AT, reference="m2")
    assert [(e.pool, e.amount) for e in untouched.entries] == [(Pool.monthly, 0)]  # recorded, nothing expires


def test_a_change_raising_and_lowering_pools_lists_its_credits_first():
    change = Change(TransactionType.grant, "setup", {Pool.starter: -10_000, Pool.monthly: 500})
    plan = planner.plan(balance(10_000, 1000), change, AT, reference="s")
    assert [(e.pool, e.balance_after) for e in plan.entries] == [(Pool.monthly, 11_500), (Pool.starter, 1500)]


# ------------------------------------------------------------------ the ledger's order


def pending(plan: planner.Plan) -> Pending:
    return plan.pending


def test_stamping_numbers_entries_after_the_head_with_their_running_total():
    head = LedgerHead(organization_id="org", seq=7, total=5500)
    first = charge(balance(0, 5500), 1000, reference="a")
    second = charge(first.after, 500, reference="b", at=AT + timedelta(microseconds=1))
    stamp = planner.stamp(head, [pending(first), pending(second)], AT + timedelta(seconds=1), LIMITS)
    assert [(e.seq, e.amount, e.balance_after) for e in stamp.written["a"] + stamp.written["b"]] == [
        (8, -1000, 4500),
        (9, -500, 4000),
    ]
    assert all(e.created_at == AT + timedelta(seconds=1) for e in stamp.written["a"])
    assert (stamp.head.seq, stamp.head.total) == (9, 4000)


def test_the_ledgers_time_never_goes_back_a_little_but_may_be_set_in_the_past():
    head = LedgerHead(organization_id="org", seq=1, total=5000, updated_at=AT)
    plan = charge(balance(0, 5000), 100)
    skewed = planner.stamp(head, [plan.pending], AT - timedelta(seconds=2), LIMITS)  # another machine's clock
    assert skewed.written["r"][0].created_at == AT
    backdated = planner.stamp(head, [plan.pending], AT - timedelta(days=30), LIMITS)  # a run as if at a past time
    assert backdated.written["r"][0].created_at == AT - timedelta(days=30)


def test_credits_are_stamped_before_debits_so_the_running_total_never_goes_below_zero():
    # A top-up and a charge it made possible, committed in that order; the charge was planned first.
    head = LedgerHead(organization_id="org", total=0)
    topup = planner.plan(balance(), planner.purchase(500, "x", "pi"), AT + timedelta(milliseconds=5), reference="t")
    debit = charge(topup.after, 500, reference="c").pending
    early = Pending(debit.reference, debit.entries, "2026-03-14T09:29:00.000000Z#0")  # planned earlier
    stamp = planner.stamp(head, [early, topup.pending], AT, LIMITS)
    order = [e for p in stamp.consumed for e in stamp.written[p.reference]]
    assert [(e.reference_id, e.balance_after) for e in order] == [("t", 500), ("c", 0)]


def test_a_debit_whose_credit_is_not_seen_yet_waits():
    debit = charge(balance(0, 0, 500), 500, reference="c").pending
    stamp = planner.stamp(LedgerHead(organization_id="org", total=0), [debit], AT, LIMITS)
    assert stamp.consumed == ()
    assert stamp.head.seq == 0


def test_one_ledger_write_holds_what_fits_in_its_budget():
    plans, credits = [], balance(0, 100_000)
    for n in range(10):
        plans.append(charge(credits, 100, reference=f"r{n}", at=AT + timedelta(microseconds=n)))
        credits = plans[-1].after
    stamp = planner.stamp(
        LedgerHead(organization_id="org", total=100_000), [p.pending for p in plans], AT, LIMITS, budget=10
    )
    assert [p.reference for p in stamp.consumed] == ["r0", "r1", "r2"]  # 3 items each


def test_concurrent_plans_committed_as_the_store_would_keep_pools_and_ledger_exact():
    """Plans made from one read, committed in any order where their conditions hold, then stamped."""
    rng = random.Random(12)  # noqa: S311 - a reproducible interleaving, not a secret
    for _ in range(50):
        start = balance(rng.randrange(0, 3000), rng.randrange(0, 3000), rng.randrange(0, 3000))
        pools_now = read = start
        head = LedgerHead(organization_id="org", total=start.total)
        queued: list[Pending] = []
        for n in range(rng.randrange(5, 30)):
            if rng.random() < 0.2:
                read = pools_now  # this caller read after the others committed
            if rng.random() < 0.25:
                plan = planner.plan(read, planner.purchase(rng.randrange(1, 500), "x", f"p{n}"), AT, reference=f"t{n}")
            else:
                try:
                    plan = charge(read, rng.randrange(1, 900), partial=rng.random() < 0.5, reference=f"c{n}")
                except PaymentRequired:
                    continue
            if not plan.holds(pools_now):
                continue  # DynamoDB refuses it: a lost race, planned again from a fresh read
            pools_now = pools_now.model_copy(
                update={pool.value: pools_now.pool(pool) + plan.deltas.get(pool, 0) for pool in planner.ORDER}
            )
            assert min(pools(pools_now)) >= 0
            queued.append(plan.pending)
        rng.shuffle(queued)  # the queue's order is not the commit order
        stamp = planner.stamp(head, queued, AT, LIMITS)
        assert len(stamp.consumed) == len(queued)
        entries = [e for p in stamp.consumed for e in stamp.written[p.reference]]
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert all(e.balance_after >= 0 for e in entries)
        assert stamp.head.total == pools_now.total
        for pool in planner.ORDER:
            assert start.pool(pool) + sum(e.amount for e in entries if e.pool is pool) == pools_now.pool(pool)


# ------------------------------------------------------------------ low-balance warnings


def test_severity_follows_the_thresholds():
    assert planner.severity(1000, LIMITS) is Severity.info
    assert planner.severity(999, LIMITS) is Severity.warning
    assert planner.severity(200, LIMITS) is Severity.warning
    assert planner.severity(199, LIMITS) is Severity.critical


def _charges(credits: Credits, head: LedgerHead, *amounts: int) -> tuple[Credits, LedgerHead, list[Severity]]:
    warned: list[Severity] = []
    for n, amount in enumerate(amounts):
        plan = charge(credits, amount, reference=f"{head.seq}-{n}")
        stamp = planner.stamp(head, [plan.pending], AT, LIMITS)
        credits, head = plan.after, stamp.head
        warned.extend(c.severity for c in stamp.crossings)
    return credits, head, warned


def test_a_low_balance_is_warned_once_per_crossing():
    credits = balance(0, 1500)
    head = LedgerHead(organization_id="org", total=1500)
    credits, head, warned = _charges(credits, head, 400, 200, 100)  # 1100, 900 (warned), 800
    assert warned == [Severity.warning]
    assert head.warned_severity is Severity.warning
    assert head.last_low_balance_warning_at == AT
    credits, head, warned = _charges(credits, head, 700, 50)  # 100: critical, once
    assert warned == [Severity.critical]
    top = planner.plan(credits, planner.purchase(5000, "x", "pi"), AT, reference="t")
    head = planner.stamp(head, [top.pending], AT, LIMITS).head  # 5050: above again
    assert head.warned_severity is None
    _credits, head, warned = _charges(top.after, head, 4200)  # 850: a new crossing
    assert warned == [Severity.warning]


def test_a_crossing_says_what_the_warning_needs():
    plan = charge(balance(0, 1100), 200)
    [crossing] = planner.stamp(
        LedgerHead(organization_id="org", seq=3, total=1100), [plan.pending], AT, LIMITS, organization_name="Acme Labs"
    ).crossings
    assert (crossing.organization_name, crossing.severity, crossing.total, crossing.threshold, crossing.seq) == (
        "Acme Labs",
        Severity.warning,
        900,
        1000,
        4,
    )


def test_credits_never_warn_and_a_recovery_above_critical_allows_a_critical_warning_again():
    assert planner.warning_after(None, 100, False, LIMITS) == (None, None)  # a grant landing low warns nothing
    assert planner.warning_after(Severity.critical, 500, False, LIMITS) == (Severity.warning, None)
    assert planner.warning_after(Severity.warning, 150, True, LIMITS) == (Severity.critical, Severity.critical)
    assert planner.warning_after(Severity.critical, 100, True, LIMITS) == (Severity.critical, None)
