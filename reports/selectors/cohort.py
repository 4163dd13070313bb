"""The cohort statement: both cohorts counted by the database in one grouped query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections, transaction
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

from inquiries.models import Allocation, Inquiry, Order, Quality, Source

from .. import attribution as calc
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


@dataclass(frozen=True)
class _Slot:
    """Where a compiled statement takes one of the call's own values."""

    name: str


_COMPILED: dict[tuple, tuple[str, tuple]] = {}


def compiled_sql(connection, shape: tuple, build: Callable[[], QuerySet], values: dict[str, Any]) -> tuple[str, list]:
    """The SQL and parameters of the queryset `build()` returns.

    Compiling the report's querysets is a tenth of the report (bench/report_bench.py), and their
    SQL depends only on their `shape`, never on the times in `values`: on PostgreSQL the SQL is
    kept per shape, with the place of each value among its parameters, and a later call of the
    same shape only puts its own values in their places. Kept only when that is certain: every
    parameter is one of `values` itself (the same object) or no time at all (a constant of the
    shape), and no two values are the same object. Elsewhere, or when it is not certain, the
    queryset is compiled every time.
    """
    key = (connection.vendor, *shape)
    kept = _COMPILED.get(key)
    if kept is not None:
        sql, places = kept
        return sql, [values[p.name] if isinstance(p, _Slot) else p for p in places]
    sql, params = build().query.get_compiler(connection=connection).as_sql()
    names = {id(value): name for name, value in values.items()}
    if connection.vendor == "postgresql" and len(names) == len(values):
        places = [_Slot(names[id(p)]) if id(p) in names else p for p in params]
        if not any(isinstance(p, dt.date | dt.time) for p in places):  # datetimes are dates
            if len(_COMPILED) >= 512:
                _COMPILED.clear()
            _COMPILED[key] = (sql, tuple(places))
    return sql, list(params)


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
    as of T (compiled by the ORM, a subquery the database flattens into one scan), left-joined to
    the orders that count summed per inquiry, and the filtered counts per (account, owner, RFQ);
    the periods joined by UNION ALL. No materialized CTE: writing and re-reading ~80,000 rows
    of flags cost more than the counting (bench/report_bench.py). Correlated subqueries per
    inquiry and flag were 20 times slower still.
    """
    window = dt.timedelta(days=window_days)
    connection = connections[Inquiry.objects.db]
    # Everything the compiled SQL depends on but the period's own times.
    scope_ids = (scope.account.pk if scope.account else None, scope.salesperson.pk if scope.salesperson else None)
    shape = (
        connection.alias,
        scope.kind,
        *scope_ids,
        window_days,
        sla_hours,
        by_month,
        timezone.get_default_timezone_name(),
    )
    keys = ["c.grp_account", "c.grp_owner", "c.grp_rfq"] + (["c.grp_month"] if by_month else [])
    group_by = ", ".join(keys)
    valid = "(w.won_usd IS NOT NULL OR c.verdict <> %s)"
    funnel_sums = (
        "COUNT(*), "
        f"COUNT(*) FILTER (WHERE {valid}), "
        f"COUNT(*) FILTER (WHERE w.won_usd IS NOT NULL OR ({valid} AND c.replied_t)), "
        "COUNT(w.won_usd), SUM(w.won_usd)"
    )
    # Each FILTERed count costs ~2 ms a period on the benchmark: a baseline goes without these.
    key_figure_sums = (
        f"COUNT(*) FILTER (WHERE {valid} AND c.reply_24h), "
        f"COUNT(*) FILTER (WHERE {valid} AND c.allocated_t), "
        f"COUNT(*) FILTER (WHERE {valid} AND c.sla_met), "
        "COUNT(*) FILTER (WHERE c.allocated_t)"
    )
    selects, params = [], []
    for n, p in enumerate(periods):
        times = {"start": p.start, "end": p.end, "as_of": p.as_of}
        c_sql, c_params = compiled_sql(
            connection,
            ("cohort", *shape),
            lambda times=times: _cohort_inquiries(
                **times, window=window, sla_hours=sla_hours, scope=scope, by_month=by_month
            ),
            times,
        )
        times = {**times, "until": p.end + window}
        w_sql, w_params = compiled_sql(
            connection, ("won", *shape), lambda times=times: _won_per_inquiry(**times, window=window), times
        )
        median_sql, median_params = "NULL", []
        if n == median_of:
            median_sql, median_params = _median_delay_sql(connection, c_sql, c_params, scope)
        sums = f"{funnel_sums}, {key_figure_sums if p.key_figures else 'NULL, NULL, NULL, NULL'}"
        sums_params = [Quality.INVALID.value] * sums.count("%s")
        # Table and column names come from the models and Django's compiled SQL; values are parameters.
        selects.append(
            f"SELECT {n} AS grp_period, {group_by}, {sums}, {median_sql} "  # noqa: S608
            f"FROM ({c_sql}) c LEFT JOIN ({w_sql}) w ON w.inquiry_id = c.cohort_id "
            f"GROUP BY {group_by}"
        )
        params += [*sums_params, *median_params, *c_params, *w_params]
    rows = _fetch_tuned(connection, " UNION ALL ".join(selects), params)
    cohorts = [Cohort(groups=[]) for _ in periods]
    keys = 5 if by_month else 4
    only_owner = scope.salesperson.pk if scope.kind == "salesperson" else False
    for row in rows:
        # COUNTs are integers on both databases, never NULL; only the sum of revenue can be NULL.
        period, account_id, owner_id, rfq = row[:4]
        inquiries_n, valid_n, replied, won_n, revenue, reply_24h, allocated_valid, sla_met, allocated, middle = row[
            keys:
        ]
        cohort = cohorts[period]
        if middle is not None and cohort.allocation_delay_median is None:
            cohort.allocation_delay_median = _duration(middle)  # the same on every row of the period
        if only_owner is not False and owner_id != only_owner:
            continue
        cohort.groups.append(
            Group(
                account_id,
                owner_id,
                bool(rfq),
                int(row[4]) if by_month else None,  # EXTRACT gives a numeric on PostgreSQL
                inquiries_n,
                valid_n,
                replied,
                won_n,
                _usd(revenue),
                reply_24h,
                allocated_valid,
                sla_met,
                allocated,
            )
        )
    return cohorts


def _median_delay_sql(connection, c_sql: str, c_params, scope: Scope) -> tuple[str, list]:
    """A scalar subquery: the median allocation delay over the period's inbound inquiries allocated
    by T (the salesperson's own with that scope): the mean of the middle one or two."""
    where = "c.allocated_t AND c.grp_rfq = 0"
    params = list(c_params)
    if scope.kind == "salesperson":
        where += " AND c.grp_owner = %s"
        params.append(scope.salesperson.pk)
    if connection.vendor == "postgresql":
        # The same mean of the middle one or two, as one ordered-set aggregate, in microseconds
        # as on SQLite: sorting doubles is cheaper than sorting intervals (bench/report_bench.py).
        sql = (
            "(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', c.alloc_delay)) "  # noqa: S608
            f"* 1000000 FROM ({c_sql}) c WHERE {where})"
        )
    else:
        sql = (
            "(SELECT AVG(delay) FROM (SELECT c.alloc_delay AS delay, "  # noqa: S608
            "ROW_NUMBER() OVER (ORDER BY c.alloc_delay) AS rn, COUNT(*) OVER () AS n "
            f"FROM ({c_sql}) c WHERE {where}) ranked WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2)"
        )
    return sql, params


def _fetch_tuned(connection, sql: str, params) -> list[tuple]:
    """Run the cohort statement; on PostgreSQL with planner settings for it alone.

    The planner cannot estimate the groups of the owner as of T (a CASE over a subquery), takes
    every inquiry for a group of its own and overestimates the statement a hundredfold. On that
    estimate it compiled the statement with JIT (~0.9 s on a ~0.3 s statement) and sorted ~40,000
    wide rows per period to group them instead of hashing them into ~2,000 groups (+40 %;
    bench/report_bench.py). On the same wrong estimate it never reads the month's inquiries with
    parallel workers, though the counting is CPU work per row that splits well (−30 % with the
    server's default two workers per query): the start-up costs are waived for this statement, so
    that a month large enough for parallel scans (min_parallel_index_scan_size, the server's
    default) gets them and a small one does not. All settings are local to the statement's
    transaction; a server that allows no parallel workers runs it as before.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('enable_sort', 'off', true), "
            "set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true)"
        )
        cursor.execute(sql, params)
        return cursor.fetchall()


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
