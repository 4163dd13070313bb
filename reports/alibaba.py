"""Alibaba's figure beside ours: a salesperson's month as the back office's staff analysis counts it
(imported as `AlibabaStaffMonth`) and as InquiryHub counts it, with what a difference likely means.

`alibaba_comparisons` is the selector the report and "my month" call; `compare` is plain Python
over plain numbers, so the tolerances can be tested exhaustively.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import AlibabaStaffMonth, User
from inquiries.models import Inquiry, Order

# A difference is marked when it passes both bounds: an absolute one (small counts differ by a
# few for ordinary reasons) and a relative one (against Alibaba's figure).
TOLERANCE = {
    "inquiries": (Decimal(2), Decimal("0.05")),
    "reply_rate": (Decimal("0.05"), Decimal(0)),  # five percentage points
    "avg_reply_hours": (Decimal(1), Decimal("0.20")),
    "ta_orders": (Decimal(0), Decimal(0)),  # one order is already a customer missing
    "revenue_usd": (Decimal(100), Decimal("0.05")),
}
LABELS = {
    "inquiries": gettext_lazy("Inquiries"),
    "reply_rate": gettext_lazy("Reply rate (24 h)"),
    "avg_reply_hours": gettext_lazy("Average reply time (h)"),
    "ta_orders": gettext_lazy("Trade-assurance orders"),
    "revenue_usd": gettext_lazy("Trade-assurance revenue (USD)"),
}
REPLY_WINDOW = dt.timedelta(hours=24)  # Alibaba's reply rate counts replies within 24 hours


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    alibaba: Decimal | None
    ours: Decimal | None
    flagged: bool
    note: str

    @property
    def is_rate(self) -> bool:
        return self.key == "reply_rate"

    @property
    def places(self) -> int:
        return 1 if self.key == "avg_reply_hours" else 0


def compare(alibaba: dict[str, Any], ours: dict[str, Any]) -> list[Figure]:
    """Each figure side by side; beyond its tolerance, marked with what the difference likely means."""
    figures = []
    for key, (absolute, relative) in TOLERANCE.items():
        theirs, mine = _number(alibaba.get(key)), _number(ours.get(key))
        flagged, note = False, ""
        if theirs is not None and mine is not None:
            gap = theirs - mine
            flagged = abs(gap) > absolute and abs(gap) > abs(theirs) * relative
            if flagged:
                note = _note(key, theirs, mine, gap)
        figures.append(Figure(key, str(LABELS[key]), theirs, mine, flagged, note))
    return figures


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _show(key: str, value: Decimal) -> str:
    if key == "reply_rate":
        return f"{(value * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
    if key in ("inquiries", "ta_orders"):
        return str(int(value))
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# What a difference likely means, by figure and by which side counts more (True: Alibaba).
NOTES = {
    ("inquiries", True): gettext_noop(
        "Alibaba counts %(alibaba)s inquiries, InquiryHub %(ours)s: %(gap)s not imported?"
    ),
    ("inquiries", False): gettext_noop(
        "Alibaba counts %(alibaba)s inquiries, InquiryHub %(ours)s: %(gap)s allocated here from other accounts?"
    ),
    ("reply_rate", True): gettext_noop(
        "Alibaba's reply rate is %(alibaba)s, InquiryHub's %(ours)s: replies not logged here (import the reply detail)?"
    ),
    ("reply_rate", False): gettext_noop(
        "Alibaba's reply rate is %(alibaba)s, InquiryHub's %(ours)s: replies logged here but not sent in Alibaba?"
    ),
    ("avg_reply_hours", True): gettext_noop(
        "Alibaba measures %(alibaba)s h, InquiryHub %(ours)s h: reply times logged earlier than sent?"
    ),
    ("avg_reply_hours", False): gettext_noop(
        "Alibaba measures %(alibaba)s h, InquiryHub %(ours)s h: first replies missing here?"
    ),
    ("ta_orders", True): gettext_noop(
        "Alibaba counts %(alibaba)s trade-assurance orders, InquiryHub %(ours)s: %(gap)s not recorded here?"
    ),
    ("ta_orders", False): gettext_noop(
        "Alibaba counts %(alibaba)s trade-assurance orders, InquiryHub %(ours)s: "
        "%(gap)s marked trade assurance here but not paid through it?"
    ),
    ("revenue_usd", True): gettext_noop(
        "Alibaba received %(alibaba)s USD, InquiryHub records %(ours)s: orders or payments not recorded here?"
    ),
    ("revenue_usd", False): gettext_noop(
        "Alibaba received %(alibaba)s USD, InquiryHub records %(ours)s: "
        "amounts not yet paid, or paid outside trade assurance?"
    ),
}


def _note(key: str, theirs: Decimal, mine: Decimal, gap: Decimal) -> str:
    values = {"alibaba": _show(key, theirs), "ours": _show(key, mine), "gap": _show(key, abs(gap))}
    return _(NOTES[(key, gap > 0)]) % values


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    end = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def our_staff_figures(*, month: dt.date, person_ids: set[int]) -> dict[int, dict[str, Any]]:
    """InquiryHub's count of the figures Alibaba's staff analysis shows, per salesperson (two queries).

    Inquiries are those received in the month that the person owns; orders those won in the month.
    """
    start, end = _month_bounds(month)
    figures = {
        pk: {"inquiries": 0, "replied_24h": 0, "reply_seconds": [], "ta_orders": 0, "revenue_usd": Decimal(0)}
        for pk in person_ids
    }
    rows = Inquiry.objects.filter(owner_id__in=person_ids, received_at__gte=start, received_at__lt=end).values_list(
        "owner_id", "received_at", "first_reply_at"
    )
    for owner_id, received, replied in rows.iterator(chunk_size=2000):
        mine = figures[owner_id]
        mine["inquiries"] += 1
        if replied is not None:
            mine["reply_seconds"].append((replied - received).total_seconds())
            mine["replied_24h"] += replied - received <= REPLY_WINDOW
    orders = Order.objects.filter(
        salesperson_id__in=person_ids,
        trade_assurance=True,
        cancelled_at__isnull=True,
        won_at__gte=start,
        won_at__lt=end,
    ).values_list("salesperson_id", "amount_usd")
    for salesperson_id, amount in orders:
        figures[salesperson_id]["ta_orders"] += 1
        figures[salesperson_id]["revenue_usd"] += amount
    result = {}
    for pk, mine in figures.items():
        seconds = mine.pop("reply_seconds")
        replied = mine.pop("replied_24h")
        mine["reply_rate"] = (
            (Decimal(replied) / mine["inquiries"]).quantize(Decimal("0.0001")) if mine["inquiries"] else None
        )
        mine["avg_reply_hours"] = (
            (Decimal(sum(seconds) / len(seconds)) / 3600).quantize(Decimal("0.01")) if seconds else None
        )
        result[pk] = mine
    return result


@dataclass(frozen=True)
class StaffComparison:
    person: User
    month: dt.date
    figures: list[Figure]

    @property
    def flagged(self) -> int:
        return sum(f.flagged for f in self.figures)


def alibaba_comparisons(*, month: dt.date, person_ids: set[int] | None = None) -> list[StaffComparison]:
    """Per salesperson with Alibaba's figures imported for `month`: theirs beside ours (three queries)."""
    snapshots = AlibabaStaffMonth.objects.filter(month=month.replace(day=1)).select_related("person")
    if person_ids is not None:
        snapshots = snapshots.filter(person_id__in=person_ids)
    snapshots = sorted(snapshots, key=lambda s: (s.person.label, s.person_id))
    ours = our_staff_figures(month=month.replace(day=1), person_ids={s.person_id for s in snapshots})
    return [
        StaffComparison(
            s.person,
            s.month,
            compare({key: getattr(s, key) for key in TOLERANCE}, ours[s.person_id]),
        )
        for s in snapshots
    ]
