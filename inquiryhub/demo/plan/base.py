"""The planner's calendar: the month starts before `now`, who holds an account when, office
hours; and the small helpers every part of the plan uses."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from ..catalogue import PRODUCTS, Product
from .records import Inquiry, Quote
from .story import (
    FIRST_MONTH,
    HOLDINGS,
)


def in_hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def skewed(rng: random.Random, low: float, high: float) -> float:
    """Between low and high, most often near low (people answer most things soon, a few late)."""
    return low + (high - low) * rng.random() ** 1.7


def product_named(name: str) -> Product | None:
    for product in PRODUCTS:
        if product.name == name:
            return product
    return None


def buyer_wrote(buyer, text) -> dict:
    """An inquiry's buyer and message fields from a made-up buyer and what they wrote."""
    return {
        "buyer_name": buyer.name,
        "buyer_company": buyer.company,
        "buyer_email": buyer.email,
        "country": buyer.country,
        "product": text.product,
        "quantity": text.quantity,
        "subject": text.subject,
        "message": text.message,
    }


class PlannerBase:
    """The calendar every part of the planner works on, and the inquiries and quotes planned so far."""

    def __init__(self, *, now: dt.datetime, tz: zoneinfo.ZoneInfo):
        self.now = now
        self.tz = tz
        local = now.astimezone(tz)
        self.month_starts = {}
        for month in range(FIRST_MONTH, 2):
            year, index = divmod(local.year * 12 + local.month - 1 + month, 12)
            self.month_starts[month] = dt.datetime(year, index + 1, 1, tzinfo=tz)
        self.inquiries: list[Inquiry] = []
        self.quotes: list[Quote] = []
        # The fraction of the current month gone by: it scales this month's volume.
        start, end = self.month_starts[0], self.month_starts[1]
        self.elapsed = max((now - start) / (end - start), 0.0)

    # -- time helpers ---------------------------------------------------------------------------

    def month_span(self, month: int) -> tuple[dt.datetime, dt.datetime]:
        end = self.month_starts[month + 1] if month < 0 else self.now - dt.timedelta(minutes=10)
        return self.month_starts[month], max(end, self.month_starts[month] + dt.timedelta(minutes=1))

    def holding_start(self, month: int, hours: float) -> dt.datetime:
        return self.month_starts[month] + in_hours(hours)

    def holder(self, code: str, at: dt.datetime) -> str | None:
        current = None
        for account, holder, month, hours in HOLDINGS:
            if account == code and self.holding_start(month, hours) <= at:
                current = holder
        return current

    def allocation_time(self, rng: random.Random, received: dt.datetime) -> dt.datetime:
        """Operations allocate in office hours (9:00–19:00 Shanghai): at night it waits till morning."""
        local = received.astimezone(self.tz)
        if 9 <= local.hour < 19:
            return received + dt.timedelta(minutes=rng.uniform(5, 150))
        morning = local.replace(hour=9, minute=0, second=0, microsecond=0)
        if local.hour >= 19:
            morning += dt.timedelta(days=1)
        return morning + dt.timedelta(minutes=rng.uniform(0, 90))
