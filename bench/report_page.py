"""How fast the monthly meeting report answers with the demo data: the page, its exports and
"My month", served from the stored report, and the first view of a month nobody stored yet.

Run: DJANGO_DEBUG=1 DATABASE_URL=postgres://.../ih_x .venv/bin/python bench/report_page.py
     (or without DATABASE_URL: the SQLite file of settings). The database gets the demo company
     if it has no inquiries (`seed_demo --if-empty`); its statistics are refreshed (ANALYZE)
     first. Times are server time in-process (Django's test client: middleware, view, template),
     median and worst of 15 runs after a warm-up.
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RUNS = 15


def timed(client, url) -> tuple[list[float], int, int]:
    client.get(url)  # warm-up (and store the report if none is)
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    return times, len(queries), len(response.content)


def main():
    from accounts.models import User
    from reports.models import MonthlyReport
    from reports.views.monthly import last_month

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    month = f"{last_month():%Y-%m}"
    boss = User.objects.get(username="boss")
    seller = User.objects.filter(role="sales", is_active=True).order_by("username").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(boss)

    # The first view of a key nobody stored: count the month, its baseline and 12 months of trends.
    key = {"month": last_month(), "scope": "company"}
    MonthlyReport.objects.filter(**key, baseline__year=last_month().year - 1).delete()
    start = time.perf_counter()
    response = client.get(f"/reports/{month}/?compare=last_year")
    cold = (time.perf_counter() - start) * 1000
    assert response.status_code == 200

    print(f"database: {connection.vendor}; month {month}; {RUNS} runs after a warm-up; server time in ms")
    print(f"{'page':<42} {'median':>8} {'worst':>8} {'queries':>8} {'bytes':>9}")
    print(f"{'report, nothing stored (compare=last_year)':<42} {cold:8.1f} {'':>8} {'':>8} {len(response.content):9d}")
    rows = [
        ("report /reports/ (stored)", "/reports/"),
        ("report, one account (stored)", f"/reports/{month}/?account=gmlighting"),
        ("Excel", f"/reports/{month}/report.xlsx"),
        ("PDF", f"/reports/{month}/report.pdf"),
    ]
    for label, url in rows:
        times, queries, size = timed(client, url)
        print(f"{label:<42} {statistics.median(times):8.1f} {max(times):8.1f} {queries:8d} {size:9d}")
    client.force_login(seller)
    times, queries, size = timed(client, "/reports/me/")
    print(f"{'My month (' + seller.username + ')':<42} {statistics.median(times):8.1f} {max(times):8.1f} "
          f"{queries:8d} {size:9d}")  # fmt: skip


if __name__ == "__main__":
    main()
