"""Benchmark of the monthly attribution report on PostgreSQL, against the best hand-written SQL.

Loads 1,000,000 inquiries over 24 months (20 accounts, 50 salespeople, with allocations,
re-allocations, replies, quality verdicts, orders, RFQ quotes and reply-rate snapshots) into
a database of its own with COPY, in random order of received_at as an import leaves them
(it prints pg_stats' correlation), then times, interleaved in one run (medians):

- the full company report of one month through the selectors (every account, every
  salesperson, the baseline at the same age, the key figures, the median allocation delay);
- its cohort statement alone;
- the yardstick: one hand-written statement giving the same answer as the cohort statement
  (both months as of their own T, grouped by account, owner as of T and RFQ-or-not, the key
  figures, the median), with the same indexes and planner settings; its answer is checked equal;

and prints the ratio (issue 15: floor ≤ 2×, goal ≤ 1.5×). With --process, also the whole
`manage.py attribution_report --recompute` process against psql running the yardstick (goal ≤ 3×).

    .venv/bin/python bench/report_bench.py                 # load once (kept), then time
    .venv/bin/python bench/report_bench.py --reload        # drop and load again
    .venv/bin/python bench/report_bench.py --runs 7 --process
    .venv/bin/python bench/report_bench.py --inquiries 100000 --database rep_bench_small

The database server is taken from DATABASE_URL (its database name is replaced by --database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS = 24
FIRST_MONTH = dt.date(2024, 11, 1)  # 2024-11 … 2026-10
REPORT_MONTH = dt.date(2026, 9, 1)
ACCOUNTS = 20  # 5 main accounts with 3 sub-accounts each
SALESPEOPLE = 50


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=int, default=1_000_000)
    parser.add_argument("--database", default="rep_bench_report")
    parser.add_argument("--reload", action="store_true", help="drop the benchmark database and load it again")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (the median is reported)")
    parser.add_argument("--explain", action="store_true", help="print the plan of the report's cohort statement")
    parser.add_argument(
        "--process", action="store_true", help="also time manage.py attribution_report --recompute against psql"
    )
    return parser.parse_args()


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("report_bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    return url


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def ensure_database(url: str, name: str, reload: bool) -> bool:
    """Create the benchmark database; True when it must be loaded."""
    import psycopg2

    admin = psycopg2.connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and reload:
            cursor.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return not exists


class RowStream(io.TextIOBase):
    """A file-like object that COPY reads from, fed by a generator of text lines."""

    def __init__(self, lines):
        self.lines = iter(lines)
        self.buffer = ""

    def readable(self):
        return True

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.lines)
            except StopIteration:
                break
        if size < 0:
            chunk, self.buffer = self.buffer, ""
        else:
            chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def ts(value: dt.datetime | None) -> str:
    return r"\N" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def copy(cursor, table: str, columns: list[str], lines) -> None:
    started = time.perf_counter()
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", RowStream(lines), size=1 << 16)
    print(f"  {table}: {time.perf_counter() - started:.1f} s", flush=True)


def load(total: int) -> None:
    """Generate the company and COPY it in."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    rng = random.Random(20260527)
    now = dt.datetime(2026, 11, 27, 12, tzinfo=SHANGHAI)
    created = ts(now)
    raw = connection.cursor().cursor  # psycopg2 cursor for copy_expert

    # People: 50 salespeople (ids 1..50), an operations manager and a boss.
    password = make_password("bench-password-1")
    users = [(n, f"sales{n:02d}", "sales", f"业务{n:02d}", 20) for n in range(1, SALESPEOPLE + 1)]
    users += [
        (SALESPEOPLE + 1, "opsmgr", "ops_manager", "运营主管", None),
        (SALESPEOPLE + 2, "boss", "boss", "老板", None),
    ]
    copy(
        raw,
        "accounts_user",
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
         "date_joined", "role", "display_name", "rfq_quota", "is_away"],
        (f"{i}\t{password}\tf\t{u}\t\t\t{u}@bench.local\tf\tt\t{created}\t{role}\t{name}\t"
         f"{quota if quota is not None else chr(92) + 'N'}\tf\n" for i, u, role, name, quota in users),
    )  # fmt: skip
    ops_id = SALESPEOPLE + 1

    # Accounts: 5 main (ids 1..5), each with 3 sub-accounts.
    accounts = [(n, f"main{n}", "main", None) for n in range(1, 6)]
    accounts += [(5 + (m - 1) * 3 + s, f"main{m}-sub{s}", "sub", m) for m in range(1, 6) for s in range(1, 4)]
    copy(
        raw,
        "accounts_account",
        ["id", "code", "name", "kind", "parent_id", "is_active", "created_at"],
        (f"{i}\t{code}\tStore {code}\t{kind}\t{parent or chr(92) + 'N'}\tt\t{created}\n"
         for i, code, kind, parent in accounts),
    )  # fmt: skip

    # Inquiries and everything that hangs off them, generated in one pass.
    month_starts = [
        dt.datetime(2024 + (10 + m) // 12, (10 + m) % 12 + 1, 1, tzinfo=SHANGHAI) for m in range(MONTHS + 1)
    ]
    per_month = total // MONTHS
    inquiries, allocations, followups, orders, verdicts = [], [], [], [], []
    order_id = allocation_id = followup_id = verdict_id = 0
    arrivals = []
    for m in range(MONTHS):
        start, end = month_starts[m], month_starts[m + 1]
        span = (end - start).total_seconds()
        count = per_month if m < MONTHS - 1 else total - per_month * (MONTHS - 1)
        arrivals += [start + dt.timedelta(seconds=rng.random() * span) for _ in range(count)]
    # As an import leaves them: rows (and ids) in the file's order, not by received_at (correlation ≈ 0).
    rng.shuffle(arrivals)
    for inquiry_id, received in enumerate(arrivals, start=1):
        account = rng.randint(1, ACCOUNTS)
        roll = rng.random()
        source = "rfq" if roll < 0.05 else "tm" if roll < 0.15 else "inquiry"
        owner = first_alloc = first_reply = reply_due = owner_since = None
        if source == "rfq" or rng.random() < 0.95:
            first_alloc = received + dt.timedelta(hours=rng.expovariate(1 / 3))
            owner, owner_since = rng.randint(1, SALESPEOPLE), first_alloc
            allocation_id += 1
            allocations.append(f"{allocation_id}\t{inquiry_id}\t{owner}\t{ops_id}\t{ts(first_alloc)}\tmanual\t\n")
            if rng.random() < 0.10:  # re-allocated a day later
                owner = rng.randint(1, SALESPEOPLE)
                allocation_id += 1
                again = owner_since = first_alloc + dt.timedelta(hours=20 + rng.random() * 10)
                allocations.append(f"{allocation_id}\t{inquiry_id}\t{owner}\t\\N\t{ts(again)}\tdeadline\t\n")
            reply_due = max(received, first_alloc) + dt.timedelta(hours=24)
        quality = ""
        q = rng.random()
        if q < 0.10:
            quality = "invalid"
            verdict_id += 1
            verdicts.append(
                f"{verdict_id}\t{inquiry_id}\t{owner or chr(92) + 'N'}\tsales\tinvalid\tspam\t\t"
                f"{ts(received + dt.timedelta(hours=30))}\n"
            )
        elif q < 0.15:
            quality = "valid"
            verdict_id += 1
            verdicts.append(
                f"{verdict_id}\t{inquiry_id}\t{ops_id}\tops\tvalid\t\t\t{ts(received + dt.timedelta(hours=30))}\n"
            )
        if owner and quality != "invalid" and rng.random() < 0.8:
            first_reply = max(received, first_alloc) + dt.timedelta(hours=rng.expovariate(1 / 12))
            followup_id += 1
            followups.append(f"{followup_id}\t{inquiry_id}\t{owner}\treply\t{ts(first_reply)}\t\t\\N\t{created}\n")
        state = "new"
        if first_reply and rng.random() < 0.03:
            order_id += 1
            won_at = received + dt.timedelta(days=1 + rng.random() * 44)
            amount = round(rng.lognormvariate(8, 1), 2)
            ta = "t" if rng.random() < 0.4 else "f"
            cancelled = ts(won_at + dt.timedelta(days=10)) if rng.random() < 0.05 else r"\N"
            orders.append(
                f"{order_id}\t{inquiry_id}\t{owner}\t{account}\t{ts(won_at)}\t{amount:.2f}\t{ta}\t\t\\N\t\t"
                f"{cancelled}\t\t\\N\t{created}\t{created}\n"
            )
            state = "won"
        elif first_reply:
            state = "replied"
        elif quality == "invalid":
            state = "invalid"
        inquiries.append(
            f"{inquiry_id}\t{account}\tE{inquiry_id:08d}\t{ts(received)}\t{source}\t\t\t\t\t\t\t\t\t\\N\t"
            f"{owner or chr(92) + 'N'}\t{ts(first_alloc)}\t{ts(first_reply)}\t{ts(reply_due)}\t\\N\t{quality}\t"
            f"{state}\t\t\\N\t{created}\t{created}\t{ts(owner_since)}\t\n"
        )
    # Repeat and offline orders: no inquiry.
    for _ in range(total // 500):
        order_id += 1
        month = rng.randrange(MONTHS)
        won_at = month_starts[month] + dt.timedelta(days=rng.random() * 28)
        orders.append(
            f"{order_id}\t\\N\t{rng.randint(1, SALESPEOPLE)}\t{rng.randint(1, ACCOUNTS)}\t{ts(won_at)}\t"
            f"{round(rng.lognormvariate(8, 1), 2):.2f}\t{'t' if rng.random() < 0.6 else 'f'}\t\t\\N\t\t\\N\t\t\\N\t"
            f"{created}\t{created}\n"
        )
    copy(
        raw,
        "inquiries_inquiry",
        ["id", "account_id", "external_id", "received_at", "source", "buyer_name", "buyer_company", "buyer_email",
         "country", "product", "quantity", "subject", "message", "rfq_quote_id", "owner_id", "first_allocated_at",
         "first_reply_at", "reply_due_at", "overdue_at", "quality", "state", "lost_reason", "lost_at", "created_at",
         "updated_at", "owner_since", "buyer_phone"],
        inquiries,
    )  # fmt: skip
    copy(
        raw,
        "inquiries_allocation",
        ["id", "inquiry_id", "salesperson_id", "allocated_by_id", "assigned_at", "reason", "note"],
        allocations,
    )
    copy(
        raw,
        "inquiries_followup",
        ["id", "inquiry_id", "author_id", "kind", "happened_at", "note", "next_action_on", "created_at"],
        followups,
    )
    copy(
        raw,
        "inquiries_qualityverdict",
        ["id", "inquiry_id", "decided_by_id", "side", "verdict", "reason", "note", "decided_at"],
        verdicts,
    )
    copy(
        raw,
        "inquiries_order",
        ["id", "inquiry_id", "salesperson_id", "account_id", "won_at", "amount_usd", "trade_assurance",
         "original_currency", "original_amount", "note", "cancelled_at", "cancel_reason", "created_by_id", "created_at",
         "updated_at"],
        orders,
    )  # fmt: skip
    quotes = []
    for m in range(MONTHS):
        for person in range(1, SALESPEOPLE + 1):
            for n in range(rng.randint(5, 20)):
                quoted = month_starts[m] + dt.timedelta(days=rng.random() * 27)
                quotes.append(f"{len(quotes) + 1}\t{person}\t\\N\tRFQ-{m}-{person}-{n}\t{ts(quoted)}\t\t{created}\n")
    copy(raw, "inquiries_rfqquote", ["id", "salesperson_id", "account_id", "rfq_id", "quoted_at", "note", "created_at"],
         quotes)  # fmt: skip
    days = (month_starts[-1] - month_starts[0]).days
    copy(
        raw,
        "reports_replyratesnapshot",
        ["account_id", "date", "reply_rate", "avg_reply_hours"],
        (f"{a}\t{(month_starts[0] + dt.timedelta(days=d)).date()}\t{0.7 + rng.random() * 0.3:.4f}\t"
         f"{rng.random() * 12:.2f}\n" for a in range(1, ACCOUNTS + 1) for d in range(days)),
    )  # fmt: skip
    tables = ["accounts_user", "accounts_account", "inquiries_inquiry", "inquiries_allocation",
              "inquiries_followup", "inquiries_qualityverdict", "inquiries_order", "inquiries_rfqquote",
              "reports_replyratesnapshot"]  # fmt: skip
    for table in tables:
        raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    started = time.perf_counter()
    raw.execute("VACUUM ANALYZE")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    print(
        f"Loaded {total:,} inquiries, {allocation_id:,} allocations, {followup_id:,} replies, "
        f"{verdict_id:,} verdicts, {order_id:,} orders, {len(quotes):,} RFQ quotes.",
        flush=True,
    )


# The yardstick: the best hand-written SQL for the same answer as the report's cohort statement, by
# hand, for this benchmark's case (the baseline is the month before): both months' inbound and RFQ
# inquiries counted as of their own T (I, V, R, W, Y and the key-figure counts), grouped by period,
# account, owner as of T and RFQ-or-not, and the month's median allocation delay. It uses what the
# schema offers the report (the won_at index, the owner_since column, the allocation index) and
# reads the two months in one bitmap scan.
YARDSTICK = """
WITH g AS MATERIALIZED (
  SELECT p.n AS period, i.account_id,
         CASE WHEN i.owner_since <= p.t THEN i.owner_id
              ELSE (SELECT a.salesperson_id FROM inquiries_allocation a
                    WHERE a.inquiry_id = i.id AND a.assigned_at <= p.t
                    ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1) END AS owner,
         i.source = 'rfq' AS rfq,
         count(*) AS inquiries,
         count(*) FILTER (WHERE w.usd IS NOT NULL OR i.quality <> 'invalid') AS valid,
         count(*) FILTER (WHERE w.usd IS NOT NULL OR (i.quality <> 'invalid' AND i.first_reply_at <= p.t)) AS replied,
         count(w.usd) AS won,
         sum(w.usd) AS revenue,
         count(*) FILTER (WHERE (w.usd IS NOT NULL OR i.quality <> 'invalid') AND i.first_reply_at <= p.t
                            AND i.first_reply_at - i.received_at <= interval '24 hours') AS reply_24h,
         count(*) FILTER (WHERE (w.usd IS NOT NULL OR i.quality <> 'invalid') AND i.first_allocated_at <= p.t)
           AS allocated_valid,
         count(*) FILTER (WHERE (w.usd IS NOT NULL OR i.quality <> 'invalid') AND i.first_allocated_at <= p.t
                            AND i.first_reply_at <= p.t
                            AND i.first_reply_at - greatest(i.received_at, i.first_allocated_at) <= interval '24 hours')
           AS sla_met,
         count(*) FILTER (WHERE i.first_allocated_at <= p.t) AS allocated,
         array_agg(date_part('epoch', i.first_allocated_at - i.received_at))
           FILTER (WHERE p.n = 0 AND i.first_allocated_at <= p.t) AS delays
  FROM inquiries_inquiry i
  CROSS JOIN LATERAL (
    SELECT CASE WHEN i.received_at >= %(ms)s THEN 0 ELSE 1 END AS n,
           CASE WHEN i.received_at >= %(ms)s THEN %(t)s::timestamptz ELSE %(tb)s::timestamptz END AS t
  ) p
  LEFT JOIN (
    SELECT o.inquiry_id, sum(o.amount_usd) AS usd
    FROM inquiries_order o
    WHERE o.won_at >= %(bs)s AND o.won_at < %(me)s::timestamptz + interval '30 days' AND o.won_at <= %(t)s
      AND CASE (SELECT CASE WHEN ci.received_at >= %(ms)s THEN 0 ELSE 1 END
                FROM inquiries_inquiry ci
                WHERE ci.id = o.inquiry_id AND ci.received_at >= %(bs)s AND ci.received_at < %(me)s
                  AND ci.received_at > o.won_at - interval '30 days')
          WHEN 0 THEN o.won_at <= %(t)s AND (o.cancelled_at IS NULL OR o.cancelled_at > %(t)s)
          WHEN 1 THEN o.won_at <= %(tb)s AND (o.cancelled_at IS NULL OR o.cancelled_at > %(tb)s)
          ELSE false END
    GROUP BY o.inquiry_id
  ) w ON w.inquiry_id = i.id
  WHERE (i.received_at >= %(ms)s AND i.received_at < %(me)s AND i.received_at <= %(t)s)
     OR (i.received_at >= %(bs)s AND i.received_at < %(ms)s AND i.received_at <= %(tb)s)
  GROUP BY 1, 2, 3, 4
)
SELECT period, account_id, owner, rfq, inquiries, valid, replied, won, revenue,
       reply_24h, allocated_valid, sla_met, allocated,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM g m CROSS JOIN LATERAL unnest(m.delays) d
        WHERE NOT m.rfq) AS median_delay_s
FROM g
"""
# The planner settings the report's statement runs with (reports/selectors/cohort_sql.py), so that
# both sides get the same parallel workers and memory.
SETTINGS = "SET jit = off; SET enable_sort = off; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
SETTINGS += "SET work_mem = '64MB';"


def yardstick_params(period) -> dict:
    return {
        "bs": period.baseline_start,
        "ms": period.start,
        "me": period.end,
        "t": period.as_of,
        "tb": period.baseline_as_of,
    }


def check_same_answer(payload: dict, rows: list[tuple]) -> None:
    """The yardstick's groups added up give the report's funnels, rows and median."""
    funnels = {}
    for period, account, owner, rfq, *counts in rows:
        if rfq:
            continue
        for key in (("company", period), ("account", account, period), ("owner", owner, period)):
            sums = funnels.setdefault(key, [0, 0, 0, 0, 0.0])
            for n, value in enumerate(counts[:5]):
                sums[n] += float(value or 0)

    def row(key):
        return tuple(round(v, 2) for v in funnels.get(key, [0, 0, 0, 0, 0.0]))

    def of(f):
        return (f["inquiries"], f["valid"], f["replied"], f["won"], round(f["revenue_usd"], 2))

    from accounts.models import Account, User

    accounts = dict(Account.objects.values_list("code", "pk"))
    people = dict(User.objects.values_list("username", "pk"))
    for n, side in ((0, "current"), (1, "baseline")):
        assert of(payload["funnel"][side]) == row(("company", n)), side
        for account in payload["accounts"]:
            assert of(account["funnel"][side]) == row(("account", accounts[account["code"]], n)), account["code"]
        for person in payload["salespeople"]:
            owner = people[person["username"]] if person["username"] else None
            assert of(person["funnel"][side]) == row(("owner", owner, n)), person["username"]
    median_hours = float(rows[0][-1]) / 3600
    assert abs(median_hours - payload["kpis"]["allocation_delay_median_hours"]) < 1e-4


def timed_together(functions: dict, runs: int) -> tuple[dict, dict]:
    """Median seconds and last result of each function, the runs interleaved (a, b, c, a, b, c, …)
    so that a machine whose load comes and goes weighs on every figure alike."""
    for function in functions.values():
        function()  # warm the cache and the connection
    times = {name: [] for name in functions}
    results = {}
    for _ in range(runs):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}, results


def main():
    args = parse_args()
    url = server_url()
    must_load = ensure_database(url, args.database, args.reload)
    os.environ["DATABASE_URL"] = with_database(url, args.database)
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from inquiries.models import Inquiry
    from reports.periods import ReportPeriod, add_months
    from reports.selectors import CohortPeriod, Scope, attribution_report, cohorts_counts

    call_command("migrate", verbosity=0)
    if must_load or not Inquiry.objects.exists():
        print(f"Loading {args.inquiries:,} inquiries into {args.database} …", flush=True)
        started = time.perf_counter()
        load(args.inquiries)
        print(f"Load took {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"Using the loaded database {args.database} ({Inquiry.objects.count():,} inquiries).", flush=True)

    as_of = dt.datetime(2026, 10, 20, 9, tzinfo=SHANGHAI)  # September provisional: the nightly case
    period = ReportPeriod(month=REPORT_MONTH, baseline=add_months(REPORT_MONTH, -1), as_of=as_of, window_days=30)
    if args.explain:
        from django.test.utils import CaptureQueriesContext as Capture

        with Capture(connection) as captured:
            attribution_report(period=period, scope=Scope(), sla_hours=24)
        statement = max((q["sql"] for q in captured.captured_queries), key=len)  # the cohort statement
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SETTINGS.replace("SET ", "SET LOCAL "))
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            print("\n".join(row[0] for row in cursor.fetchall()))

    def report():
        return attribution_report(period=period, scope=Scope(), sla_hours=24)

    params = yardstick_params(period)

    def yardstick():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SETTINGS.replace("SET ", "SET LOCAL "))
            cursor.execute(YARDSTICK, params)
            return cursor.fetchall()

    def yardstick_server_defaults():
        with connection.cursor() as cursor:
            cursor.execute(YARDSTICK, params)
            return cursor.fetchall()

    def cohort_statement():
        # The report's one statement: both months' groups and the median allocation delay.
        return cohorts_counts(
            periods=[
                CohortPeriod(period.start, period.end, period.as_of),
                CohortPeriod(period.baseline_start, period.baseline_end, period.baseline_as_of, key_figures=False),
            ],
            window_days=30,
            sla_hours=24,
            scope=Scope(),
            median_of=0,
        )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT correlation FROM pg_stats WHERE tablename = 'inquiries_inquiry' AND attname = 'received_at'"
        )
        (correlation,) = cursor.fetchone()
    medians, results = timed_together(
        {
            "report": report,
            "yardstick": yardstick,
            "cohort": cohort_statement,
            "yardstick_defaults": yardstick_server_defaults,
        },
        args.runs,
    )
    payload = results["report"]
    check_same_answer(payload, results["yardstick"])
    with CaptureQueriesContext(connection) as queries:
        report()
    # Transaction control is not a query of the report (the planner settings ride in the statement).
    statements = sum(
        not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")) for q in queries.captured_queries
    )
    current = payload["funnel"]["current"]
    report_s, yard_s = medians["report"], medians["yardstick"]
    print()
    print(f"pg_stats correlation of inquiries_inquiry.received_at: {correlation:+.3f} (an import's order: ≈ 0)")
    print(f"Month {period.month:%Y-%m} as of {as_of.isoformat()}: {current['inquiries']:,} inbound inquiries, "
          f"{len(payload['salespeople'])} salesperson rows, {len(payload['accounts'])} account rows, "
          f"{statements} queries")  # fmt: skip
    print("Yardstick: one hand-written statement with the same answer as the report's cohort statement")
    print("(both months as of their own T, grouped by period, account, owner as of T and RFQ, the key-figure")
    print("counts, the median allocation delay), same indexes, same planner settings; checked equal.")
    print(f"Runs interleaved, medians of {args.runs}:")
    print(f"Full company report (selectors + attribution):  {report_s * 1000:8.1f} ms")
    print(f"  of which the cohort statement (M and B):      {medians['cohort'] * 1000:8.1f} ms")
    print(f"Yardstick, the report's planner settings:       {yard_s * 1000:8.1f} ms")
    print(f"Yardstick, server defaults:                     {medians['yardstick_defaults'] * 1000:8.1f} ms")
    print(f"Ratio report / yardstick:                       {report_s / yard_s:8.2f} ×  (floor ≤ 2×, goal ≤ 1.5×)")
    if args.process:
        whole_process(args, period, params)


def whole_process(args, period, params) -> None:
    """`manage.py attribution_report --recompute` as a whole process against psql running the
    yardstick, interleaved, medians."""
    import resource
    import subprocess

    psql_url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    sql = SETTINGS + "\n" + literal_yardstick(params) + ";"
    command = [sys.executable, "manage.py", "attribution_report", "--month", f"{period.month:%Y-%m}",
               "--as-of", period.as_of.isoformat(), "--recompute", "--format", "json"]  # fmt: skip
    runs, cpu = {"command": [], "psql": []}, {"command": [], "psql": []}
    for _ in range(args.runs):
        for name, argv, stdin in (("command", command, None), ("psql", ["psql", "-qAt", psql_url], sql)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(argv, input=stdin, text=True, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            runs[name].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    command_s, psql_s = statistics.median(runs["command"]), statistics.median(runs["psql"])
    print(f"manage.py attribution_report --recompute (whole process): {command_s * 1000:8.1f} ms"
          f"  (its own CPU: {statistics.median(cpu['command']) * 1000:.0f} ms)")  # fmt: skip
    print(f"psql running the yardstick (whole process):                {psql_s * 1000:8.1f} ms")
    print(f"Ratio:                                                     {command_s / psql_s:8.2f} ×  (goal ≤ 3×)")


def literal_yardstick(params: dict) -> str:
    """The yardstick with its parameters written in, as psql runs it."""
    return YARDSTICK % {name: f"'{value.isoformat()}'::timestamptz" for name, value in params.items()}


if __name__ == "__main__":
    main()
