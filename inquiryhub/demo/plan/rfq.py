"""RFQ quotes each salesperson sends a month, and the inquiries some of them bring."""

from __future__ import annotations

import datetime as dt
import random

from ..catalogue import PRODUCTS, buyer_make, message_write
from .base import buyer_wrote, in_hours, skewed
from .records import Allocation, Inquiry, Quote
from .story import (
    ACCOUNTS,
    HABITS,
    MAIN_B,
    SEED,
    TEAM,
    Habit,
    rfq_usage,
)


class RfqPlanner:
    """Part of the planner (plan/__init__.py): RFQ quotes and the inquiries they bring."""

    def plan_rfq(self) -> None:
        for number, member in enumerate(TEAM, start=1):
            if member.role != "sales":
                continue
            for month in range(member.joins, 1):
                rng = random.Random(f"{SEED}/rfq/{member.username}/{month}")
                count = round(member.rfq_quota * rfq_usage(member.username, month))
                if month == 0:
                    count = round(count * self.elapsed)
                start, end = self.month_span(month)
                span = (end - start).total_seconds()
                label = self.month_starts[month].strftime("%Y%m")
                for n in range(1, count + 1):
                    quoted = start + dt.timedelta(seconds=rng.uniform(0, span))
                    account = self.account_of(member.username, quoted)
                    product = rng.choice(PRODUCTS)
                    price = round(rng.uniform(*product.price_usd), 2)
                    rfq_id = f"{label}{number:02d}{n:03d}"
                    note = f"{product.name}:US${price:.2f}/{product.unit} FOB 深圳"
                    self.quotes.append(Quote(member.username, rfq_id, quoted, account, note))
                    if rng.random() < 0.15:
                        self.plan_rfq_inquiry(rng, member.username, rfq_id, quoted, account, product)

    def account_of(self, username: str, at: dt.datetime) -> str:
        """The account a salesperson quotes from: the one they hold, else main account B."""
        held = [a.code for a in ACCOUNTS if self.holder(a.code, at) == username]
        return held[0] if held else MAIN_B

    def plan_rfq_inquiry(self, rng, salesperson: str, rfq_id: str, quoted: dt.datetime, account: str, product):
        received = quoted + dt.timedelta(days=rng.uniform(0.5, 6))
        buyer = buyer_make(rng)
        text = message_write(rng, nature="good", source="inquiry", buyer=buyer, product=product)
        month = max(m for m, start in self.month_starts.items() if start <= received and m <= 0)
        inquiry = Inquiry(
            account=account,
            external_id=f"RFQ{rfq_id}",
            received_at=received,
            month=month,
            source="rfq",
            nature="good",
            **{
                **buyer_wrote(buyer, text),
                "subject": f"Re: RFQ {product.name}",
                "message": f"Thanks for your quotation. {text.message}",
            },
            rfq=(salesperson, rfq_id),
        )
        inquiry.allocations.append(Allocation(received + dt.timedelta(minutes=5), salesperson, None, "rule"))
        base = HABITS[salesperson]
        habit = Habit(1.0, (base.delay[0] / 2, base.delay[1] / 2), 0.12, base.ta, 0.0, 0.0)
        self.converse(rng, inquiry, salesperson, habit, received + in_hours(skewed(rng, *habit.delay)), may_win=True)
        self.inquiries.append(inquiry)
