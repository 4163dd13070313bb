"""This month made alive (the queue, the overdue, the disputes, today's follow-ups) and nothing
planned after `now`."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from .records import Allocation, Inquiry, Verdict
from .story import (
    FLAG_NOTES,
    FLAG_REASON,
    MAIN_A,
    NEW_HOLDER,
    SEED,
    SLIPPED,
    SLIPPED_USUAL,
)


class PresentPlanner:
    """Part of the planner (plan/__init__.py): this month made alive, the future dropped."""

    def make_the_present_alive(self) -> None:
        """The queue, the overdue, the disputes and today's follow-ups the pages should show."""
        rng = random.Random(f"{SEED}/present")
        current = [i for i in self.inquiries if i.month == 0 and i.source != "rfq"]
        current.sort(key=lambda i: i.received_at)
        screened = [i for i in current if not i.allocations]
        # Each step leaves alone the inquiries an earlier one took (`taken`: their ids).
        taken = set(map(id, self.plan_disputes(current) + screened))
        taken |= self.plan_queue(rng, current, taken)
        taken |= self.plan_overdue(rng, taken)
        self.plan_due_followups(rng, taken)

    def plan_disputes(self, current: list[Inquiry]) -> list[Inquiry]:
        """A few flags from the last days that operations have not reviewed yet."""
        now = self.now
        working = [i for i in current if i.allocations]
        settled = [i for i in working if i.received_at < now - dt.timedelta(hours=6)]
        disputes: list[Inquiry] = []
        owners: set[str] = {NEW_HOLDER}  # she answers everything; the others complain
        for inquiry in sorted(settled, key=lambda i: (i.nature == "good", -i.received_at.timestamp())):
            if inquiry.owner not in owners and len(disputes) < 4:
                disputes.append(inquiry)
                owners.add(inquiry.owner)
        if len(disputes) < 3:
            disputes += [i for i in reversed(working) if all(i is not d for d in disputes)][: 3 - len(disputes)]
        for inquiry in disputes:
            first = inquiry.allocations[0]
            span = now - inquiry.received_at
            allocated = min(first.at, inquiry.received_at + span * 0.3)
            reason = FLAG_REASON.get(inquiry.nature, "no_requirement")
            inquiry.clear_work()
            inquiry.allocations.append(Allocation(allocated, first.salesperson, first.by, first.reason))
            flagged = inquiry.received_at + span * 0.6
            inquiry.verdicts.append(Verdict(flagged, "sales", "invalid", reason, FLAG_NOTES[reason], first.salesperson))
        return disputes

    def plan_queue(self, rng: random.Random, current: list[Inquiry], taken: set[int]) -> set[int]:
        """The queue: whatever came in during the last 90 minutes, and a share of the last 2.5 days."""
        now = self.now
        queue = [
            i
            for i in current
            if id(i) not in taken
            and (
                i.received_at > now - dt.timedelta(minutes=90)
                or (i.received_at > now - dt.timedelta(hours=60) and rng.random() < 0.3)
            )
        ]
        if len(queue) < 6:
            queue = [i for i in current if id(i) not in taken][-6:]
        for inquiry in queue:
            inquiry.clear_work()
        return set(map(id, queue))

    def plan_overdue(self, rng: random.Random, taken: set[int]) -> set[int]:
        """Allocated a day or more ago, no answer yet (not main A: 陈静 answers everything)."""
        now = self.now
        window = [
            i
            for i in self.inquiries
            if id(i) not in taken
            and i.source != "rfq"
            and i.account != MAIN_A
            and i.nature == "good"
            and now - dt.timedelta(hours=72) < i.received_at < now - dt.timedelta(hours=26)
            and len(i.allocations) == 1
        ]
        overdue = rng.sample(window, min(6, len(window)))
        for inquiry in overdue:
            allocation = inquiry.allocations[0]
            inquiry.clear_work()
            inquiry.allocations.append(allocation)
        return set(map(id, overdue))

    def plan_due_followups(self, rng: random.Random, taken: set[int]) -> None:
        """The last follow-up of each open conversation of the past weeks names its next step, and a
        couple per salesperson fall due today."""
        now = self.now
        today = now.astimezone(self.tz).date()
        open_talks = [
            i
            for i in self.inquiries
            if id(i) not in taken
            and i.followups
            and not i.orders
            and (i.loss is None or i.loss.at >= now)  # a close still ahead is dropped with the future
            and not i.is_invalid
            and now - dt.timedelta(days=45) < i.followups[-1].at < now - dt.timedelta(hours=1)
        ]
        by_owner: dict[str, list[Inquiry]] = defaultdict(list)
        for inquiry in open_talks:
            last = inquiry.followups[-1]
            planned = last.at.astimezone(self.tz).date() + dt.timedelta(days=rng.randint(2, 7))
            # Most planned steps still lie ahead (the buyer asked for time); some have slipped past,
            # which is what the salesperson's overdue list is for: how many depends on who.
            if planned < today and rng.random() >= SLIPPED.get(last.author, SLIPPED_USUAL):
                planned = today + dt.timedelta(days=rng.randint(1, 7))
            last.next_action_on = planned
            by_owner[last.author].append(inquiry)
        for _owner, talks in sorted(by_owner.items()):
            for inquiry in rng.sample(talks, min(2, len(talks))):
                inquiry.followups[-1].next_action_on = today

    def drop_the_future(self) -> None:
        """Nothing is planned at or after `now`: later events are simply not there yet."""
        cutoff = self.now - dt.timedelta(minutes=1)
        self.inquiries = [i for i in self.inquiries if i.received_at < cutoff]
        for inquiry in self.inquiries:
            inquiry.allocations = [a for a in inquiry.allocations if a.at < cutoff]
            if not inquiry.allocations:
                inquiry.followups.clear()
                inquiry.orders.clear()
                inquiry.verdicts[:] = [v for v in inquiry.verdicts if v.side == "ops"]
            inquiry.followups = [f for f in inquiry.followups if f.at < cutoff]
            inquiry.verdicts = [v for v in inquiry.verdicts if v.at < cutoff]
            inquiry.orders = [o for o in inquiry.orders if o.at < cutoff]
            for order in inquiry.orders:
                if order.cancelled_at is not None and order.cancelled_at >= cutoff:
                    order.cancelled_at, order.cancel_reason = None, ""
            if inquiry.loss is not None and (inquiry.loss.at >= cutoff or inquiry.orders):
                inquiry.loss = None
        self.quotes = [q for q in self.quotes if q.quoted_at < cutoff]
