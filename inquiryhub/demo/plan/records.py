"""What the plan is made of: plain records of inquiries, allocations, follow-ups, verdicts,
orders, losses, RFQ quotes, hand-overs and reply-rate snapshots (no Django models)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Allocation:
    at: dt.datetime
    salesperson: str
    by: str | None
    reason: str  # manual, rule, deadline


@dataclass
class FollowUp:
    at: dt.datetime
    kind: str
    author: str
    note: str
    next_action_on: dt.date | None = None


@dataclass
class Verdict:
    at: dt.datetime
    side: str  # sales, ops
    verdict: str  # valid, invalid
    reason: str
    note: str
    by: str


@dataclass
class Order:
    at: dt.datetime
    amount_usd: Decimal
    trade_assurance: bool
    salesperson: str
    original_currency: str = ""
    original_amount: Decimal | None = None
    note: str = ""
    cancelled_at: dt.datetime | None = None
    cancel_reason: str = ""


@dataclass
class Loss:
    at: dt.datetime
    by: str
    reason: str


@dataclass
class Inquiry:
    account: str
    external_id: str
    received_at: dt.datetime
    month: int
    source: str
    nature: str
    buyer_name: str
    buyer_company: str
    buyer_email: str
    country: str
    product: str
    quantity: str
    subject: str
    message: str
    rfq: tuple[str, str] | None = None  # (salesperson, rfq_id) of the quote it answers
    allocations: list[Allocation] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    loss: Loss | None = None

    @property
    def owner(self) -> str | None:
        return self.allocations[-1].salesperson if self.allocations else None

    @property
    def first_reply_at(self) -> dt.datetime | None:
        times = [f.at for f in self.followups if f.kind in ("reply", "quote", "email", "call")]
        return min(times) if times else None

    @property
    def is_invalid(self) -> bool:
        return bool(self.verdicts) and self.verdicts[-1].verdict == "invalid"

    def clear_work(self) -> None:
        """Nothing has happened to it since it arrived."""
        self.allocations.clear()
        self.followups.clear()
        self.verdicts.clear()
        self.orders.clear()
        self.loss = None


@dataclass(frozen=True)
class Quote:
    salesperson: str
    rfq_id: str
    quoted_at: dt.datetime
    account: str
    note: str


@dataclass(frozen=True)
class HandOver:
    account: str
    to: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Snapshot:
    account: str
    date: dt.date
    reply_rate: Decimal
    avg_reply_hours: Decimal | None


@dataclass
class DemoPlan:
    now: dt.datetime
    month_starts: dict[int, dt.datetime]
    hand_overs: list[HandOver]
    quotes: list[Quote]
    inquiries: list[Inquiry]
    snapshots: list[Snapshot]
