"""How fast a salesperson's pages answer when they own many inquiries: the header counts (on every
page they open), each tab of "My inquiries", and the inquiry page with a long timeline.

Run: DJANGO_DEBUG=1 .venv/bin/python bench/sales_workspace.py [inquiries of the salesperson]
     (a throwaway in-memory SQLite database), or with DATABASE_URL=postgres://... (a throwaway
     database named after it, "_bench" appended; dropped at the end).
"""

import datetime as dt
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

from django.conf import settings  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 15
OTHERS = 9  # other salespeople, each with half as many inquiries


def build(own: int):
    from accounts.models import Account, User
    from inquiries.models import Allocation, FollowUp, Inquiry, InquiryState

    now, today = timezone.now(), timezone.localdate()
    accounts = Account.objects.bulk_create([Account(code=f"bench-{n}") for n in range(4)])
    people = [User.objects.create_user(username=f"bench{n}", role="sales", rfq_quota=20) for n in range(OTHERS + 1)]
    me = people[0]
    inquiries = []
    for p, person in enumerate(people):
        count = own if p == 0 else own // 2
        for n in range(count):
            received = now - dt.timedelta(minutes=7 * n + p)
            new = n < count // 20  # the newest 5% wait for a reply
            inquiries.append(
                Inquiry(
                    account=accounts[n % 4], external_id=f"B{p}-{n}", received_at=received, owner=person,
                    first_allocated_at=received, reply_due_at=received + dt.timedelta(hours=24),
                    first_reply_at=None if new else received + dt.timedelta(hours=2),
                    state=InquiryState.NEW if new else (InquiryState.WON if n % 40 == 0 else InquiryState.REPLIED),
                    subject=f"Inquiry {n} about LED lights", buyer_name=f"Buyer {n}", country="US",
                )
            )  # fmt: skip
    plans = [today, today - dt.timedelta(days=2), today + dt.timedelta(days=5), None]
    for n, inquiry in enumerate(inquiries[:own]):
        # The latest plan: one in ten due today, one in ten late, the rest later or none.
        inquiry.last_followup_at = inquiry.received_at + dt.timedelta(hours=4)
        inquiry.next_action_on = plans[min(n % 10, 3)]
    Inquiry.objects.bulk_create(inquiries, batch_size=2000)
    mine = list(Inquiry.objects.filter(owner=me).order_by("-received_at").values_list("id", "received_at"))
    Allocation.objects.bulk_create(
        [Allocation(inquiry_id=pk, salesperson=me, assigned_at=at) for pk, at in mine], batch_size=2000
    )
    followups = []
    for n, (pk, at) in enumerate(mine):
        for k in range(3):
            followups.append(
                FollowUp(inquiry_id=pk, author=me, kind="email", happened_at=at + dt.timedelta(hours=2 + k),
                         next_action_on=plans[min(n % 10, 3)] if k == 2 else None)
            )  # fmt: skip
    FollowUp.objects.bulk_create(followups, batch_size=5000)
    long_one = mine[-1][0]
    FollowUp.objects.bulk_create(
        [FollowUp(inquiry_id=long_one, author=me, kind="note", happened_at=now - dt.timedelta(hours=h), note="x" * 80)
         for h in range(46)]
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return me, long_one, len(inquiries), len(followups)


def measure(label, fn):
    fn()
    times = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(RUNS):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
    print(f"| {label} | {statistics.median(times):.1f} | {max(times):.1f} | {len(queries) // RUNS} |")


def main():
    from inquiries.selectors import MySection, my_inquiries, workspace_counts

    own = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    db = connection.settings_dict
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench" if connection.vendor == "postgresql" else None
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        me, long_one, total, followups = build(own)
        print(f"database: {connection.vendor}; {own:,} inquiries of the salesperson ({total:,} in all), "
              f"{followups:,} of their follow-ups; built in {time.monotonic() - started:.0f} s")  # fmt: skip
        print("\n| what | median ms | worst ms | queries |\n|---|---|---|---|")
        measure("header counts (`workspace_counts`)", lambda: workspace_counts(me))
        for section in MySection:
            page = lambda s=section: list(Paginator(my_inquiries(me, s), 25).get_page(1).object_list)  # noqa: E731
            measure(f"tab “{section.value}”: count + first 25 rows", page)
        client = Client()
        client.force_login(me)
        for url in ("/inquiries/mine/", "/inquiries/mine/?tab=all&page=40", f"/inquiries/{long_one}/"):
            measure(f"GET `{url}` (whole page)", lambda u=url: client.get(u))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
