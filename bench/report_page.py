"""How fast the monthly meeting report answers with the demo data: the page, its exports and
"My month", served from the stored report, and the first view of a month nobody stored yet.

Run: DJANGO_DEBUG=1 DATABASE_URL=postgres://.../ih_x .venv/bin/python bench/report_page.py
     (or without DATABASE_URL: the SQLite file of settings). The database gets the demo company
     if it has no inquiries (`seed_demo --if-empty`); its statistics are refreshed (ANALYZE)
     first. Times are server time in-process (Django's test client: middleware, view, template),
     median, p95 and worst of --runs runs after a warm-up.

At scale: `--database pages_report --inquiries 1000000` makes (once) a database of that name on
DATABASE_URL's server and loads it with report_bench's generator (50 salespeople, 20 accounts,
random order of arrival), then times the stored report of report_bench's month.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a database of its own on DATABASE_URL's server (PostgreSQL)")
    parser.add_argument("--inquiries", type=int, default=1_000_000, help="rows to load into --database")
    parser.add_argument("--runs", type=int, default=15)
    return parser.parse_args()


ARGS = parse_args()
if ARGS.database:
    import report_bench  # noqa: E402

    _url = report_bench.server_url()
    _must_load = report_bench.ensure_database(_url, ARGS.database, False)
    os.environ["DATABASE_URL"] = report_bench.with_database(_url, ARGS.database)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RUNS = ARGS.runs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def timed(client, url, before=None) -> tuple[list[float], int, int]:
    client.get(url)  # warm-up (and store the report if none is)
    times = []
    for _ in range(RUNS):
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    return times, len(queries), len(response.content)


def row(label: str, times: list[float], queries="", size="") -> None:
    print(f"{label:<44} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f} "
          f"{queries:>8} {size:>9}", flush=True)  # fmt: skip


def prepare():
    """(month, boss, an account code, a salesperson): the demo company, or report_bench's at scale."""
    from accounts.models import User
    from inquiries.models import Inquiry
    from reports.views.monthly import last_month

    call_command("migrate", verbosity=0)
    if ARGS.database:
        if _must_load or not Inquiry.objects.exists():
            print(f"Loading {ARGS.inquiries:,} inquiries into {ARGS.database} …", flush=True)
            report_bench.load(ARGS.inquiries)
        month, account = report_bench.REPORT_MONTH, "main1"
    else:
        call_command("seed_demo", "--if-empty", stdout=io.StringIO())
        month, account = last_month(), "gmlighting"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seller = User.objects.filter(role="sales", is_active=True).order_by("username").first()
    return month, User.objects.get(username="boss"), account, seller


def main():
    from inquiries.models import Inquiry
    from reports.models import MonthlyReport

    month_date, boss, account, seller = prepare()
    month = f"{month_date:%Y-%m}"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(boss)

    # The first view of a key nobody stored: count the month, its baseline and 12 months of trends.
    key = {"month": month_date, "scope": "company"}
    MonthlyReport.objects.filter(**key, baseline__year=month_date.year - 1).delete()
    start = time.perf_counter()
    response = client.get(f"/reports/{month}/?compare=last_year")
    cold = (time.perf_counter() - start) * 1000
    assert response.status_code == 200

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}, {Inquiry.objects.count():,} "
          f"inquiries); month {month}; {RUNS} runs after a warm-up; server time in ms")  # fmt: skip
    print(f"{'page':<44} {'median':>8} {'p95':>8} {'worst':>8} {'queries':>8} {'bytes':>9}")
    row("report, nothing stored (compare=last_year)", [cold], "", len(response.content))
    rows = [
        ("report (stored)", f"/reports/{month}/"),
        ("report, one account (stored)", f"/reports/{month}/?account={account}"),
        ("Excel", f"/reports/{month}/report.xlsx"),
    ]
    if not ARGS.database:
        rows.append(("PDF", f"/reports/{month}/report.pdf"))
    for label, url in rows:
        times, queries, size = timed(client, url)
        row(label, times, queries, size)
    # The body (charts and tables) is rendered once per stored report and language, then cached:
    # the first reader after each recount pays this.
    if os.environ.get("REDIS_URL"):
        import redis

        server = redis.Redis.from_url(os.environ["REDIS_URL"])

        def forget_bodies():
            for key in server.scan_iter("*report-body:*"):
                server.delete(key)

        times, queries, size = timed(client, f"/reports/{month}/", before=forget_bodies)
        row("report (stored), body rendered (not cached)", times, queries, size)
    client.force_login(seller)
    times, queries, size = timed(client, "/reports/me/")
    row(f"My month ({seller.username})", times, queries, size)


if __name__ == "__main__":
    main()
