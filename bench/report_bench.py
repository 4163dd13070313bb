"""Benchmark of the monthly attribution report on PostgreSQL.

Loads 1,000,000 inquiries over 24 months (20 accounts, 50 salespeople, with allocations,
re-allocations, replies, quality verdicts, orders, RFQ quotes and reply-rate snapshots) into
a database of its own with COPY, then times:

- the full company report of one month through the selectors (every account, every
  salesperson, the baseline at the same age, the key figures), as `monthly_report_get` uses it;
- one hand-written SQL query that computes the same company funnel (I, V, R, W, Y);

and prints both, and their ratio. Targets (issue 4): report ≤ 5 s and ≤ 3× the query.

    .venv/bin/python bench/report_bench.py                 # load once (kept), then time
    .venv/bin/python bench/report_bench.py --reload        # drop and load again
    .venv/bin/python bench/report_bench.py --inquiries 100000 --database ih_bench_small

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
    parser.add_argument("--database", default="ih_bench_report")
    parser.add_argument("--reload", action="store_true", help="drop the benchmark database and load it again")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (the median is reported)")
    parser.add_argument("--explain", action="store_true", help="print the plan of the report's cohort statement")
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
    inquiry_id = 0
    for m in range(MONTHS):
        start, end = month_starts[m], month_starts[m + 1]
        span = (end - start).total_seconds()
        count = per_month if m < MONTHS - 1 else total - per_month * (MONTHS - 1)
        for _ in range(count):
            inquiry_id += 1
            received = start + dt.timedelta(seconds=rng.random() * span)
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


HAND_WRITTEN_FUNNEL = """
SELECT count(*) AS inquiries,
       count(*) FILTER (WHERE w.inquiry_id IS NOT NULL OR i.quality <> 'invalid') AS valid,
       count(*) FILTER (WHERE w.inquiry_id IS NOT NULL
                           OR (i.quality <> 'invalid' AND i.first_reply_at <= %(t)s)) AS replied,
       count(w.inquiry_id) AS won,
       coalesce(sum(w.usd), 0) AS revenue
FROM inquiries_inquiry i
LEFT JOIN (
    SELECT o.inquiry_id, sum(o.amount_usd) AS usd
    FROM inquiries_order o
    JOIN inquiries_inquiry oi ON oi.id = o.inquiry_id
    WHERE oi.received_at >= %(start)s AND oi.received_at < %(end)s
      AND o.won_at <= %(t)s AND o.won_at < oi.received_at + make_interval(days => %(w)s)
      AND (o.cancelled_at IS NULL OR o.cancelled_at > %(t)s)
    GROUP BY o.inquiry_id
) w ON w.inquiry_id = i.id
WHERE i.received_at >= %(start)s AND i.received_at < %(end)s AND i.source <> 'rfq'
"""


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
    from reports.services import monthly_report_get

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
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET enable_sort = off")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            print("\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute("RESET jit")
            cursor.execute("RESET enable_sort")

    def report():
        return attribution_report(period=period, scope=Scope(), sla_hours=24)

    def hand_written():
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN_FUNNEL, {"start": period.start, "end": period.end, "t": as_of, "w": 30})
            return cursor.fetchone()

    def hand_written_both_months():
        # The least any report comparing M with B at the same age must do.
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN_FUNNEL, {"start": period.start, "end": period.end, "t": as_of, "w": 30})
            current = cursor.fetchone()
            cursor.execute(
                HAND_WRITTEN_FUNNEL,
                {"start": period.baseline_start, "end": period.baseline_end, "t": period.baseline_as_of, "w": 30},
            )
            return current, cursor.fetchone()

    def hand_written_without_jit():
        # The same query with the planner setting the report's statement uses (JIT off).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(HAND_WRITTEN_FUNNEL, {"start": period.start, "end": period.end, "t": as_of, "w": 30})
            return cursor.fetchone()

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

    medians, results = timed_together(
        {
            "report": report,
            "query": hand_written,
            "query_no_jit": hand_written_without_jit,
            "both": hand_written_both_months,
            "cohort": cohort_statement,
            "stored": lambda: monthly_report_get(month=REPORT_MONTH, as_of=as_of),
        },
        args.runs,
    )
    report_s, query_s, query_no_jit_s = medians["report"], medians["query"], medians["query_no_jit"]
    both_s, cohort_s, stored_s = medians["both"], medians["cohort"], medians["stored"]
    payload, funnel = results["report"], results["query"]
    with CaptureQueriesContext(connection) as queries:
        report()

    # Transaction control and the planner settings are not queries of the report.
    statements = sum(
        not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "SET ", "SELECT set_config"))
        for q in queries.captured_queries
    )
    current = payload["funnel"]["current"]
    ours = (current["inquiries"], current["valid"], current["replied"], current["won"], current["revenue_usd"])
    theirs = (funnel[0], funnel[1], funnel[2], funnel[3], float(funnel[4]))
    assert ours == theirs, f"the report's funnel {ours} differs from the hand-written query's {theirs}"
    print()
    print(f"Month {period.month:%Y-%m} as of {as_of.isoformat()}: {current['inquiries']:,} inbound inquiries, "
          f"{len(payload['salespeople'])} salesperson rows, {len(payload['accounts'])} account rows, "
          f"{statements} queries")  # fmt: skip
    print(f"Funnel I, V, R, W, Y = {ours} (same from both)")
    print("The hand-written query: one statement over the month's inquiries (received in the month in")
    print("Asia/Shanghai, RFQ excluded), left-joined to their orders won by T, within 30 days of arrival")
    print("and not cancelled as of T; I, V (won or not rated invalid), R (valid and replied by T, or won),")
    print("W and Y: the company funnel of ATTRIBUTION.md §1, nothing else (no baseline, owners, accounts,")
    print("key figures or decomposition). The report computes that funnel for the month AND the baseline")
    print("at the same age, per account and per owner as of T, the key figures, the median allocation")
    print("delay, the RFQ line, and the Shapley split of 72 rows.")
    print(f"Runs interleaved, medians of {args.runs}:")
    print(f"Full company report (selectors + attribution): {report_s * 1000:8.1f} ms")
    print(f"  of which the cohort statement (M and B):     {cohort_s * 1000:8.1f} ms")
    print(f"monthly_report_get (as of a past T, unsaved):  {stored_s * 1000:8.1f} ms")
    print(f"Hand-written company funnel query:             {query_s * 1000:8.1f} ms  (server defaults)")
    print(f"  the same with JIT off, as the report runs:   {query_no_jit_s * 1000:8.1f} ms")
    print(f"Hand-written funnels of M and B (2 queries):   {both_s * 1000:8.1f} ms")
    print(f"Ratio report / hand-written query:             {report_s / query_s:8.2f} ×  (target ≤ 3×)")
    print(f"Ratio report / hand-written query, JIT off:    {report_s / query_no_jit_s:8.2f} ×")
    print(f"Ratio report / hand-written M and B funnels:   {report_s / both_s:8.2f} ×")
    print(f"Report within 5 s:                             {'yes' if report_s <= 5 else 'NO'}")


if __name__ == "__main__":
    main()
