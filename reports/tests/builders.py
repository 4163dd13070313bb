"""Fast builders for report tests: whole cohorts in a handful of bulk inserts.

They write the rows the services would write (allocation history, the inquiry row's copies,
orders), without the audit trail, so that tests of hundreds of inquiries stay quick.
"""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from inquiries.models import Allocation, Inquiry, Order, Quality, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(year, month, day, hour=0, minute=0, second=0) -> dt.datetime:
    """An instant written in Shanghai time."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def cohort(
    *,
    account,
    start: dt.datetime,
    inquiries: int,
    valid: int,
    replied: int,
    won: int,
    revenue: Decimal | int = 0,
    owner=None,
    allocated_after: dt.timedelta = dt.timedelta(hours=1),
    reply_after: dt.timedelta = dt.timedelta(hours=2),
    won_after: dt.timedelta = dt.timedelta(days=5),
    source: str = Source.INQUIRY,
    step: dt.timedelta = dt.timedelta(minutes=7),
    trade_assurance: bool = False,
) -> list[Inquiry]:
    """`inquiries` inquiries from `start` on, the first `valid` unrated (the rest rated invalid),
    the first `replied` with a first reply, the first `won` with one order each sharing `revenue`.
    """
    assert inquiries >= valid >= replied >= won >= 0
    rows = []
    for n in range(inquiries):
        received = start + n * step
        rows.append(
            Inquiry(
                account=account,
                external_id=f"B{next(_ids):08d}",
                received_at=received,
                source=source,
                quality="" if n < valid else Quality.INVALID,
                first_reply_at=received + reply_after if n < replied else None,
                owner=owner,
                first_allocated_at=received + allocated_after if owner else None,
            )
        )
    Inquiry.objects.bulk_create(rows)
    if owner:
        Allocation.objects.bulk_create(
            Allocation(inquiry=i, salesperson=owner, assigned_at=i.first_allocated_at, reason="import") for i in rows
        )
    if won:
        revenue = Decimal(revenue)
        each = (revenue / won).quantize(Decimal("0.01"))
        amounts = [each] * (won - 1) + [revenue - each * (won - 1)]
        Order.objects.bulk_create(
            Order(
                inquiry=i,
                salesperson=owner,
                account=account,
                won_at=i.received_at + won_after,
                amount_usd=amount,
                trade_assurance=trade_assurance,
            )
            for i, amount in zip(rows[:won], amounts, strict=True)
        )
    return rows
