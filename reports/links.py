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
