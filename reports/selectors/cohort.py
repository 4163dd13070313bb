"""The cohort statement: what a cohort counts, both cohorts counted by the database in one grouped query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear, Greatest
from django.utils import timezone

from inquiries.models import Allocation, Inquiry, Order, Source

from .. import attribution as calc
from . import cohort_sql
from .scope import REPLY_HOURS, ZERO_USD, Scope
from .tallies import Group


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _condition(condition: Q) -> ExpressionWrapper:
    # A bare boolean (NULL where a date is missing: not counted): the aggregates' FILTERs test it
    # as it is, cheaper than a CASE to 0/1 compared with 1 again (bench/report_bench.py).
    return ExpressionWrapper(condition, output_field=BooleanField())


def _elapsed(since, until) -> ExpressionWrapper:
    return ExpressionWrapper(until - since, output_field=DurationField())


def _owner_as_of(as_of: dt.datetime) -> Case:
    """The owner as of T: the salesperson of the latest allocation with assigned_at ≤ T.

    The inquiry row keeps the owner and `owner_since`, when the latest allocation took effect; when
    that is by T (nearly every inquiry of a month being reported), the owner as of T is the owner.
    Only the others (re-allocated after T, or with no `owner_since`) read the allocation history,
    one index probe each (allocation_latest_idx): the CASE evaluates the lookup for them alone.
    """
    history = Allocation.objects.filter(inquiry_id=OuterRef("pk"), assigned_at__lte=as_of).order_by(
        "-assigned_at", "-id"
    )
    return Case(
        When(owner_since__lte=as_of, then=F("owner_id")),
        default=Subquery(history.values("salesperson_id")[:1]),
        output_field=IntegerField(),
    )


def _cohort_inquiries(
    *,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime,
    window: dt.timedelta,
    sla_hours: int,
    scope: Scope,
    by_month: bool = False,
) -> QuerySet:
    """One row per inquiry received in [start, end): id, group keys (the owner as of T among them),
    0/1 flags as of T and its allocation delay. Date arithmetic is the ORM's, right on every database."""
    # Elapsed times compared with a duration: on PostgreSQL a time plus '1 day' is calendar
    # arithmetic per row, a difference of two times is plain subtraction.
    # A month as of T holds only the inquiries received by T (ATTRIBUTION.md §1): the same age on
    # both sides, even when the database already has later rows.
    qs = (
        Inquiry.objects.filter(received_at__gte=start, received_at__lt=end, received_at__lte=as_of)
        .alias(
            reply_wait=_elapsed(F("received_at"), F("first_reply_at")),
            sales_wait=_elapsed(Greatest("received_at", "first_allocated_at"), F("first_reply_at")),
        )
        .order_by()
    )
    if scope.kind == "account":
        qs = qs.filter(account_id=scope.account.pk)
    elif scope.kind == "salesperson":
        # A cheap pre-filter; the owner as of T is checked on the groups.
        qs = qs.filter(
            Exists(
                Allocation.objects.filter(
                    inquiry_id=OuterRef("pk"), salesperson_id=scope.salesperson.pk, assigned_at__lte=as_of
                )
            )
        )
    replied_by_t = Q(first_reply_at__lte=as_of)
    allocated_by_t = Q(first_allocated_at__lte=as_of)
    columns = {
        "cohort_id": F("id"),
        "grp_account": F("account_id"),
        "grp_owner": _owner_as_of(as_of),
        "grp_rfq": _flag(Q(source=Source.RFQ)),
        "verdict": F("quality"),
        "alloc_delay": _elapsed(F("received_at"), F("first_allocated_at")),
        "replied_t": _condition(replied_by_t),
        "reply_24h": _condition(replied_by_t & Q(reply_wait__lte=dt.timedelta(hours=REPLY_HOURS))),
        "allocated_t": _condition(allocated_by_t),
        "sla_met": _condition(allocated_by_t & replied_by_t & Q(sales_wait__lte=dt.timedelta(hours=sla_hours))),
    }
    if by_month:
        tz = timezone.get_default_timezone()
        columns["grp_month"] = ExtractYear("received_at", tzinfo=tz) * 12 + ExtractMonth("received_at", tzinfo=tz) - 1
    return qs.values(**columns)


@dataclass(frozen=True)
class CohortPeriod:
    """The inquiries received in [start, end), counted as of T; the funnel only (the key-figure
    counts of its groups None) without `key_figures`, as for a baseline."""

    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime
    key_figures: bool = True


@dataclass
class Cohort:
    """A period's inquiries counted as of T: the groups, and the median allocation delay if asked."""

    groups: list[Group]
    allocation_delay_median: dt.timedelta | None = None


def cohort_counts(
    *,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime,
    window_days: int,
    sla_hours: int,
    scope: Scope,
    by_month: bool = False,
    with_median: bool = False,
) -> Cohort:
    """The inquiries received in [start, end), counted as of T and grouped by account, owner as of
    T and RFQ-or-not (and month with `by_month`), in one query."""
    (cohort,) = cohorts_counts(
        periods=[CohortPeriod(start, end, as_of)],
        window_days=window_days,
        sla_hours=sla_hours,
        scope=scope,
        by_month=by_month,
        median_of=0 if with_median else None,
    )
    return cohort


def _won_per_inquiry(
    *, start: dt.datetime, end: dt.datetime, until: dt.datetime, as_of: dt.datetime, window: dt.timedelta
) -> QuerySet:
    """The orders that count for the inquiries received in [start, end), as of T, summed per
    inquiry: won by T and within the window, not cancelled as of T (a few hundred rows a month).

    No order is won before its inquiry arrived (the services, the importer, `Order.clean`,
    `Inquiry.clean` and the database's triggers refuse it, migration inquiries 0011), so every
    order that counts was won in [start, until), until = end + window: read by
    the won_at index, each looking its inquiry up once by id, instead of joining the month's
    inquiries a second time (a third of a funnel's time; bench/report_bench.py). The lookup is a
    scalar subquery, not EXISTS: the planner would turn an EXISTS back into that join.
    """
    counted_inquiry = Inquiry.objects.filter(
        pk=OuterRef("inquiry_id"),
        received_at__gte=start,
        received_at__lt=end,
        received_at__gt=ExpressionWrapper(OuterRef("won_at") - window, output_field=DateTimeField()),
    )
    return (
        Order.objects.filter(won_at__gte=start, won_at__lt=until, won_at__lte=as_of)
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
        .alias(counted=Subquery(counted_inquiry.order_by().values("pk")[:1]))
        .filter(counted__isnull=False)
        .order_by()
        .values("inquiry_id")
        .annotate(won_usd=Sum("amount_usd"))
        .values("inquiry_id", "won_usd")
    )


def cohorts_counts(
    *,
    periods: Sequence[CohortPeriod],
    window_days: int,
    sla_hours: int,
    scope: Scope,
    by_month: bool = False,
    median_of: int | None = None,
) -> list[Cohort]:
    """Each period's inquiries counted as of its own T and grouped by account, owner as of T and
    RFQ-or-not (and month with `by_month`), all periods in ONE statement; with `median_of`, that
    period's median allocation delay too.

    Per period, the shape of a hand-written funnel query: the inquiries with their flags and owner
    as of T, left-joined to the orders that count summed per inquiry, and the filtered counts per
    group. On PostgreSQL the statement is written out in `cohort_sql`: all periods in one read of
    the inquiries, the median from the same pass. Elsewhere (and for overlapping periods, which
    one read cannot tell apart) each period is the ORM querysets above, compiled per call, the
    periods joined by UNION ALL.
    """
    connection = connections[Inquiry.objects.db]
    salesperson_id = scope.salesperson.pk if scope.kind == "salesperson" else None
    if connection.vendor == "postgresql" and cohort_sql.disjoint(periods):
        sql, params = cohort_sql.postgresql_statement(
            periods,
            window_days=window_days,
            sla_hours=sla_hours,
            reply_hours=REPLY_HOURS,
            account_id=scope.account.pk if scope.kind == "account" else None,
            salesperson_id=salesperson_id,
            time_zone=timezone.get_default_timezone_name() if by_month else None,
            median_of=median_of,
        )
    else:
        parts = [
            _orm_period(p, window_days=window_days, sla_hours=sla_hours, scope=scope, by_month=by_month)
            for p in periods
        ]
        shape = cohort_sql.StatementShape(by_month=by_month, median_of=median_of, salesperson_id=salesperson_id)
        sql, params = cohort_sql.portable_statement(parts, shape)
    rows = cohort_sql.fetch(connection, sql, params)
    cohorts = [Cohort(groups=[]) for _ in periods]
    for row in rows:
        if salesperson_id is None or row[2] == salesperson_id:
            cohorts[row[0]].groups.append(_group(row, by_month=by_month, key_figures=periods[row[0]].key_figures))
    if median_of is not None and rows and rows[0][-1] is not None:
        cohorts[median_of].allocation_delay_median = _duration(rows[0][-1])  # the same on every row
    return cohorts


def _orm_period(
    period: CohortPeriod, *, window_days: int, sla_hours: int, scope: Scope, by_month: bool
) -> cohort_sql.PeriodSql:
    """A period's inner queries compiled from the querysets above (SQLite, and what they mean)."""
    connection = connections[Inquiry.objects.db]
    window = dt.timedelta(days=window_days)
    times = {"start": period.start, "end": period.end, "as_of": period.as_of}
    inquiries = _cohort_inquiries(**times, window=window, sla_hours=sla_hours, scope=scope, by_month=by_month)
    won = _won_per_inquiry(**times, until=period.end + window, window=window)
    return cohort_sql.PeriodSql(
        inquiries=_compiled(inquiries, connection), won=_compiled(won, connection), key_figures=period.key_figures
    )


def _compiled(qs: QuerySet, connection) -> tuple[str, list]:
    sql, params = qs.query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _group(row: tuple, *, by_month: bool, key_figures: bool) -> Group:
    """A result row (period, account, owner, RFQ[, month], nine counts, median) as a Group."""
    # COUNTs are integers on both databases, never NULL; only the sum of revenue can be NULL.
    counts = row[5:14] if by_month else row[4:13]
    inquiries, valid, replied, won, revenue, *figures = counts
    reply_24h, allocated_valid, sla_met, allocated = figures if key_figures else (None, None, None, None)
    return Group(
        row[1],
        row[2],
        bool(row[3]),
        int(row[4]) if by_month else None,  # EXTRACT gives a numeric on PostgreSQL
        inquiries,
        valid,
        replied,
        won,
        _usd(revenue),
        reply_24h,
        allocated_valid,
        sla_met,
        allocated,
    )


def cohort_groups(**kwargs) -> list[Group]:
    """`cohort_counts(...).groups`."""
    return cohort_counts(**kwargs).groups


def _duration(value) -> dt.timedelta:
    # Microseconds: the median comes as a double (PostgreSQL) or an average of integers (SQLite).
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=round(float(value)))


def _usd(value) -> Decimal:
    # SQLite sums DECIMAL columns as floats; the cent is exact again after quantizing.
    if value is None:
        return ZERO_USD
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(calc.CENT)
