"""The report's cohort statement as SQL: the one place the report's raw SQL and planner settings live.

`cohort.py` says what is counted (plain ORM querysets, used as they are on SQLite and by the
drill-down); this module says how PostgreSQL counts it fast (docs/decisions.md, "One-pass
report"): all periods in one read of the inquiries, the orders that count found by the `won_at`
index, the owner as of T taken from the inquiry row, the median allocation delay from the same
pass, no per-call ORM compilation, and planner settings for this statement alone. Elsewhere
(SQLite) it joins the ORM's per-period queries with UNION ALL (`portable_statement`).

The inner rows have the same columns whichever way they are written: `c` (cohort_id, grp_account,
grp_owner, grp_rfq, verdict, alloc_delay, replied_t, reply_24h, allocated_t, sla_met, grp_month
by month, and grp_period in the one-read statement) and `w` (inquiry_id, won_usd: the orders that
count, summed per inquiry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from inquiries.models import Quality, Source


@dataclass(frozen=True)
class PeriodSql:
    """One period's inner queries, `c` and `w`, with their parameters."""

    inquiries: tuple[str, list]
    won: tuple[str, list]
    key_figures: bool = True


@dataclass(frozen=True)
class StatementShape:
    """What the statement depends on besides the periods' own SQL."""

    by_month: bool = False
    median_of: int | None = None  # the period whose median allocation delay is wanted
    salesperson_id: int | None = None  # a salesperson scope: the median of their own inquiries


_VALID = "(w.won_usd IS NOT NULL OR c.verdict <> %s)"
_FUNNEL_SUMS = (
    "COUNT(*) AS n_inquiries, "
    f"COUNT(*) FILTER (WHERE {_VALID}) AS n_valid, "
    f"COUNT(*) FILTER (WHERE w.won_usd IS NOT NULL OR ({_VALID} AND c.replied_t)) AS n_replied, "
    "COUNT(w.won_usd) AS n_won, SUM(w.won_usd) AS usd"
)
# The portable statement's baseline goes without these; the one-read statement counts them for
# every period in the same pass and `cohort.py` drops the baseline's.
_KEY_FIGURE_SUMS = (
    f"COUNT(*) FILTER (WHERE {_VALID} AND c.reply_24h) AS n_reply_24h, "
    f"COUNT(*) FILTER (WHERE {_VALID} AND c.allocated_t) AS n_allocated_valid, "
    f"COUNT(*) FILTER (WHERE {_VALID} AND c.sla_met) AS n_sla_met, "
    "COUNT(*) FILTER (WHERE c.allocated_t) AS n_allocated"
)
_NO_KEY_FIGURES = "NULL AS n_reply_24h, NULL AS n_allocated_valid, NULL AS n_sla_met, NULL AS n_allocated"
_RESULT_COLUMNS = (
    "grp_period, grp_account, grp_owner, grp_rfq{month}, n_inquiries, n_valid, n_replied, n_won, usd, "
    "n_reply_24h, n_allocated_valid, n_sla_met, n_allocated"
)


class Period(Protocol):
    """A period's times (cohort.CohortPeriod): inquiries received in [start, end), counted as of T."""

    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime


def postgresql_statement(
    periods: Sequence[Period],
    *,
    window_days: int,
    sla_hours: int,
    reply_hours: int,
    account_id: int | None,
    salesperson_id: int | None,
    time_zone: str | None,
    median_of: int | None,
) -> tuple[str, list]:
    """PostgreSQL: every period counted in ONE read of the inquiries (the periods' ranges OR-ed in
    one bitmap scan, each row tagged with its period and that period's T), left-joined to the
    orders that count, grouped by (period, account, owner as of T, RFQ or not[, month]); with
    `median_of`, that period's median allocation delay from the same pass."""
    c_sql, c_params = _postgresql_inquiries(
        periods, sla_hours=sla_hours, reply_hours=reply_hours, account_id=account_id,
        salesperson_id=salesperson_id, time_zone=time_zone,
    )  # fmt: skip
    w_sql, w_params = _postgresql_won(periods, window_days=window_days)
    month = ", c.grp_month" if time_zone is not None else ""
    group_by = f"c.grp_period, c.grp_account, c.grp_owner, c.grp_rfq{month}"
    sums = f"{_FUNNEL_SUMS}, {_KEY_FIGURE_SUMS}"
    sums_params = [Quality.INVALID.value] * sums.count("%s")
    if median_of is not None:
        # The median's input from the same pass: each group's delays by T (doubles sort faster).
        sums += ", array_agg(date_part('epoch', c.alloc_delay)) FILTER (WHERE c.allocated_t AND c.grp_period = %s)"
        sums_params.append(median_of)
    else:
        sums += ", NULL::float8[]"
    # Table and column names are the models'; every value is a parameter.
    sql = (
        f"SELECT {group_by}, {sums} AS delays FROM ({c_sql}) c "  # noqa: S608
        f"LEFT JOIN ({w_sql}) w ON w.inquiry_id = c.cohort_id GROUP BY {group_by}"
    )
    params = [*sums_params, *c_params, *w_params]
    columns = _RESULT_COLUMNS.format(month=", grp_month" if time_zone is not None else "")
    if median_of is None:
        return f"SELECT {columns}, NULL FROM ({sql}) g", params  # noqa: S608
    shape = StatementShape(by_month=time_zone is not None, median_of=median_of, salesperson_id=salesperson_id)
    return _with_median_of_groups(sql, params, columns, shape)


def disjoint(periods: Sequence[Period]) -> bool:
    """No inquiry falls in two periods: one read can tag each row with its one period."""
    spans = sorted((p.start, p.end) for p in periods)
    return all(end <= next_start for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False))


def _period_of(periods: Sequence[Period], column: str, value: str) -> tuple[str, list]:
    """CASE: the period's `value` (its number `n` or its T `t`) for the row whose `column` is in it."""
    sql, params = "CASE", []
    for n, period in enumerate(periods):
        sql += f" WHEN {column} >= %s AND {column} < %s THEN %s"
        params += [period.start, period.end, n if value == "n" else period.as_of]
    return sql + " END", params


def _period_of_row(periods: Sequence[Period], value: str) -> tuple[str, list]:
    """`_period_of` for a row known to be in one of the periods: the latest-starting period whose
    start it is at or after, one comparison a period fewer (each flag evaluates it again)."""
    ordered = sorted(enumerate(periods), key=lambda item: item[1].start, reverse=True)
    values = [n if value == "n" else period.as_of for n, period in ordered]
    sql, params = "CASE", []
    for (_n, period), this in zip(ordered[:-1], values[:-1], strict=True):
        sql += " WHEN i.received_at >= %s THEN %s"
        params += [period.start, this]
    if len(ordered) == 1:
        return "%s", values[-1:]
    return sql + " ELSE %s END", [*params, values[-1]]


def _postgresql_inquiries(
    periods: Sequence[Period],
    *,
    sla_hours: int,
    reply_hours: int,
    account_id: int | None,
    salesperson_id: int | None,
    time_zone: str | None,
) -> tuple[str, list]:
    """`c`: the periods' inquiries received by their T, with their period, owner as of T and flags.

    The owner as of T is the inquiry row's owner when it took effect by T (`owner_since`): nearly
    every inquiry of a reported month. Only the others probe their allocation history by index.
    """
    n_sql, n_params = _period_of_row(periods, "n")
    t_sql, t_params = _period_of_row(periods, "t")
    sql = (
        "SELECT i.id AS cohort_id, p.n AS grp_period, i.account_id AS grp_account, "
        "CASE WHEN i.owner_since <= p.t THEN i.owner_id ELSE (SELECT a.salesperson_id "
        "FROM inquiries_allocation a WHERE a.inquiry_id = i.id AND a.assigned_at <= p.t "
        "ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1) END AS grp_owner, "
        "CASE WHEN i.source = %s THEN 1 ELSE 0 END AS grp_rfq, i.quality AS verdict, "
        "i.first_allocated_at - i.received_at AS alloc_delay, "
        "i.first_reply_at <= p.t AS replied_t, "
        "(i.first_reply_at <= p.t AND i.first_reply_at - i.received_at <= %s) AS reply_24h, "
        "i.first_allocated_at <= p.t AS allocated_t, "
        "(i.first_allocated_at <= p.t AND i.first_reply_at <= p.t "
        "AND i.first_reply_at - GREATEST(i.received_at, i.first_allocated_at) <= %s) AS sla_met"
    )
    params = [Source.RFQ.value, dt.timedelta(hours=reply_hours), dt.timedelta(hours=sla_hours)]
    if time_zone is not None:
        sql += (
            ", EXTRACT(YEAR FROM i.received_at AT TIME ZONE %s) * 12 "
            "+ EXTRACT(MONTH FROM i.received_at AT TIME ZONE %s) - 1 AS grp_month"
        )
        params += [time_zone, time_zone]
    sql += f" FROM inquiries_inquiry i CROSS JOIN LATERAL (SELECT {n_sql} AS n, {t_sql} AS t) p WHERE ("
    params += [*n_params, *t_params]
    for n, period in enumerate(periods):
        sql += " OR " * (n > 0) + "(i.received_at >= %s AND i.received_at < %s AND i.received_at <= %s)"
        params += [period.start, period.end, period.as_of]
    sql += ")"
    if account_id is not None:
        sql += " AND i.account_id = %s"
        params.append(account_id)
    if salesperson_id is not None:  # a cheap pre-filter; the owner as of T is checked on the groups
        sql += (
            " AND EXISTS (SELECT 1 FROM inquiries_allocation a WHERE a.inquiry_id = i.id "
            "AND a.salesperson_id = %s AND a.assigned_at <= p.t)"
        )
        params.append(salesperson_id)
    return sql, params


def _postgresql_won(periods: Sequence[Period], *, window_days: int) -> tuple[str, list]:
    """`w`: the orders that count for the periods' inquiries, summed per inquiry.

    No order is won before its inquiry arrived (services, importer and database triggers refuse
    it), so they were all won in [start, end + window) of their period: read by the `won_at`
    index, each looking its inquiry's period up once by id, and kept when won by that period's T,
    within the window and not cancelled as of that T. A scalar subquery, not a join: the planner
    would join the months' inquiries a second time (a third of a funnel's time).
    """
    window = dt.timedelta(days=window_days)
    n_sql, n_params = _period_of(periods, "ci.received_at", "n")
    ranges, cases, params, case_params = [], [], [], []
    for n, period in enumerate(periods):
        ranges.append("(o.won_at >= %s AND o.won_at < %s AND o.won_at <= %s)")
        params += [period.start, period.end + window, period.as_of]
        cases.append("WHEN %s THEN o.won_at <= %s AND (o.cancelled_at IS NULL OR o.cancelled_at > %s)")
        case_params += [n, period.as_of, period.as_of]
    sql = (
        "SELECT o.inquiry_id, SUM(o.amount_usd) AS won_usd FROM inquiries_order o "  # noqa: S608
        f"WHERE ({' OR '.join(ranges)}) AND CASE (SELECT {n_sql} FROM inquiries_inquiry ci WHERE ci.id = o.inquiry_id "  # noqa: S608
        f"AND ci.received_at > o.won_at - %s) {' '.join(cases)} ELSE false END GROUP BY o.inquiry_id"
    )
    return sql, [*params, *n_params, window, *case_params]


def portable_statement(periods: list[PeriodSql], shape: StatementShape) -> tuple[str, list]:
    """Elsewhere (SQLite), from the ORM's inner queries: per period the counts grouped by (account,
    owner as of T, RFQ or not[, month]), the periods joined by UNION ALL, and the median
    allocation delay read again by rank."""
    month = ", c.grp_month" if shape.by_month else ""
    group_by = f"c.grp_account, c.grp_owner, c.grp_rfq{month}"
    selects, params = [], []
    for n, period in enumerate(periods):
        sums = f"{_FUNNEL_SUMS}, {_KEY_FIGURE_SUMS if period.key_figures else _NO_KEY_FIGURES}"
        (c_sql, c_params), (w_sql, w_params) = period.inquiries, period.won
        # Table and column names are the models'; every value is a parameter.
        selects.append(
            f"SELECT {n} AS grp_period, {group_by}, {sums} "  # noqa: S608
            f"FROM ({c_sql}) c LEFT JOIN ({w_sql}) w ON w.inquiry_id = c.cohort_id GROUP BY {group_by}"
        )
        params += [Quality.INVALID.value] * sums.count("%s") + c_params + w_params
    union = " UNION ALL ".join(selects)
    columns = _RESULT_COLUMNS.format(month=", grp_month" if shape.by_month else "")
    if shape.median_of is not None:
        median_sql, median_params = _median_by_ranks(periods[shape.median_of], shape)
        return f"SELECT {columns}, {median_sql} FROM ({union}) g", [*median_params, *params]  # noqa: S608
    return f"SELECT {columns}, NULL FROM ({union}) g", params  # noqa: S608


def _with_median_of_groups(union: str, params: list, columns: str, shape: StatementShape) -> tuple[str, list]:
    """PostgreSQL: the groups kept once (a few thousand rows, not the month's inquiries) and the
    median taken over their delays; the mean of the middle one or two, in microseconds."""
    where, where_params = "m.grp_period = %s AND m.grp_rfq = 0", [shape.median_of]
    if shape.salesperson_id is not None:
        where += " AND m.grp_owner = %s"
        where_params.append(shape.salesperson_id)
    sql = (
        f"WITH g AS MATERIALIZED ({union}) "  # noqa: S608
        f"SELECT {columns}, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) * 1000000 "
        f"FROM g m CROSS JOIN LATERAL unnest(m.delays) d WHERE {where}) FROM g"
    )
    return sql, [*params, *where_params]


def _median_by_ranks(period: PeriodSql, shape: StatementShape) -> tuple[str, list]:
    """Elsewhere (SQLite: no arrays, no ordered-set aggregates): a scalar subquery over the period's
    inquiries again, the mean of the middle one or two by rank."""
    c_sql, c_params = period.inquiries
    where, params = "c.allocated_t AND c.grp_rfq = 0", list(c_params)
    if shape.salesperson_id is not None:
        where += " AND c.grp_owner = %s"
        params.append(shape.salesperson_id)
    sql = (
        "(SELECT AVG(delay) FROM (SELECT c.alloc_delay AS delay, "  # noqa: S608
        "ROW_NUMBER() OVER (ORDER BY c.alloc_delay) AS rn, COUNT(*) OVER () AS n "
        f"FROM ({c_sql}) c WHERE {where}) ranked WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2)"
    )
    return sql, params


def fetch(connection, sql: str, params: list) -> list[tuple]:
    """Run the cohort statement; on PostgreSQL with planner settings for it alone.

    The planner cannot estimate the groups of the owner as of T (a CASE over a subquery) and
    overestimates the statement a hundredfold: on that estimate it compiles it with JIT (~0.9 s on
    a ~0.3 s statement), sorts ~40,000 wide rows per period instead of hashing them into ~2,000
    groups (+40 %), and never reads the month with parallel workers (−30 % with the server's
    default two). The groups' delays for the median outgrow the default 4 MB of hash table and
    spill to disk (+60 ms); 64 MB keeps them in memory. Parallel workers are used only where the
    server allows them and the months are large enough (min_parallel_index_scan_size).

    The settings (`set_config(…, true)`: transaction-local) and the statement go in one execute:
    one round trip, run by PostgreSQL as one transaction of its own, so the settings end with it,
    with no BEGIN and COMMIT round trips. Inside a caller's transaction they last to its end, as
    they did under a savepoint (RELEASE keeps a SET LOCAL).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"{_PLANNER_SETTINGS}; {sql}"
        cursor.execute(sql, params)
        return cursor.fetchall()


_PLANNER_SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('enable_sort', 'off', true), "
    "set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true), "
    "set_config('work_mem', '64MB', true)"
)
