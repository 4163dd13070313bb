"""The allocation rules' decisions, as plain Python over plain values: no ORM inside.

`plan_allocations` decides, for each inquiry in order, which salesperson an account's rule gives
it to and why. The selectors load the facts, the services lock and write; the same planner makes
the preview and the real thing, so that what the preview shows is what happens.

Order of precedence for one inquiry (the account's rule must not be manual):
1. the same buyer (the Buyer record, else the email) goes to the salesperson who holds that
   buyer, if available;
2. the first route whose country or product keyword matches, if its salesperson is available
   and under their daily capacity;
3. the pool: round robin after the last salesperson served, or the lowest load relative to the
   salesperson's 90-day conversion;
4. nobody: the inquiry stays in the queue for a person to allocate.

"Available" means an active salesperson who is not away and not excluded for this inquiry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

MODE_MANUAL = "manual"
MODE_ROUND_ROBIN = "round_robin"
MODE_CONVERSION = "conversion"

ROUTE_COUNTRY = "country"
ROUTE_KEYWORD = "keyword"

WHY_SAME_BUYER = "same_buyer"
WHY_ROUTE = "route"
WHY_ROUND_ROBIN = "round_robin"
WHY_CONVERSION = "conversion"
WHY_NOBODY = "nobody"
WHY_MANUAL = "manual"

# A salesperson with no history is weighted as if they converted PRIOR_WON of PRIOR_VALID
# inquiries: newcomers get a fair share, and one lucky order does not take everything.
PRIOR_WON = 1
PRIOR_VALID = 20


@dataclass(frozen=True)
class InquiryFacts:
    id: int
    account_id: int
    country: str = ""
    product: str = ""
    buyer_email: str = ""
    buyer_id: int | None = None
    exclude: frozenset[int] = frozenset()


@dataclass(frozen=True)
class MemberSpec:
    salesperson_id: int
    daily_capacity: int | None = None


@dataclass(frozen=True)
class RouteSpec:
    kind: str
    value: str
    salesperson_id: int

    def matches(self, inquiry: InquiryFacts) -> bool:
        value = self.value.strip()
        if not value:
            return False
        if self.kind == ROUTE_COUNTRY:
            return inquiry.country.strip().upper() == value.upper()
        return value.casefold() in inquiry.product.casefold()


@dataclass
class RuleSpec:
    account_id: int
    mode: str
    same_buyer: bool = True
    members: list[MemberSpec] = field(default_factory=list)
    routes: list[RouteSpec] = field(default_factory=list)
    last_salesperson_id: int | None = None

    @property
    def is_automatic(self) -> bool:
        return self.mode != MODE_MANUAL

    def capacity_of(self, salesperson_id: int) -> int | None:
        for member in self.members:
            if member.salesperson_id == salesperson_id:
                return member.daily_capacity
        return None


@dataclass
class PlanContext:
    """What the planner needs to know about people; the planner updates the counts as it goes."""

    available: set[int]
    allocated_today: dict[int, int] = field(default_factory=dict)
    # salesperson id -> (won, valid) over the last 90 days
    conversion: dict[int, tuple[int, int]] = field(default_factory=dict)
    # lower-cased buyer email -> the salesperson who had that buyer most recently
    previous_owner: dict[str, int] = field(default_factory=dict)
    # buyer id -> the salesperson who holds that buyer (see inquiries.buyers)
    buyer_owner: dict[int, int] = field(default_factory=dict)

    def weight(self, salesperson_id: int) -> float:
        won, valid = self.conversion.get(salesperson_id, (0, 0))
        return (won + PRIOR_WON) / (valid + PRIOR_VALID)


@dataclass(frozen=True)
class Decision:
    inquiry_id: int
    account_id: int
    salesperson_id: int | None
    why: str
    detail: str = ""


@dataclass
class Plan:
    decisions: list[Decision]
    # account id -> the round-robin cursor after this plan
    cursors: dict[int, int | None]

    @property
    def placed(self) -> list[Decision]:
        return [d for d in self.decisions if d.salesperson_id is not None]

    @property
    def digest(self) -> str:
        """A short fingerprint of who gets what, to tell whether a preview is still true."""
        text = ";".join(f"{d.inquiry_id}:{d.salesperson_id or 0}" for d in self.decisions)
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan_allocations(inquiries: Iterable[InquiryFacts], rules: dict[int, RuleSpec], context: PlanContext) -> Plan:
    """Decide each inquiry in the order given (oldest first, for fairness)."""
    cursors = {account_id: rule.last_salesperson_id for account_id, rule in rules.items()}
    decisions = []
    for inquiry in inquiries:
        rule = rules.get(inquiry.account_id)
        if rule is None or not rule.is_automatic:
            decisions.append(Decision(inquiry.id, inquiry.account_id, None, WHY_MANUAL))
            continue
        decision = _decide(inquiry, rule, context, cursors)
        if decision.salesperson_id is not None:
            context.allocated_today[decision.salesperson_id] = (
                context.allocated_today.get(decision.salesperson_id, 0) + 1
            )
            email = inquiry.buyer_email.strip().lower()
            if email and rule.same_buyer:
                context.previous_owner[email] = decision.salesperson_id
            if inquiry.buyer_id is not None and rule.same_buyer:
                context.buyer_owner[inquiry.buyer_id] = decision.salesperson_id
        decisions.append(decision)
    return Plan(decisions, cursors)


def _decide(inquiry: InquiryFacts, rule: RuleSpec, context: PlanContext, cursors: dict) -> Decision:
    def available(pid: int | None) -> bool:
        return pid is not None and pid in context.available and pid not in inquiry.exclude

    def has_room(pid: int) -> bool:
        capacity = rule.capacity_of(pid)
        return capacity is None or context.allocated_today.get(pid, 0) < capacity

    def decided(pid: int | None, why: str, detail: str = "") -> Decision:
        return Decision(inquiry.id, inquiry.account_id, pid, why, detail)

    email = inquiry.buyer_email.strip().lower()
    if rule.same_buyer and (inquiry.buyer_id is not None or email):
        # The buyer record knows the buyer across e-mails, phones and spellings of the company.
        previous = context.buyer_owner.get(inquiry.buyer_id) if inquiry.buyer_id is not None else None
        if previous is None and email:
            previous = context.previous_owner.get(email)
        # A returning buyer follows their salesperson even past the daily capacity: continuity wins.
        if available(previous):
            return decided(previous, WHY_SAME_BUYER, email)

    for route in rule.routes:
        if route.matches(inquiry) and available(route.salesperson_id) and has_room(route.salesperson_id):
            return decided(route.salesperson_id, WHY_ROUTE, route.value)

    pool = [m.salesperson_id for m in rule.members if available(m.salesperson_id) and has_room(m.salesperson_id)]
    if not pool:
        return decided(None, WHY_NOBODY)

    if rule.mode == MODE_ROUND_ROBIN:
        order = [m.salesperson_id for m in rule.members]
        last = cursors.get(inquiry.account_id)
        start = order.index(last) + 1 if last in order else 0
        rotation = order[start:] + order[:start]
        chosen = next(pid for pid in rotation if pid in pool)
        cursors[inquiry.account_id] = chosen
        return decided(chosen, WHY_ROUND_ROBIN)

    # Conversion-weighted: the salesperson whose load today is lowest for their weight; over a
    # day each receives inquiries in proportion to how well they convert.
    chosen = min(pool, key=lambda pid: (context.allocated_today.get(pid, 0) + 1) / context.weight(pid))
    return decided(chosen, WHY_CONVERSION)
