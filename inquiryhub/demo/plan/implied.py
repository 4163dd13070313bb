"""What the plan implies: the account hand-overs and Alibaba's weekly reply-rate snapshots."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from .records import HandOver, Inquiry, Snapshot
from .story import (
    FIRST_MONTH,
    HOLDINGS,
)


class ImpliedPlanner:
    """Part of the planner (plan/__init__.py): what the planned inquiries imply."""

    def hand_overs(self) -> list[HandOver]:
        return [
            HandOver(account, holder, "opsmgr", self.holding_start(month, hours))
            for account, holder, month, hours in HOLDINGS
            if self.holding_start(month, hours) < self.now
        ]

    def snapshots(self) -> list[Snapshot]:
        """Alibaba's reply rate as its back office would show it each Monday: answered within 24 h
        of the inquiries of the 30 days before, and the average time to the first answer."""
        by_account: dict[str, list[Inquiry]] = defaultdict(list)
        for inquiry in self.inquiries:
            if inquiry.source != "rfq" and not (inquiry.verdicts and not inquiry.allocations):
                by_account[inquiry.account].append(inquiry)
        start = self.month_starts[FIRST_MONTH].date() + dt.timedelta(days=7)
        first_monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        today = self.now.astimezone(self.tz).date()
        snapshots = []
        for code, inquiries in sorted(by_account.items()):
            day = first_monday
            while day <= today:
                taken_at = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
                if taken_at > self.now:
                    break
                window = [i for i in inquiries if taken_at - dt.timedelta(days=30) <= i.received_at < taken_at]
                if len(window) >= 5:
                    answered = [
                        (reply - i.received_at).total_seconds() / 3600
                        for i in window
                        if (reply := i.first_reply_at) is not None and reply < taken_at
                    ]
                    fast = sum(1 for h in answered if h <= 24)
                    rate = (Decimal(fast) / Decimal(len(window))).quantize(Decimal("0.0001"))
                    average = (Decimal(sum(answered)) / len(answered)).quantize(Decimal("0.01")) if answered else None
                    snapshots.append(Snapshot(code, day, rate, average))
                day += dt.timedelta(days=7)
        return snapshots
