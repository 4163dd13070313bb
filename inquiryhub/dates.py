"""The company's calendar: "today" and "this month" are the company's, whatever the server's zone."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone


def company_today() -> dt.date:
    """Today's date in the company's time zone, whatever the server's own zone is."""
    return timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(settings.TIME_ZONE))


def company_month_start() -> dt.datetime:
    """Midnight of the first day of this month, in the company's time zone."""
    now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
