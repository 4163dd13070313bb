"""Links from the report's numbers to the inquiries behind them, in one place.

The inquiry list (`inquiries:list`) filters with django-filter; its parameter names are here and
nowhere else, so a rename is one edit: account (id), owner (user id or "none"), received_after /
received_before (inclusive dates, company time zone), source, state.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from .periods import add_months

UNASSIGNED = "none"
# The inquiry list's sources that make up the funnel (ATTRIBUTION.md §1: everything but RFQ).
INBOUND_SOURCES = ("inquiry", "tm")


def inquiry_list_url(
    *,
    month: dt.date | None = None,
    account_id: int | None = None,
    owner_id: int | str | None = None,
    source: str | None = None,
    state: str | None = None,
) -> str:
    """The inquiry list filtered to a month's inquiries (of an account, of an owner, in a state).

    `owner_id` is a user id, or UNASSIGNED for the inquiries nobody owns.
    """
    params: dict[str, str | int] = {}
    if account_id is not None:
        params["account"] = account_id
    if owner_id is not None:
        params["owner"] = owner_id
    if month is not None:
        last_day = add_months(month, 1) - dt.timedelta(days=1)
        params["received_after"] = month.isoformat()
        params["received_before"] = last_day.isoformat()
    if source:
        params["source"] = source
    if state:
        params["state"] = state
    url = reverse("inquiries:list")
    return f"{url}?{urlencode(params)}" if params else url


def drilldown_url(
    *,
    month: dt.date,
    as_of: str,
    window_days: int,
    stage: str = "inquiries",
    account_id: int | None = None,
    owner_id: int | str | None = None,
    rfq: bool = False,
    kind: str = "inquiries",
) -> str:
    """The inquiries (or RFQ quotes) behind one figure of a report: the month's cohort as of T
    (`as_of`, ISO), at a funnel stage, of an account and of an owner as of T. The list's count
    is the figure (reports.selectors.cohort_inquiries)."""
    params: dict[str, str | int] = {"as_of": as_of, "window_days": window_days}
    if kind != "inquiries":
        params["kind"] = kind
    elif stage != "inquiries":
        params["stage"] = stage
    if account_id is not None:
        params["account"] = account_id
    if owner_id is not None:
        params["owner"] = owner_id
    if rfq:
        params["rfq"] = 1
    url = reverse("reports:drilldown", args=[f"{month:%Y-%m}"])
    return f"{url}?{urlencode(params)}"
