"""Benchmark of the inquiry list and the unassigned queue on PostgreSQL with a million inquiries.

    .venv/bin/python bench/list_bench.py [--rows 1000000] [--requests 200] [--db ih_bench_list] [--fresh]

Creates its own database (default ih_bench_list, on the server of DATABASE_URL or
postgres://postgres@127.0.0.1:5432), migrates it, loads the inquiries with COPY (once; later runs
reuse them unless --fresh), ANALYZEs, then times many requests per page with Django's test client
in this process: the server-side time of the whole request (middleware, view, queries, template),
without the network. Prints p50, p95 and max in milliseconds, and the queries per request.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTRIES = [
    "US", "DE", "GB", "FR", "IT", "ES", "NL", "PL", "AE", "SA", "IN", "PK", "BD",
    "NG", "KE", "ZA", "EG", "BR", "MX", "CO", "CL", "PE", "AR", "CA", "AU", "NZ",
    "JP", "KR", "VN", "TH", "MY", "ID", "PH", "TR", "RU", "UA", "IL", "IR", "KZ",
]  # fmt: skip
PRODUCTS = [
    "LED panel light 600x600",
    "LED high bay 150W",
    "LED high bay 200W UFO",
    "Solar street light 100W",
    "Solar panel 450W mono",
    "Solar inverter 5kW",
    "LED strip 5050 RGB",
    "Flood light 200W IP66",
    "Downlight 12W dimmable",
    "Track light 30W",
    "LED bulb E27 9W",
    "Linear light 1200mm",
    "Emergency light",
    "Garden light solar",
    "Tube light T8 18W",
    "Wall pack 60W",
    "Grow light 600W",
    "Stadium light 1000W",
    "Neon flex 12V",
    "Smart bulb WiFi",
]
STATES = ["new"] * 18 + ["replied"] * 52 + ["won"] * 6 + ["lost"] * 14 + ["invalid"] * 8 + ["disputed"] * 2
SOURCES = ["inquiry"] * 16 + ["tm"] * 3 + ["rfq"]
COLUMNS = (
    "account_id, external_id, received_at, source, buyer_name, buyer_company, buyer_email, country, product, "
    "quantity, subject, message, owner_id, first_allocated_at, first_reply_at, reply_due_at, overdue_at, quality, "
    "state, lost_reason, created_at, updated_at, buyer_phone"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--db", default="ih_bench_list")
    parser.add_argument("--fresh", action="store_true", help="drop and reload the bench database")
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's row query")
    return parser.parse_args()


def server_url(db: str) -> tuple[str, str]:
    base = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunparse(base._replace(path="/postgres")), urlunparse(base._replace(path=f"/{db}"))


def ensure_database(admin_url: str, db: str, fresh: bool) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{db}"')
    conn.close()


def load(rows: int) -> None:
    """Accounts, people and `rows` inquiries spread over two years, written with COPY."""
    from django.db import connection

    from accounts.models import Account, AccountKind, User

    rng = random.Random(20240501)
    mains = [Account.objects.create(code=f"cnbench{m}", name=f"Bench {m}", kind=AccountKind.MAIN) for m in range(3)]
    subs = [
        Account.objects.create(code=f"cnbench{m}-{s:02d}", kind=AccountKind.SUB, parent=main)
        for m, main in enumerate(mains)
        for s in range(4)
    ]
    accounts = [a.pk for a in mains + subs]
    # The bench logs in with force_login: nobody needs a password.
    User.objects.create_user("bench-ops", password=None, role="ops_manager", display_name="运营主管")
    sales = [
        User.objects.create_user(f"bench-sales-{n}", password=None, role="sales", display_name=f"业务{n}")
        for n in range(12)
    ]
    sales_ids = [s.pk for s in sales]
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()

    def fmt(value):
        return value.isoformat() if value else ""

    def rows_csv(first: int, count: int) -> io.StringIO:
        out = io.StringIO()
        for n in range(first, first + count):
            # More inquiries recently, as a store grows.
            received = start + timedelta(seconds=span * (rng.random() ** 0.6))
            source = rng.choice(SOURCES)
            product = rng.choice(PRODUCTS)
            recent = (now - received).days < 14
            unassigned = source != "rfq" and rng.random() < (0.35 if recent else 0.01)
            state = "new" if unassigned else rng.choice(STATES)
            owner = first_alloc = first_reply = due = overdue = ""
            if not unassigned:
                owner = rng.choice(sales_ids)
                allocated = received + timedelta(minutes=rng.randint(5, 600))
                first_alloc = allocated
                due = allocated + timedelta(hours=24)
                if state != "new":
                    first_reply = allocated + timedelta(minutes=rng.randint(10, 3000))
                elif due < now:
                    overdue = due + timedelta(minutes=10)
            # In csv, an unquoted empty field is NULL; a quoted one ("") is an empty string.
            quality = {"invalid": "invalid", "disputed": "invalid"}.get(state, "valid" if rng.random() < 0.3 else "")
            out.write(
                f"{rng.choice(accounts)},B{n:08d},{received.isoformat()},{source},Buyer {n % 50000},"
                f"Company {n % 20000} LLC,buyer{n % 300000}@example.com,{rng.choice(COUNTRIES)},{product},"
                f'{rng.choice([100, 500, 1000, 5000])} pcs,"Inquiry about {product}",Please quote.,'
                f'{owner},{fmt(first_alloc)},{fmt(first_reply)},{fmt(due)},{fmt(overdue)},"{quality}",{state},"",'
                f'{now.isoformat()},{now.isoformat()},""\n'
            )
        out.seek(0)
        return out

    chunk = 100_000
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        for first in range(0, rows, chunk):
            raw.copy_expert(
                f"COPY inquiries_inquiry ({COLUMNS}) FROM STDIN WITH (FORMAT csv, NULL '')",
                rows_csv(first, min(chunk, rows - first)),
            )
            print(f"  loaded {min(first + chunk, rows):,} rows ({time.perf_counter() - started:.0f} s)", flush=True)


def plan_followups(cursor) -> None:
    """The salesperson's plans, as follow-ups leave them: a third of the replied inquiries have a
    next follow-up within a month either side of today (a few today), and a last follow-up time."""
    started = time.perf_counter()
    cursor.execute(
        """
        UPDATE inquiries_inquiry
           SET next_action_on = (now() AT TIME ZONE 'Asia/Shanghai')::date + (mod(id * 7919, 61) - 30)::int,
               last_followup_at = first_reply_at + interval '2 hours'
         WHERE state = 'replied' AND owner_id IS NOT NULL AND mod(id, 3) = 0
        """
    )
    print(f"  planned {cursor.rowcount:,} follow-ups ({time.perf_counter() - started:.0f} s)", flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    args = parse_args()
    admin_url, db_url = server_url(args.db)
    ensure_database(admin_url, args.db, args.fresh)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Account, User
    from inquiries.models import Inquiry

    call_command("migrate", verbosity=0)
    have = Inquiry.objects.count()
    if have == 0:
        print(f"Loading {args.rows:,} inquiries into {args.db} …", flush=True)
        load(args.rows)
        have = Inquiry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM inquiries_inquiry WHERE next_action_on IS NOT NULL LIMIT 1")
        if cursor.fetchone() is None:
            plan_followups(cursor)
        # What autovacuum does to a live table: statistics, and the visibility map that lets
        # counts be answered from an index alone.
        cursor.execute("VACUUM ANALYZE inquiries_inquiry")
    print(f"{args.db}: {have:,} inquiries, PostgreSQL {connection.pg_version // 10000}", flush=True)

    ops = User.objects.get(username="bench-ops")
    sales = User.objects.get(username="bench-sales-3")
    account = Account.objects.get(code="cnbench1")
    scenarios = [
        ("list: default (newest first)", ops, "/inquiries/"),
        ("list: default, page 20", ops, "/inquiries/?page=20"),
        ("list: account + state, sorted by country", ops,
         f"/inquiries/?account={account.pk}&state=replied&sort=country"),
        ("list: country + source, oldest first", ops, "/inquiries/?country=DE&source=tm&sort=received_at"),
        ("list: salesperson + date range, by state", ops,
         f"/inquiries/?owner={sales.pk}&received_after=2025-01-01&received_before=2025-06-30&sort=state"),
        ("list: unassigned (any state)", ops, "/inquiries/?owner=none"),
        ("list: overdue", ops, "/inquiries/?overdue=true"),
        ("list: product text 'high bay', newest", ops, "/inquiries/?product=high+bay"),
        ("list: sorted by salesperson", ops, "/inquiries/?sort=owner"),
        ("queue: default (oldest first)", ops, "/inquiries/queue/"),
        ("queue: one account + country", ops, f"/inquiries/queue/?account={account.pk}&country=US"),
        ("salesperson's own list", sales, "/inquiries/"),
        ("salesperson: my inquiries (to reply)", sales, "/inquiries/mine/"),
        ("salesperson: my inquiries, today", sales, "/inquiries/mine/?tab=today"),
        ("salesperson: my inquiries, overdue", sales, "/inquiries/mine/?tab=overdue"),
        ("salesperson: my inquiries, all, page 40", sales, "/inquiries/mine/?tab=all&page=40"),
    ]  # fmt: skip

    if args.explain:
        from django.http import QueryDict

        from inquiries.filters import InquiryFilter, QueueFilter
        from inquiries.selectors import inquiries_for_user, inquiry_list_rows, unassigned_queue
        from inquiries.tables import InquiryTable, QueueTable

    from inquiries.selectors import workspace_counts

    print(f"\n{'page':48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    own = Inquiry.objects.filter(owner=sales).count()
    timings = []
    for n in range(args.requests + 5):
        t0 = time.perf_counter()
        workspace_counts(sales)
        if n >= 5:
            timings.append((time.perf_counter() - t0) * 1000)
    label = f"salesperson's header counts ({own:,} own)"
    print(f"{label:48} {statistics.median(timings):8.1f} {percentile(timings, 95):8.1f} {max(timings):8.1f} {1:8d}")
    client = Client(HTTP_HOST="127.0.0.1")
    for label, user, url in scenarios:
        client.force_login(user)
        for _ in range(5):  # warm caches and connections
            assert client.get(url).status_code == 200, url
        timings = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{label:48} {statistics.median(timings):8.1f} {percentile(timings, 95):8.1f} "
            f"{max(timings):8.1f} {len(queries):8d}",
            flush=True,
        )
        if args.explain:
            data = QueryDict(url.split("?", 1)[1] if "?" in url else "")
            if url.startswith("/inquiries/queue/"):
                filterset, table_class = QueueFilter(data or None, queryset=unassigned_queue(user)), QueueTable
            else:
                filterset = InquiryFilter(data or None, queryset=inquiries_for_user(user), user=user)
                table_class = InquiryTable
            table = table_class(inquiry_list_rows(filterset.qs), order_by=data.get("sort") or None)
            print(table.data.data[:51].explain(analyze=True))


if __name__ == "__main__":
    main()
