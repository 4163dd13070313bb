"""Running totals the report adds up from the grouped rows the database returns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..attribution import Funnel


@dataclass(slots=True)
class Group:
    """The counts of one (account, owner, RFQ-or-not) group of a month's inquiries."""

    account_id: int
    owner_id: int | None
    rfq: bool
    month_index: int | None = None
    inquiries: int = 0
    valid: int = 0
    replied: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")
    # None for a period counted without key figures (CohortPeriod.key_figures).
    reply_24h: int | None = 0
    allocated_valid: int | None = 0
    sla_met: int | None = 0
    allocated: int | None = 0

    @property
    def funnel(self) -> Funnel:
        return Funnel(self.inquiries, self.valid, self.replied, self.won, self.revenue)


@dataclass(slots=True)
class FunnelTally:
    """Groups added up, the funnel alone (a baseline's)."""

    inquiries: int = 0
    valid: int = 0
    replied: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    def add(self, group: Group) -> None:
        self.inquiries += group.inquiries
        self.valid += group.valid
        self.replied += group.replied
        self.won += group.won
        self.revenue += group.revenue

    @property
    def funnel(self) -> Funnel:
        return Funnel(self.inquiries, self.valid, self.replied, self.won, self.revenue)


@dataclass(slots=True)
class Tally(FunnelTally):
    """Groups added up: a funnel with its key-figure counts."""

    reply_24h: int = 0
    allocated_valid: int = 0
    sla_met: int = 0
    allocated: int = 0

    def add(self, group: Group) -> None:
        # Spelled out, not super().add(): three of these per group of a report.
        self.inquiries += group.inquiries
        self.valid += group.valid
        self.replied += group.replied
        self.won += group.won
        self.revenue += group.revenue
        self.reply_24h += group.reply_24h
        self.allocated_valid += group.allocated_valid
        self.sla_met += group.sla_met
        self.allocated += group.allocated


@dataclass(slots=True)
class RfqTally:
    """The RFQ line: a salesperson's own inquiries, those won and their revenue."""

    inquiries: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    def add(self, group: Group) -> None:
        self.inquiries += group.inquiries
        self.won += group.won
        self.revenue += group.revenue


@dataclass
class OrderTally:
    orders: int = 0
    ta_orders: int = 0
    usd: Decimal = Decimal("0")
    ta_usd: Decimal = Decimal("0")

    def add(self, other: OrderTally) -> None:
        self.orders += other.orders
        self.ta_orders += other.ta_orders
        self.usd += other.usd
        self.ta_usd += other.ta_usd
