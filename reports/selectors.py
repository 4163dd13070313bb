"""Reads that feed the monthly attribution report and its trends.

The counting is done by the database in a fixed handful of aggregate queries, whatever the
number of inquiries, salespeople or accounts:

1. both cohorts in one statement: the month's as of T and the baseline's as of T_B, one row
   per (period, account, owner as of T, RFQ or not) with filtered counts, and the month's
   median allocation delay;
2. orders won in the month, per (account, order's salesperson), with trade assurance;
3. RFQ quotes of the month, per salesperson;
4. the salespeople of the rows; 5. the accounts with their latest reply-rate snapshot.

Python then adds up those groups (at most accounts × owners rows, never inquiries) into the
company, account and salesperson funnels, and `reports.attribution` splits the change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
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
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Account, Role, User
from inquiries.models import Allocation, Inquiry, Order, Quality, RfqQuote, Source

from . import attribution as calc
from .attribution import Funnel
from .models import MonthlyReport, ReplyRateSnapshot
from .periods import ReportParamError, ReportPeriod, add_months, iso, month_label, month_of, month_start

PAYLOAD_VERSION = 2
REPLY_HOURS = 24  # Alibaba's reply-rate clock
ZERO_USD = Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Scope


class ScopeError(ReportParamError):
    """A scope that names no account or salesperson; the message is for the user."""


@dataclass(frozen=True)
class Scope:
    """Whose report: the company, one account (`account:CODE`) or one salesperson."""

    kind: str = "company"
    account: Account | None = None
    salesperson: User | None = None

    @property
    def key(self) -> str:
        if self.kind == "account":
            return f"account:{self.account.code}"
        if self.kind == "salesperson":
            return f"salesperson:{self.salesperson.username}"
        return "company"


def resolve_scope(scope: str) -> Scope:
    """'company', 'account:CODE' or 'salesperson:USERNAME' → Scope (one query); ScopeError if unknown."""
    kind, _sep, name = (scope or "company").partition(":")
    if kind == "company" and not name:
        return Scope()
    if kind == "account" and name:
        account = Account.objects.filter(code=name).first()
        if account is None:
            raise ScopeError(_("There is no account with the code %(code)s.") % {"code": name})
        return Scope("account", account=account)
    if kind == "salesperson" and name:
        user = User.objects.filter(username=name).first()
        if user is None:
            raise ScopeError(_("There is no team member with the username %(username)s.") % {"username": name})
        if user.role != Role.SALES:
            raise ScopeError(_("%(username)s is not a salesperson.") % {"username": name})
        return Scope("salesperson", salesperson=user)
    raise ScopeError(
        _("The scope must be company, account:CODE or salesperson:USERNAME; got %(scope)s.") % {"scope": scope}
    )


# ---------------------------------------------------------------------------------------------
# The cohort query


@dataclass(slots=True)
class Group:
    """The counts of one (account, owner, RFQ-or-not) group of a month's inquiries."""

    account_id: int
    owner_id: int | None
    rfq: bool
    month_index: int | None = None
    inquiries: int = 0
    valid: int = 0
    replied: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")
    # None for a period counted without key figures (CohortPeriod.key_figures).
    reply_24h: int | None = 0
    allocated_valid: int | None = 0
    sla_met: int | None = 0
    allocated: int | None = 0

    @property
    def funnel(self) -> Funnel:
        return Funnel(self.inquiries, self.valid, self.replied, self.won, self.revenue)


@dataclass(slots=True)
class FunnelTally:
    """Groups added up, the funnel alone (a baseline's)."""

    inquiries: int = 0
    valid: int = 0
    replied: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    def add(self, group: Group) -> None:
        self.inquiries += group.inquiries
        self.valid += group.valid
        self.replied += group.replied
        self.won += group.won
        self.revenue += group.revenue

    @property
    def funnel(self) -> Funnel:
        return Funnel(self.inquiries, self.valid, self.replied, self.won, self.revenue)


@dataclass(slots=True)
class Tally(FunnelTally):
    """Groups added up: a funnel with its key-figure counts."""

    reply_24h: int = 0
    allocated_valid: int = 0
    sla_met: int = 0
    allocated: int = 0

    def add(self, group: Group) -> None:
        # Spelled out, not super().add(): three of these per group of a report.
        self.inquiries += group.inquiries
        self.valid += group.valid
        self.replied += group.replied
        self.won += group.won
        self.revenue += group.revenue
        self.reply_24h += group.reply_24h
        self.allocated_valid += group.allocated_valid
        self.sla_met += group.sla_met
        self.allocated += group.allocated


@dataclass(slots=True)
class RfqTally:
    """The RFQ line: a salesperson's own inquiries, those won and their revenue."""

    inquiries: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    def add(self, group: Group) -> None:
        self.inquiries += group.inquiries
        self.won += group.won
        self.revenue += group.revenue


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


# ---------------------------------------------------------------------------------------------
# The inquiries behind a figure

DRILLDOWN_STAGES = ("inquiries", "valid", "replied", "won")


def cohort_inquiries(
    *,
    month: dt.date,
    as_of: dt.datetime,
    window_days: int,
    stage: str = "inquiries",
    account_id: int | None = None,
    owner: int | str | None = None,
    rfq: bool = False,
) -> QuerySet:
    """The inquiries one figure of a report counts (ATTRIBUTION.md §1 and §6), as a queryset.

    The month's inquiries received by T (inbound, or the RFQ line's with `rfq`), of an account,
    of the owner as of T (a user id, "none" for unassigned, None for everyone), at a funnel
    stage: valid, replied or won as of T within the window. The same rules as the cohort
    statement, written for a list: its count is the figure.
    """
    if stage not in DRILLDOWN_STAGES:
        raise ReportParamError(_("Unknown funnel stage %(stage)s.") % {"stage": stage})
    start, end = month_start(month), month_start(add_months(month, 1))
    window = dt.timedelta(days=window_days)
    qs = Inquiry.objects.filter(received_at__gte=start, received_at__lt=end, received_at__lte=as_of)
    qs = qs.filter(source=Source.RFQ) if rfq else qs.exclude(source=Source.RFQ)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if owner is not None:
        qs = qs.alias(owner_as_of=_owner_as_of(as_of))
        qs = qs.filter(owner_as_of__isnull=True) if owner == "none" else qs.filter(owner_as_of=owner)
    counted_order = Order.objects.filter(
        inquiry_id=OuterRef("pk"),
        won_at__lte=as_of,
        won_at__lt=ExpressionWrapper(OuterRef("received_at") + window, output_field=DateTimeField()),
    ).filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
    won = Q(Exists(counted_order))
    valid = won | ~Q(quality=Quality.INVALID)
    replied = valid & (Q(first_reply_at__lte=as_of) | won)
    condition = {"inquiries": Q(), "valid": valid, "replied": replied, "won": won}[stage]
    return qs.filter(condition)


# ---------------------------------------------------------------------------------------------
# The other figures


@dataclass
class OrderTally:
    orders: int = 0
    ta_orders: int = 0
    usd: Decimal = Decimal("0")
    ta_usd: Decimal = Decimal("0")

    def add(self, other: OrderTally) -> None:
        self.orders += other.orders
        self.ta_orders += other.ta_orders
        self.usd += other.usd
        self.ta_usd += other.ta_usd


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


# ---------------------------------------------------------------------------------------------
# The report


def _rate(numerator: int, denominator: int) -> float | None:
    return calc.ratio_number(numerator, denominator)


def _decomposition(
    baseline: Funnel,
    current: Funnel,
    *,
    baseline_in_data: bool,
    people: tuple[dict, dict] | None = None,
) -> dict:
    """The split of one scope or row. `people` ((replied, won) per owner, baseline and current)
    splits the conversion effect into allocation and own (company and account scopes and rows)."""
    orders = calc.decompose(baseline, current)
    revenue = calc.decompose(baseline, current, revenue=True)
    spread = calc.noise(baseline, current)
    split = None if people is None else calc.conversion_split(*people, orders["conversion"])
    result = calc.verdict(orders, spread, baseline_in_data=baseline_in_data)
    return {
        "funnel": {"current": calc.funnel_json(current), "baseline": calc.funnel_json(baseline)},
        "orders_change": calc.orders_change_json(orders, spread, split),
        "revenue_change": calc.revenue_change_json(revenue),
        "factors": {"current": calc.factors_json(current), "baseline": calc.factors_json(baseline)},
        "verdict": {"kind": result.kind, "side": result.side, "reason": result.reason},
        "_orders": orders,
        "_verdict": result,
        "_noise": spread,
    }


def _replied_won(tallies: dict) -> dict:
    """(replied, won) per owner, for the conversion split."""
    return {owner: (t.replied, t.won) for owner, t in tallies.items() if t.replied or t.won}


def data_start() -> dt.date | None:
    """The month of the company's earliest recorded inquiry (any account, any source): one query."""
    first = Inquiry.objects.aggregate(first=Min("received_at"))["first"]
    return None if first is None else month_of(first)


def _row_kpis(tally: Tally, orders: OrderTally) -> dict:
    return {
        "reply_24h_rate": _rate(tally.reply_24h, tally.valid),
        "sales_sla_rate": _rate(tally.sla_met, tally.allocated_valid),
        "ta_orders": orders.ta_orders,
        "orders_won_in_month": orders.orders,
        "ta_share": _rate(orders.ta_orders, orders.orders),
    }


def attribution_report(*, period: ReportPeriod, scope: Scope, sla_hours: int) -> dict:
    """The report of ATTRIBUTION.md §7 for `period` and `scope`, as a JSON-ready dict.

    Beyond the contract's keys it carries what the report page shows: display names, per-row
    key figures and verdicts, the factors, both verdict sentences, when the report turns final.
    """
    # Both months in one statement, each counted as of its own T.
    current, baseline = cohorts_counts(
        periods=[
            CohortPeriod(period.start, period.end, period.as_of),
            CohortPeriod(period.baseline_start, period.baseline_end, period.baseline_as_of, key_figures=False),
        ],
        window_days=period.window_days,
        sla_hours=sla_hours,
        scope=scope,
        median_of=0,
    )
    current_groups, baseline_groups = current.groups, baseline.groups

    # Roll the groups up: company (the scope), accounts, owners; RFQ groups go to the RFQ line.
    total, base_total = Tally(), FunnelTally()
    by_account: dict[int, Tally] = defaultdict(Tally)
    base_by_account: dict[int, FunnelTally] = defaultdict(FunnelTally)
    by_owner: dict[int | None, Tally] = defaultdict(Tally)
    base_by_owner: dict[int | None, FunnelTally] = defaultdict(FunnelTally)
    rfq_by_owner: dict[int | None, RfqTally] = defaultdict(RfqTally)
    # Per account and owner, for the conversion split of the account rows.
    by_account_owner: dict[int, dict] = defaultdict(lambda: defaultdict(FunnelTally))
    base_by_account_owner: dict[int, dict] = defaultdict(lambda: defaultdict(FunnelTally))
    for group in current_groups:
        if group.rfq:
            rfq_by_owner[group.owner_id].add(group)
            continue
        total.add(group)
        by_account[group.account_id].add(group)
        by_owner[group.owner_id].add(group)
        by_account_owner[group.account_id][group.owner_id].add(group)
    for group in baseline_groups:
        if not group.rfq:
            base_total.add(group)
            base_by_account[group.account_id].add(group)
            base_by_owner[group.owner_id].add(group)
            base_by_account_owner[group.account_id][group.owner_id].add(group)
    start_month = data_start()
    in_data = start_month is not None and period.baseline >= start_month
    owner_ids = {g.owner_id for g in current_groups} | {g.owner_id for g in baseline_groups}
    account_ids = {g.account_id for g in current_groups} | {g.account_id for g in baseline_groups}

    won_orders = orders_won_in_month(start=period.start, end=period.end, as_of=period.as_of, scope=scope)
    orders_total, orders_by_account, orders_by_person = OrderTally(), defaultdict(OrderTally), defaultdict(OrderTally)
    for (account_id, salesperson_id), tally in won_orders.items():
        orders_total.add(tally)
        orders_by_account[account_id].add(tally)
        orders_by_person[salesperson_id].add(tally)
    quotes = rfq_quotes_in_month(start=period.start, end=period.end, as_of=period.as_of, scope=scope)
    median = current.allocation_delay_median

    # Rows: the contract's salespeople (active, or owning an inquiry of M or B) and accounts.
    if scope.kind == "company":
        people = User.objects.filter(Q(role=Role.SALES, is_active=True) | Q(pk__in=owner_ids - {None}))
        accounts = accounts_with_reply_rate(period=period, ids=None)
    elif scope.kind == "account":
        people = User.objects.filter(pk__in=owner_ids - {None})
        accounts = accounts_with_reply_rate(period=period, ids={scope.account.pk})
    else:
        people = [scope.salesperson]
        accounts = accounts_with_reply_rate(period=period, ids=account_ids)
    people = sorted(people, key=lambda u: u.username)

    salespeople = []
    owner_rows: list[tuple[int | None, User | None]] = [(u.pk, u) for u in people]
    if scope.kind != "salesperson":
        owner_rows.append((None, None))  # the contract's `unassigned` row
    for owner_id, user in owner_rows:
        parts = _decomposition(base_by_owner[owner_id].funnel, by_owner[owner_id].funnel, baseline_in_data=in_data)
        rfq = rfq_by_owner[owner_id]
        salespeople.append(
            {
                "username": user.username if user else None,
                "display_name": user.label if user else None,
                "is_active": user.is_active if user else None,
                "funnel": parts["funnel"],
                "orders_change": parts["orders_change"],
                "rfq": {
                    "quotes": quotes.get(owner_id, 0),
                    "quota": user.rfq_quota if user else None,
                    "inquiries": rfq.inquiries,
                    "won": rfq.won,
                    "revenue_usd": calc.money(rfq.revenue),
                },
                "revenue_change": parts["revenue_change"],
                "factors": parts["factors"],
                "verdict": parts["verdict"],
                "kpis": _row_kpis(by_owner[owner_id], orders_by_person[owner_id]),
            }
        )

    account_rows = []
    for account in accounts:
        parts = _decomposition(
            base_by_account[account.pk].funnel,
            by_account[account.pk].funnel,
            baseline_in_data=in_data,
            people=(
                _replied_won(base_by_account_owner[account.pk]),
                _replied_won(by_account_owner[account.pk]),
            ),
        )
        kpis = _row_kpis(by_account[account.pk], orders_by_account[account.pk])
        kpis.update(_snapshot_json(account))
        account_rows.append(
            {
                "code": account.code,
                "kind": account.kind,
                "name": account.name,
                "display_name": str(account),
                "parent": account.parent.code if account.parent_id else None,
                "is_active": account.is_active,
                "funnel": parts["funnel"],
                "orders_change": parts["orders_change"],
                "revenue_change": parts["revenue_change"],
                "factors": parts["factors"],
                "verdict": parts["verdict"],
                "kpis": kpis,
            }
        )

    split = None if scope.kind == "salesperson" else (_replied_won(base_by_owner), _replied_won(by_owner))
    parts = _decomposition(base_total.funnel, total.funnel, baseline_in_data=in_data, people=split)
    label = None if period.baseline_is_previous_month else month_label(period.baseline)
    context = calc.VerdictContext(
        spread=parts["_noise"],
        baseline_in_data=in_data,
        baseline_month=month_label(period.baseline),
        data_start=month_label(start_month) if start_month else None,
    )
    texts = calc.verdict_sentences(parts["_orders"], parts["_verdict"], context, baseline_label=label)
    kpis = {
        "reply_24h_rate": _rate(total.reply_24h, total.valid),
        "sales_sla_rate": _rate(total.sla_met, total.allocated_valid),
        "allocation_delay_median_hours": (
            None if median is None else calc.to_number(Fraction(median // dt.timedelta(microseconds=1), 3_600_000_000))
        ),
        "ta_orders": orders_total.ta_orders,
        "orders_won_in_month": orders_total.orders,
        "ta_share": _rate(orders_total.ta_orders, orders_total.orders),
        # Beyond the contract: the counts behind the rates.
        "valid": total.valid,
        "reply_24h": total.reply_24h,
        "sales_sla_base": total.allocated_valid,
        "sales_sla_met": total.sla_met,
        "sla_hours": sla_hours,
        "allocated": total.allocated,
        "unallocated": total.inquiries - total.allocated,
        "orders_won_in_month_usd": calc.money(orders_total.usd),
        "ta_orders_usd": calc.money(orders_total.ta_usd),
    }
    if scope.kind == "account":
        kpis.update(_snapshot_json(accounts[0]))
    rfq_total = RfqTally()
    for tally in rfq_by_owner.values():
        rfq_total.inquiries += tally.inquiries
        rfq_total.won += tally.won
        rfq_total.revenue += tally.revenue
    quotas = [row["rfq"]["quota"] for row in salespeople if row["rfq"]["quota"] is not None]
    return {
        "scope": scope.key,
        "month": month_label(period.month),
        "baseline": month_label(period.baseline),
        "as_of": iso(period.as_of),
        "baseline_as_of": iso(period.baseline_as_of),
        "window_days": period.window_days,
        "status": period.status,
        "baseline_in_data": in_data,
        "data_start": month_label(start_month) if start_month else None,
        "funnel": parts["funnel"],
        "orders_change": parts["orders_change"],
        "revenue_change": parts["revenue_change"],
        "verdict": {
            "kind": parts["verdict"]["kind"],
            "side": parts["verdict"]["side"],
            "reason": parts["verdict"]["reason"],
            "text": texts[calc.sentence_language(get_language())],
            "texts": texts,
            "delta": parts["orders_change"]["total"],
        },
        "salespeople": salespeople,
        "accounts": account_rows,
        "kpis": kpis,
        # Beyond the contract, for the report page.
        "payload_version": PAYLOAD_VERSION,
        "baseline_status": period.baseline_status,
        "final_at": iso(period.final_at),
        "final_on": timezone.localtime(period.final_at).date().isoformat(),
        "time_zone": timezone.get_default_timezone_name(),
        "factors": parts["factors"],
        "rfq": {
            "quotes": sum(quotes.values()),
            "quota": sum(quotas) if quotas else None,
            "inquiries": rfq_total.inquiries,
            "won": rfq_total.won,
            "revenue_usd": calc.money(rfq_total.revenue),
        },
        "computed_at": iso(timezone.now()),
    }


def _snapshot_json(account: Account) -> dict:
    rate = getattr(account, "snapshot_rate", None)
    hours = getattr(account, "snapshot_hours", None)
    date = getattr(account, "snapshot_date", None)
    return {
        "alibaba_reply_rate": None if rate is None else calc.to_number(Decimal(rate)),
        "alibaba_reply_rate_date": date.isoformat() if date else None,
        "alibaba_avg_reply_hours": None if hours is None else calc.to_number(Decimal(hours), places=2),
    }


# ---------------------------------------------------------------------------------------------
# Trends


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
    from accounts.models import CompanySettings

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
        tally, won = tallies[index], orders[index]
        funnel = tally.funnel
        period = ReportPeriod(month=month, baseline=add_months(month, -1), as_of=as_of, window_days=window_days)
        result.append(
            {
                "month": month_label(month),
                "status": period.status,
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
        )
    return result


def monthly_report_stored(*, month: dt.date, baseline: dt.date, scope: str, window_days: int) -> MonthlyReport | None:
    """The stored report of this key, final or provisional, or None: one query."""
    return MonthlyReport.objects.filter(month=month, baseline=baseline, scope=scope, window_days=window_days).first()


def report_payload(report, *, language: str | None = None) -> dict:
    """A stored report's payload with `verdict.text` in `language` (default: the active one).

    The report keeps the sentence in every language it is written in, so a final report reads
    the same in Chinese and in English whatever language the job that froze it ran in.
    """
    payload = dict(report.payload)
    verdict = dict(payload["verdict"])
    texts = verdict.get("texts") or {}
    verdict["text"] = texts.get(calc.sentence_language(language or get_language()), verdict["text"])
    payload["verdict"] = verdict
    return payload


def report_page_accounts() -> list[Account]:
    """The accounts a report can be narrowed to, each main account before its sub-accounts: one query."""
    return sorted(Account.objects.select_related("parent"), key=_account_order)


def report_user_ids(payload: dict) -> dict[str, int]:
    """Salesperson username → id, for the links of the report's rows: one query."""
    usernames = {row["username"] for row in payload["salespeople"] if row["username"]}
    return dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))


def boss_home(*, now: dt.datetime | None = None) -> dict:
    """The boss's home page: last month's stored company report (verdict, status), if stored: two queries.

    Only a stored report: the home page never counts; the report page computes one when it is missing.
    """
    from accounts.models import CompanySettings

    now = now or timezone.now()
    local = timezone.localtime(now)
    month = add_months(dt.date(local.year, local.month, 1), -1)
    report = MonthlyReport.objects.filter(
        month=month,
        baseline=add_months(month, -1),
        scope="company",
        window_days=CompanySettings.load().attribution_window_days,
    ).first()
    return {"month": month, "report": report, "payload": report_payload(report) if report else None}
