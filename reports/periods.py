"""Months and instants of a report, in the company's time zone (settings.TIME_ZONE).

Durations between instants are absolute (UTC) time: "w days" is w × 24 hours and T_B is T
minus the absolute length from start(B) to start(M). In a zone without daylight saving
(Asia/Shanghai) this is the same as calendar arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_WINDOW_DAYS = 366


class ReportParamError(ValueError):
    """A report asked for with parameters that make no sense; the message is for the user."""


def parse_month(text: str) -> dt.date:
    """'2026-05' → date(2026, 5, 1); ReportParamError for anything else (2026-13, 2026-5, May)."""
    match = MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise ReportParamError(_("%(value)s is not a month; write it YYYY-MM, e.g. 2026-05.") % {"value": text})
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date) -> dt.datetime:
    """Midnight of the month's first day in the company's zone, as an aware datetime."""
    return dt.datetime(month.year, month.month, 1, tzinfo=timezone.get_default_timezone())


def month_of(instant: dt.datetime) -> dt.date:
    """The calendar month (company zone) that contains `instant`."""
    local = timezone.localtime(instant)
    return dt.date(local.year, local.month, 1)


def parse_instant(text: str) -> dt.datetime:
    """ISO-8601 date or date-time; without an offset it is read in the company's zone."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportParamError(
            _("%(value)s is not an ISO-8601 time, e.g. 2026-06-01T09:00:00+08:00.") % {"value": text}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _utc(instant: dt.datetime) -> dt.datetime:
    # Python subtracts datetimes sharing a tzinfo by wall clock; UTC makes it absolute time.
    return instant.astimezone(dt.UTC)


def iso(instant: dt.datetime) -> str:
    """ISO-8601 with the company zone's offset."""
    return timezone.localtime(instant).isoformat()


@dataclass(frozen=True)
class ReportPeriod:
    """The month M seen as of T, and its baseline B seen at the same age, T_B."""

    month: dt.date
    baseline: dt.date
    as_of: dt.datetime
    window_days: int

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(days=self.window_days)

    @property
    def start(self) -> dt.datetime:
        return month_start(self.month)

    @property
    def end(self) -> dt.datetime:
        return month_start(add_months(self.month, 1))

    @property
    def baseline_start(self) -> dt.datetime:
        return month_start(self.baseline)

    @property
    def baseline_end(self) -> dt.datetime:
        return month_start(add_months(self.baseline, 1))

    @property
    def baseline_as_of(self) -> dt.datetime:
        """T_B = T − (start(M) − start(B)), so that both months are seen at the same age."""
        return self.as_of - (_utc(self.start) - _utc(self.baseline_start))

    @property
    def final_at(self) -> dt.datetime:
        """The instant from which M's report is final: start(M+1) + w days."""
        return _utc(self.end) + self.window

    @property
    def baseline_final_at(self) -> dt.datetime:
        return _utc(self.baseline_end) + self.window

    @property
    def status(self) -> str:
        return "final" if self.as_of >= self.final_at else "provisional"

    @property
    def baseline_status(self) -> str:
        return "final" if self.baseline_as_of >= self.baseline_final_at else "provisional"

    @property
    def baseline_is_previous_month(self) -> bool:
        return self.baseline == add_months(self.month, -1)
