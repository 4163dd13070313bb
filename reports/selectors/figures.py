"""The report's other figures: orders won in the month, RFQ quotes, accounts with their reply rate."""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from accounts.models import Account, ReplyRateSnapshot
from inquiries.models import Order, RfqQuote

from ..periods import ReportPeriod, add_months, month_start
from .cohort import _usd
from .scope import Scope
from .tallies import OrderTally


def orders_won_in_month(
    *, start: dt.datetime, end: dt.datetime, as_of: dt.datetime, scope: Scope, by_month: bool = False
) -> dict[tuple, OrderTally]:
    """Orders won in the month (won_at in it and ≤ T, not cancelled by T), any inquiry or none,
    per (account, order's salesperson[, month]): one query."""
    qs = Order.objects.filter(won_at__gte=start, won_at__lt=end, won_at__lte=as_of).filter(
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of)
    )
    if scope.kind == "account":
        qs = qs.filter(account_id=scope.account.pk)
    elif scope.kind == "salesperson":
        qs = qs.filter(salesperson_id=scope.salesperson.pk)
    keys = ["account_id", "salesperson_id"]
    if by_month:
        tz = timezone.get_default_timezone()
        qs = qs.annotate(grp_month=ExtractYear("won_at", tzinfo=tz) * 12 + ExtractMonth("won_at", tzinfo=tz) - 1)
        keys.append("grp_month")
    ta = Q(trade_assurance=True)
    rows = _plain_rows(
        qs.order_by()
        .values(*keys)
        .annotate(n=Count("id"), ta=Count("id", filter=ta), usd=Sum("amount_usd"), ta_usd=Sum("amount_usd", filter=ta))
    )
    return {tuple(key): OrderTally(n, n_ta, _usd(usd), _usd(ta_usd)) for *key, n, n_ta, usd, ta_usd in rows}


def _plain_rows(qs: QuerySet) -> list[tuple]:
    """The rows of a values() query of ids, counts and sums as the database driver gives them: a
    report's hundreds of groups without the ORM's per-value converters (a third of the time)."""
    connection = connections[qs.db]
    sql, params = qs.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rfq_quotes_in_month(*, start: dt.datetime, end: dt.datetime, as_of: dt.datetime, scope: Scope) -> dict:
    """RFQ quotes logged in the month (by T), per salesperson: one query."""
    qs = RfqQuote.objects.filter(quoted_at__gte=start, quoted_at__lt=end, quoted_at__lte=as_of)
    if scope.kind == "account":
        qs = qs.filter(account_id=scope.account.pk)
    elif scope.kind == "salesperson":
        qs = qs.filter(salesperson_id=scope.salesperson.pk)
    return dict(qs.order_by().values("salesperson_id").annotate(n=Count("id")).values_list("salesperson_id", "n"))


def rfq_quotes_behind(
    *, month: dt.date, as_of: dt.datetime, salesperson_id: int | None = None, account_id: int | None = None
) -> QuerySet:
    """The RFQ quotes a report counts for the month (logged in it, by T), of a salesperson and an account."""
    qs = RfqQuote.objects.filter(
        quoted_at__gte=month_start(month), quoted_at__lt=month_start(add_months(month, 1)), quoted_at__lte=as_of
    ).select_related("salesperson", "account")
    if salesperson_id is not None:
        qs = qs.filter(salesperson_id=salesperson_id)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("-quoted_at", "-id")


def accounts_with_reply_rate(*, period: ReportPeriod, ids: set[int] | None) -> list[Account]:
    """Accounts (all, or `ids`) with Alibaba's latest reply-rate snapshot of the month (by T): one query."""
    last_day = min(add_months(period.month, 1) - dt.timedelta(days=1), timezone.localdate(period.as_of))
    latest = ReplyRateSnapshot.objects.filter(
        account_id=OuterRef("pk"), date__gte=period.month, date__lte=last_day
    ).order_by("-date")
    qs = Account.objects.annotate(
        snapshot_rate=Subquery(latest.values("reply_rate")[:1]),
        snapshot_date=Subquery(latest.values("date")[:1]),
        snapshot_hours=Subquery(latest.values("avg_reply_hours")[:1]),
    ).select_related("parent")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return sorted(qs, key=_account_order)


def _account_order(account: Account) -> tuple:
    # Each main account followed by its sub-accounts.
    main = account.parent.code if account.parent_id else account.code
    return (main, account.parent_id is not None, account.code)
