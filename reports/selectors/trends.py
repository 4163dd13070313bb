"""The report page's trend lines: a year of months counted in two queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from accounts.models import CompanySettings

from .. import attribution as calc
from ..periods import ReportPeriod, add_months, month_label, month_start
from .cohort import cohort_groups
from .figures import orders_won_in_month
from .report import _rate
from .scope import Scope, resolve_scope
from .tallies import OrderTally, Tally


def monthly_trends(
    *,
    end_month: dt.date,
    months: int = 12,
    scope: str | Scope = "company",
    as_of: dt.datetime | None = None,
    window_days: int | None = None,
) -> list[dict]:
    """The report page's trend lines: per month up to `end_month`, oldest first, each month
    counted as of T (default now) with the funnel's rules, in two queries (plus settings/scope).

    Each entry: month, status, inquiries, valid, valid_share, replied, reply_24h_rate, won
    (orders from the month's inquiries), conversion, revenue_usd, orders_won_in_month, ta_orders,
    ta_share.
    """
    scope = resolve_scope(scope) if isinstance(scope, str) else scope
    as_of = as_of or timezone.now()
    company = CompanySettings.load()
    window_days = window_days or company.attribution_window_days
    first = add_months(end_month, -(months - 1))
    start, end = month_start(first), month_start(add_months(end_month, 1))
    groups = cohort_groups(
        start=start,
        end=end,
        as_of=as_of,
        window_days=window_days,
        sla_hours=company.sales_sla_hours,
        scope=scope,
        by_month=True,
    )
    tallies: dict[int, Tally] = defaultdict(Tally)
    for group in groups:
        if not group.rfq:
            tallies[group.month_index].add(group)
    won_orders = orders_won_in_month(start=start, end=end, as_of=as_of, scope=scope, by_month=True)
    orders: dict[int, OrderTally] = defaultdict(OrderTally)
    for (_account, _person, month_index), tally in won_orders.items():
        orders[int(month_index)].add(tally)
    result = []
    for i in range(months):
        month = add_months(first, i)
        index = month.year * 12 + month.month - 1
        period = ReportPeriod(month=month, baseline=add_months(month, -1), as_of=as_of, window_days=window_days)
        result.append(_trend_point(month, period.status, tallies[index], orders[index]))
    return result


def _trend_point(month: dt.date, status: str, tally: Tally, won: OrderTally) -> dict:
    """One month of the trend lines, from its cohort's tally and its orders won."""
    funnel = tally.funnel
    return {
        "month": month_label(month),
        "status": status,
        "inquiries": funnel.inquiries,
        "valid": funnel.valid,
        "valid_share": _rate(funnel.valid, funnel.inquiries),
        "replied": funnel.replied,
        "reply_24h_rate": _rate(tally.reply_24h, funnel.valid),
        "won": funnel.won,
        "conversion": _rate(funnel.won, funnel.replied),
        "revenue_usd": calc.money(funnel.revenue),
        "orders_won_in_month": won.orders,
        "ta_orders": won.ta_orders,
        "ta_share": _rate(won.ta_orders, won.orders),
    }
