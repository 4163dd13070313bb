"""Allocation rules: saving them and applying them to the unallocated inquiries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Account, User

from .. import alerts
from .. import rules as rules_mod
from ..models import (
    Allocation,
    AllocationRoute,
    AllocationRule,
    AllocationRuleMember,
    Inquiry,
    InquiryState,
)
from ..rules import Plan, plan_allocations
from ..selectors import allocation_plan_inputs
from .allocation import AllocationRequest, _notify_allocated, check_salesperson, inquiries_allocate_many


@dataclass(frozen=True)
class RuleMemberInput:
    salesperson: User
    daily_capacity: int | None = None


@dataclass(frozen=True)
class RouteInput:
    kind: str
    value: str
    salesperson: User


@transaction.atomic
def allocation_rule_save(
    *,
    account: Account,
    mode: str,
    same_buyer: bool,
    reallocate_overdue: bool,
    members: Sequence[RuleMemberInput],
    routes: Sequence[RouteInput],
    by: User | None,
) -> AllocationRule:
    """Set an account's allocation rule, its pool and its routes; the audit row keeps old and new."""
    if mode not in AllocationRule.Mode.values:
        raise ValidationError({"mode": _("Choose how inquiries are allocated.")})
    for person in [m.salesperson for m in members] + [r.salesperson for r in routes]:
        check_salesperson(person)
    if mode != AllocationRule.Mode.MANUAL and not members:
        raise ValidationError({"members": _("Choose at least one salesperson for automatic allocation.")})
    rule, _created = AllocationRule.objects.select_for_update().get_or_create(account=account)
    before = _rule_snapshot(rule)
    rule.mode, rule.same_buyer, rule.reallocate_overdue = mode, same_buyer, reallocate_overdue
    rule.updated_by = by if by is not None and by.pk else None
    rule.save()
    rule.members.all().delete()
    AllocationRuleMember.objects.bulk_create(
        AllocationRuleMember(rule=rule, salesperson=m.salesperson, daily_capacity=m.daily_capacity, position=n)
        for n, m in enumerate(members)
    )
    rule.routes.all().delete()
    AllocationRoute.objects.bulk_create(
        AllocationRoute(rule=rule, kind=r.kind, value=r.value.strip(), salesperson=r.salesperson, position=n)
        for n, r in enumerate(routes)
    )
    after = _rule_snapshot(rule)
    if before != after:
        audit_record(
            actor=by,
            action="rule.save",
            target=rule,
            summary=_("Allocation rule of %(account)s: %(mode)s")
            % {"account": account.code, "mode": AllocationRule.Mode(mode).label},
            changes={key: [before.get(key), value] for key, value in after.items() if before.get(key) != value},
        )
    return rule


def _rule_snapshot(rule: AllocationRule) -> dict:
    if rule.pk is None:
        return {}
    return {
        "mode": rule.mode,
        "same_buyer": rule.same_buyer,
        "reallocate_overdue": rule.reallocate_overdue,
        "members": [[m.salesperson.username, m.daily_capacity] for m in rule.members.select_related("salesperson")],
        "routes": [[r.kind, r.value, r.salesperson.username] for r in rule.routes.select_related("salesperson")],
    }


@dataclass
class RulesOutcome:
    """What applying the rules did."""

    plan: Plan | None = None
    allocated: int = 0
    # inquiries the rules could not place (nobody available or under capacity)
    unplaced: int = 0
    # ids that were not eligible: already allocated, not new, RFQ, missing, or a manual account
    skipped: int = 0
    per_salesperson: dict[int, int] = dataclasses.field(default_factory=dict)
    stale: bool = False


RULES_BATCH = 2000


@transaction.atomic
def allocation_rules_apply(
    *, inquiry_ids: Iterable[int], by: User | None = None, expected_digest: str | None = None
) -> RulesOutcome:
    """Allocate new unassigned inbound inquiries by their account's rule (reason "rule").

    Safe to call with any ids: allocated, invalid, RFQ, missing or manual-account inquiries are
    skipped. Queries do not grow with the number of inquiries (batches of 2,000). With
    `expected_digest`, nothing is written unless the plan is still the one the preview showed.
    """
    ids = sorted({int(i) for i in inquiry_ids})
    locked: list[Inquiry] = []
    for start in range(0, len(ids), RULES_BATCH):
        locked += (
            Inquiry.objects.select_for_update(of=("self",))
            .filter(pk__in=ids[start : start + RULES_BATCH], owner__isnull=True, state=InquiryState.NEW)
            .inbound()
            .order_by("pk")
        )
    locked.sort(key=lambda i: (i.received_at, i.pk))
    outcome = RulesOutcome(skipped=len(ids) - len(locked))
    if not locked:
        return outcome
    # Locking the rules serialises concurrent runs, so that the round-robin cursor and the daily
    # capacities stay true.
    rules_qs = AllocationRule.objects.select_for_update()
    facts, rules, context = allocation_plan_inputs(locked, rules_qs=rules_qs)
    plan = plan_allocations(facts, rules, context)
    outcome.plan = plan
    if expected_digest is not None and plan.digest != expected_digest:
        outcome.stale = True
        return outcome
    _write_plan(plan=plan, inquiries={i.pk: i for i in locked}, by=by, reason=Allocation.Reason.RULE, outcome=outcome)
    outcome.skipped += sum(1 for d in plan.decisions if d.why == rules_mod.WHY_MANUAL)
    outcome.unplaced = sum(1 for d in plan.decisions if d.why == rules_mod.WHY_NOBODY)
    return outcome


def _write_plan(*, plan: Plan, inquiries: dict[int, Inquiry], by, reason: str, outcome: RulesOutcome, note_prefix=""):
    people = {u.pk: u for u in User.objects.filter(pk__in={d.salesperson_id for d in plan.placed})}
    groups: dict[str, list[AllocationRequest]] = {}
    for decision in plan.placed:
        note = (note_prefix + _rule_note(decision)).strip()
        groups.setdefault(note, []).append(
            AllocationRequest(inquiries[decision.inquiry_id], people[decision.salesperson_id])
        )
    # One write per kind of reason (a handful), not per inquiry.
    for note, requests in groups.items():
        inquiries_allocate_many(requests=requests, by=by, reason=reason, note=note)
    counts: dict[int, int] = {}
    for decision in plan.placed:
        counts[decision.salesperson_id] = counts.get(decision.salesperson_id, 0) + 1
    outcome.allocated += len(plan.placed)
    for pid, n in counts.items():
        outcome.per_salesperson[pid] = outcome.per_salesperson.get(pid, 0) + n
    changed = [
        AllocationRule(pk=rule.pk, last_salesperson_id=plan.cursors[rule.account_id])
        for rule in AllocationRule.objects.filter(account_id__in=plan.cursors).only("pk", "account_id")
        if plan.cursors.get(rule.account_id) is not None
    ]
    AllocationRule.objects.bulk_update(changed, ["last_salesperson"])
    _notify_allocated({people[pid]: n for pid, n in counts.items()}, by=by)
    placed: dict[User, list[Inquiry]] = {}
    for decision in plan.placed:
        placed.setdefault(people[decision.salesperson_id], []).append(inquiries[decision.inquiry_id])
    alerts.allocation_alert(allocated=placed, by=by)


def _rule_note(decision) -> str:
    if decision.why == rules_mod.WHY_SAME_BUYER:
        return _("Same buyer as before")
    if decision.why == rules_mod.WHY_ROUTE:
        return _("Route: %(value)s") % {"value": decision.detail}
    if decision.why == rules_mod.WHY_ROUND_ROBIN:
        return _("Round robin")
    if decision.why == rules_mod.WHY_CONVERSION:
        return _("Weighted by conversion")
    return ""
