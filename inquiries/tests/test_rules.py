"""The rule planner on plain values: who gets each inquiry, and why."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from inquiries.rules import (
    MODE_CONVERSION,
    MODE_MANUAL,
    MODE_ROUND_ROBIN,
    ROUTE_COUNTRY,
    ROUTE_KEYWORD,
    WHY_CONVERSION,
    WHY_MANUAL,
    WHY_NOBODY,
    WHY_ROUND_ROBIN,
    WHY_ROUTE,
    WHY_SAME_BUYER,
    InquiryFacts,
    MemberSpec,
    PlanContext,
    RouteSpec,
    RuleSpec,
    plan_allocations,
)

A, B, C, D = 1, 2, 3, 4
ACCOUNT = 10


def inquiries(n, **kw):
    return [InquiryFacts(id=i, account_id=ACCOUNT, **kw) for i in range(1, n + 1)]


def rule(mode=MODE_ROUND_ROBIN, members=(A, B, C), **kw):
    return {ACCOUNT: RuleSpec(ACCOUNT, mode, members=[MemberSpec(m) for m in members], **kw)}


def who(plan):
    return [d.salesperson_id for d in plan.decisions]


def test_round_robin_takes_turns_in_the_pool_order():
    plan = plan_allocations(inquiries(7), rule(same_buyer=False), PlanContext(available={A, B, C}))
    assert who(plan) == [A, B, C, A, B, C, A]
    assert {d.why for d in plan.decisions} == {WHY_ROUND_ROBIN}
    assert plan.cursors[ACCOUNT] == A


def test_round_robin_continues_after_the_last_salesperson_served():
    rules = rule(last_salesperson_id=B)
    plan = plan_allocations(inquiries(3), rules, PlanContext(available={A, B, C}))
    assert who(plan) == [C, A, B]


def test_round_robin_skips_someone_away_or_inactive():
    plan = plan_allocations(inquiries(4), rule(), PlanContext(available={A, C}))
    assert who(plan) == [A, C, A, C]


def test_daily_capacity_stops_a_salesperson_once_full():
    rules = {ACCOUNT: RuleSpec(ACCOUNT, MODE_ROUND_ROBIN, members=[MemberSpec(A, 2), MemberSpec(B, None)])}
    context = PlanContext(available={A, B}, allocated_today={A: 1})
    plan = plan_allocations(inquiries(4), rules, context)
    assert who(plan) == [A, B, B, B]
    assert context.allocated_today == {A: 2, B: 3}


def test_when_everyone_is_full_or_away_the_inquiry_stays_for_a_person():
    rules = {ACCOUNT: RuleSpec(ACCOUNT, MODE_ROUND_ROBIN, members=[MemberSpec(A, 1), MemberSpec(B, 5)])}
    plan = plan_allocations(inquiries(2), rules, PlanContext(available={A}, allocated_today={A: 1}))
    assert who(plan) == [None, None]
    assert {d.why for d in plan.decisions} == {WHY_NOBODY}


def test_a_manual_account_or_an_account_without_rule_is_left_alone():
    facts = [InquiryFacts(1, ACCOUNT), InquiryFacts(2, 99)]
    plan = plan_allocations(facts, rule(mode=MODE_MANUAL), PlanContext(available={A, B}))
    assert [(d.salesperson_id, d.why) for d in plan.decisions] == [(None, WHY_MANUAL), (None, WHY_MANUAL)]


def test_same_buyer_goes_back_to_the_salesperson_who_had_them_even_past_capacity():
    rules = {ACCOUNT: RuleSpec(ACCOUNT, MODE_ROUND_ROBIN, members=[MemberSpec(A), MemberSpec(B, 1)])}
    context = PlanContext(available={A, B}, allocated_today={B: 1}, previous_owner={"buyer@x.com": B})
    plan = plan_allocations([InquiryFacts(1, ACCOUNT, buyer_email=" Buyer@X.com ")], rules, context)
    assert (plan.decisions[0].salesperson_id, plan.decisions[0].why) == (B, WHY_SAME_BUYER)


def test_same_buyer_is_skipped_when_that_salesperson_is_away():
    context = PlanContext(available={A, C}, previous_owner={"b@x.com": B})
    plan = plan_allocations([InquiryFacts(1, ACCOUNT, buyer_email="b@x.com")], rule(), context)
    assert plan.decisions[0].why == WHY_ROUND_ROBIN


def test_a_buyer_writing_twice_in_one_batch_gets_the_same_salesperson_both_times():
    facts = [
        InquiryFacts(1, ACCOUNT, buyer_email="new@x.com"),
        InquiryFacts(2, ACCOUNT, buyer_email="other@x.com"),
        InquiryFacts(3, ACCOUNT, buyer_email="NEW@x.com"),
    ]
    plan = plan_allocations(facts, rule(), PlanContext(available={A, B, C}))
    assert who(plan) == [A, B, A]
    assert plan.decisions[2].why == WHY_SAME_BUYER


def test_same_buyer_can_be_switched_off():
    context = PlanContext(available={A, B, C}, previous_owner={"b@x.com": C})
    plan = plan_allocations([InquiryFacts(1, ACCOUNT, buyer_email="b@x.com")], rule(same_buyer=False), context)
    assert who(plan) == [A]


def test_routes_by_country_and_keyword_come_before_the_pool_in_their_order():
    routes = [RouteSpec(ROUTE_COUNTRY, "de", D), RouteSpec(ROUTE_KEYWORD, "Solar", C)]
    facts = [
        InquiryFacts(1, ACCOUNT, country="DE", product="solar panel"),
        InquiryFacts(2, ACCOUNT, country="US", product="SOLAR street light"),
        InquiryFacts(3, ACCOUNT, country="US", product="LED panel"),
    ]
    plan = plan_allocations(facts, rule(routes=routes), PlanContext(available={A, B, C, D}))
    assert [(d.salesperson_id, d.why, d.detail) for d in plan.decisions] == [
        (D, WHY_ROUTE, "de"),
        (C, WHY_ROUTE, "Solar"),
        (A, WHY_ROUND_ROBIN, ""),
    ]


def test_a_route_to_someone_full_falls_back_to_the_pool():
    rules = rule(routes=[RouteSpec(ROUTE_COUNTRY, "DE", A)])
    rules[ACCOUNT].members[0] = MemberSpec(A, 1)
    plan = plan_allocations(inquiries(2, country="DE"), rules, PlanContext(available={A, B, C}, allocated_today={A: 1}))
    assert who(plan) == [B, C]


def test_conversion_weighting_gives_more_to_those_who_convert():
    # A converts 20 of 80 valid, B 2 of 80, C has no history (weighted as 1 of 20).
    context = PlanContext(available={A, B, C}, conversion={A: (20, 80), B: (2, 80)})
    plan = plan_allocations(inquiries(100), rule(mode=MODE_CONVERSION), context)
    counts = Counter(who(plan))
    assert {d.why for d in plan.decisions} == {WHY_CONVERSION}
    # weights: A 21/100 = .21, B 3/100 = .03, C 1/20 = .05 -> exact shares 72.4, 10.3, 17.2 of 100
    assert (counts[A], counts[B], counts[C]) == (73, 10, 17)


def test_conversion_weighting_counts_what_each_already_received_today():
    context = PlanContext(available={A, B}, conversion={A: (5, 20), B: (5, 20)}, allocated_today={A: 3})
    plan = plan_allocations(inquiries(3), rule(mode=MODE_CONVERSION, members=(A, B)), context)
    assert who(plan) == [B, B, B]


def test_an_excluded_salesperson_never_gets_the_inquiry():
    facts = [InquiryFacts(1, ACCOUNT, buyer_email="b@x.com", exclude=frozenset({A}))]
    context = PlanContext(available={A, B}, previous_owner={"b@x.com": A})
    plan = plan_allocations(facts, rule(members=(A, B)), context)
    assert who(plan) == [B]


def test_the_digest_changes_when_the_plan_does():
    first = plan_allocations(inquiries(3), rule(), PlanContext(available={A, B, C}))
    same = plan_allocations(inquiries(3), rule(), PlanContext(available={A, B, C}))
    other = plan_allocations(inquiries(3), rule(), PlanContext(available={A, B}))
    assert first.digest == same.digest
    assert first.digest != other.digest


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 60),
    capacities=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=4),
    away=st.sets(st.integers(1, 4)),
    mode=st.sampled_from([MODE_ROUND_ROBIN, MODE_CONVERSION]),
)
def test_nobody_away_or_past_capacity_ever_gets_an_inquiry(n, capacities, away, mode):
    members = [MemberSpec(i + 1, cap) for i, cap in enumerate(capacities)]
    rules = {ACCOUNT: RuleSpec(ACCOUNT, mode, same_buyer=False, members=members)}
    available = {m.salesperson_id for m in members} - away
    plan = plan_allocations(inquiries(n), rules, PlanContext(available=available))
    counts = Counter(d.salesperson_id for d in plan.placed)
    for member in members:
        assert member.salesperson_id in available or counts[member.salesperson_id] == 0
        if member.daily_capacity is not None:
            assert counts[member.salesperson_id] <= member.daily_capacity
    room = sum(
        (m.daily_capacity if m.daily_capacity is not None else n) for m in members if m.salesperson_id in available
    )
    # Every inquiry is placed while someone has room.
    assert len(plan.placed) == min(n, room)
