"""What the allocation rules read: the backlog, the rules, and the planner's inputs."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Account, Role, User

from ..buyers import buyers_current_owner
from ..models import (
    Allocation,
    AllocationRoute,
    AllocationRule,
    AllocationRuleMember,
    Inquiry,
    InquiryState,
    Quality,
)
from ..rules import MODE_CONVERSION, InquiryFacts, MemberSpec, PlanContext, RouteSpec, RuleSpec, plan_allocations


def allocation_backlog(*, account_id: int | None = None) -> QuerySet[Inquiry]:
    """Unassigned new inbound inquiries of accounts whose rule allocates automatically, oldest first."""
    automatic = AllocationRule.objects.exclude(mode=AllocationRule.Mode.MANUAL).values("account_id")
    qs = Inquiry.objects.filter(owner__isnull=True, state=InquiryState.NEW, account_id__in=automatic).inbound()
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("received_at", "id")


def allocation_rules_overview():
    """Every active account with its rule, members and routes (four queries)."""

    rules = AllocationRule.objects.prefetch_related(
        Prefetch("members", queryset=AllocationRuleMember.objects.select_related("salesperson")),
        Prefetch("routes", queryset=AllocationRoute.objects.select_related("salesperson")),
    )
    return (
        Account.objects.filter(is_active=True)
        .select_related("parent")
        .prefetch_related(Prefetch("allocation_rule", queryset=rules))
        .order_by("code")
    )


def salespeople_conversion(salesperson_ids, *, now=None, days: int = 90) -> dict[int, tuple[int, int]]:
    """salesperson id -> (won, valid) over their inbound inquiries received in the last `days` days."""

    ids = list(salesperson_ids)
    if not ids:
        return {}
    since = (now or timezone.now()) - dt.timedelta(days=days)
    rows = (
        Inquiry.objects.filter(owner_id__in=ids, received_at__gte=since)
        .inbound()
        .exclude(quality=Quality.INVALID)
        .values("owner_id")
        .annotate(valid=Count("id"), won=Count("id", filter=Q(state=InquiryState.WON)))
        .order_by()
    )
    return {row["owner_id"]: (row["won"], row["valid"]) for row in rows}


def allocations_today(salesperson_ids, *, now=None) -> dict[int, int]:
    """salesperson id -> allocations they received today (company time), whoever made them."""

    ids = list(salesperson_ids)
    if not ids:
        return {}
    start = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Allocation.objects.filter(salesperson_id__in=ids, assigned_at__gte=start)
        .values("salesperson_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["salesperson_id"]: row["n"] for row in rows}


def allocation_plan_inputs(inquiries, *, rules_qs=None, exclude: dict[int, set[int]] | None = None, now=None):
    """Load what the rule planner needs for `inquiries`, in a fixed number of queries.

    Returns (facts, rules, context) for `inquiries.rules.plan_allocations`. `rules_qs` lets the
    caller pass a locked queryset of AllocationRule; `exclude` maps an inquiry id to salespeople
    it must not go to (the deadline job excludes the one who let it lapse).
    """

    inquiries = list(inquiries)
    exclude = exclude or {}
    rules = _rule_specs(rules_qs, {i.account_id for i in inquiries})
    context = _plan_context(inquiries, rules, now=now)
    facts = [
        InquiryFacts(
            id=i.pk,
            account_id=i.account_id,
            country=i.country,
            product=f"{i.product} {i.subject}",
            buyer_email=i.buyer_email,
            buyer_id=i.buyer_id,
            exclude=frozenset(exclude.get(i.pk, ())),
        )
        for i in inquiries
    ]
    return facts, rules, context


def _rule_specs(rules_qs, account_ids) -> dict[int, RuleSpec]:
    """The automatic rules of the accounts, with their members and routes (three queries)."""
    rules_qs = AllocationRule.objects.all() if rules_qs is None else rules_qs
    rule_objs = list(
        rules_qs.filter(account_id__in=account_ids)
        .exclude(mode=AllocationRule.Mode.MANUAL)
        .prefetch_related(
            Prefetch("members", queryset=AllocationRuleMember.objects.order_by("position", "id")),
            Prefetch("routes", queryset=AllocationRoute.objects.order_by("position", "id")),
        )
    )
    return {
        r.account_id: RuleSpec(
            account_id=r.account_id,
            mode=r.mode,
            same_buyer=r.same_buyer,
            members=[MemberSpec(m.salesperson_id, m.daily_capacity) for m in r.members.all()],
            routes=[RouteSpec(x.kind, x.value, x.salesperson_id) for x in r.routes.all()],
            last_salesperson_id=r.last_salesperson_id,
        )
        for r in rule_objs
    }


def _plan_context(inquiries, rules: dict[int, RuleSpec], *, now=None) -> PlanContext:
    """Who is available, their load today, their conversion and the buyers' owners (none without rules)."""
    context = PlanContext(available=set())
    if not rules:
        return context
    people = {m.salesperson_id for r in rules.values() for m in r.members} | {
        x.salesperson_id for r in rules.values() for x in r.routes
    }
    context.available = set(
        User.objects.filter(role=Role.SALES, is_active=True, is_away=False).values_list("id", flat=True)
    )
    context.allocated_today = allocations_today(people, now=now)
    converting = {m.salesperson_id for r in rules.values() if r.mode == MODE_CONVERSION for m in r.members}
    context.conversion = salespeople_conversion(converting, now=now)
    emails = {
        i.buyer_email.strip()
        for i in inquiries
        if i.buyer_email.strip() and i.account_id in rules and rules[i.account_id].same_buyer
    }
    context.previous_owner = buyers_previous_owner(emails)
    context.buyer_owner = buyers_current_owner(
        {i.buyer_id for i in inquiries if i.buyer_id and i.account_id in rules and rules[i.account_id].same_buyer}
    )
    return context


def buyers_previous_owner(emails) -> dict[str, int]:
    """Lower-cased buyer email -> owner of that buyer's most recent allocated inquiry.

    Compared case-insensitively (Alibaba exports and people type addresses differently), through
    the index on LOWER(buyer_email).
    """
    keys = sorted({email.strip().lower() for email in emails if email.strip()})
    result: dict[str, tuple] = {}
    for start in range(0, len(keys), 500):
        rows = (
            Inquiry.objects.annotate(email_key=Lower("buyer_email"))
            .filter(email_key__in=keys[start : start + 500], owner__isnull=False)
            .values_list("email_key", "owner_id", "received_at", "id")
            .order_by()
        )
        for key, owner_id, received_at, pk in rows:
            if key not in result or (received_at, pk) > result[key][1:]:
                result[key] = (owner_id, received_at, pk)
    return {email: value[0] for email, value in result.items()}


def allocation_rules_preview(*, inquiries) -> tuple:
    """Who the rules would give each of `inquiries` to, without writing anything.

    Returns (plan, inquiries_by_id).
    """
    # Oldest first, exactly as allocation_rules_apply orders them, so the plans agree.
    inquiries = sorted(inquiries, key=lambda i: (i.received_at, i.pk))
    facts, rules, context = allocation_plan_inputs(inquiries)
    return plan_allocations(facts, rules, context), {i.pk: i for i in inquiries}
