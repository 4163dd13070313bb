"""Load the demo company: `make run` calls it with --if-empty."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from inquiries.models import Inquiry
from inquiryhub.demo.services import demo_company_seed, demo_logins


class Command(BaseCommand):
    help = "Load the demo company (a year of an LED exporter's inquiries). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has inquiries."
        )
        parser.add_argument("--now", help="Plan the demo year up to this ISO-8601 instant instead of now.")

    def handle(self, *args, if_empty, now, **options):
        if now:
            try:
                now = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now {now!r} is not an ISO-8601 date and time.")
            if now.tzinfo is None:
                raise CommandError("--now needs a time zone offset, e.g. 2026-05-31T18:00:00+08:00.")
        if if_empty and Inquiry.objects.exists():
            self.stdout.write("The database already has inquiries: the demo company was not loaded.")
        else:
            result = demo_company_seed(now=now)
            if connection.vendor == "postgresql":
                # Fresh tables have no planner statistics until autovacuum visits them; meanwhile
                # the report's cohort query picks nested loops (20 s instead of 30 ms).
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            self.stdout.write(f"Demo company loaded in {result.seconds:.1f} s.")
            width = max(len(label) for label in result.totals)
            for label, total in result.totals.items():
                self.stdout.write(f"  {label:<{width}}  {total:>7}  (+{result.created[label]})")
        logins = demo_logins()
        if logins:
            self.stdout.write("")
            self.stdout.write("Demo logins (http://127.0.0.1:8000/accounts/login/):")
            for login in logins:
                self.stdout.write(f"  {login.username:<10}  {login.password}  {login.role} · {login.display_name}")
