"""Pages that belong to no single part of the business: the home page, the health check, and the
team and account pages, which show the team's people and accounts (accounts) with their inquiry
counts (inquiries): accounts imports no app above it, so the two are put together here."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.models import Role
from accounts.permissions import ops_manager_required
from accounts.selectors import accounts_overview, team_members, team_overview
from inquiries.models import Inquiry, InquiryState, RfqQuote
from inquiries.selectors import home_counts, import_jobs_worker_lost
from reports.selectors import boss_home

from .dates import company_month_start
from .tasks import HEARTBEAT_KEY


@login_required
def home(request):
    """Each role's starting page: the numbers that need attention and where to go next.

    A salesperson starts on "My inquiries", which is exactly that for them.
    """
    if request.user.is_sales:
        return redirect("inquiries:mine")
    if request.user.is_boss:
        return render(request, "home.html", {"boss": boss_home()})
    return render(request, "home.html", {"counts": home_counts(request.user)})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer here
        return f"error: {exc.__class__.__name__}"


def _check_redis() -> str:
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"


def _check_worker() -> tuple[str, str | None]:
    try:
        stamp = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}", None
    if not stamp:
        return "no heartbeat", None
    age = timezone.now() - dt.datetime.fromisoformat(stamp)
    if age > dt.timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS):
        return "stale", stamp
    return "ok", stamp


def _check_imports() -> str:
    """A running import whose worker stopped writing its heartbeat: its worker is gone."""
    try:
        lost = list(import_jobs_worker_lost().values_list("pk", flat=True)[:10])
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return f"worker lost: import {', '.join(map(str, lost))}" if lost else "ok"


@never_cache
def healthz(request):
    """For monitoring: database, Redis (when configured), a recent worker heartbeat and no running import
    whose worker is gone; 503 if any fails."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis()
    checks["worker"], last_beat = _check_worker()
    checks["imports"] = _check_imports()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": checks,
            "worker_heartbeat": last_beat,
            "time": timezone.now().isoformat(),
        },
        status=200 if healthy else 503,
    )


# ---------------------------------------------------------------------------------------------
# The team and its accounts (URLs in the accounts namespace: inquiryhub/urls.py)


def _counted(qs, key: str) -> dict[int, int]:
    """{key: number of rows} in one grouped query."""
    return dict(qs.values_list(key).annotate(n=Count("id")).order_by())


@ops_manager_required
def team(request):
    """Everyone on the team: salespeople with their away switch, RFQ quota and open inquiries."""
    people = team_members()
    sales_ids = [p.pk for p in people if p.role == Role.SALES]
    open_inquiries = _counted(
        Inquiry.objects.filter(owner_id__in=sales_ids, state__in=(InquiryState.NEW, InquiryState.REPLIED)), "owner_id"
    )
    rfq_used = _counted(
        RfqQuote.objects.filter(salesperson_id__in=sales_ids, quoted_at__gte=company_month_start()), "salesperson_id"
    )
    people = team_overview(people, open_inquiries=open_inquiries, rfq_used=rfq_used)
    return render(request, "accounts/team.html", {"people": people, "tab": "team"})


@ops_manager_required
def account_list(request):
    """Main accounts with their sub-accounts, who holds each now, and this month's inquiries."""
    month = _counted(Inquiry.objects.filter(received_at__gte=company_month_start()), "account_id")
    return render(request, "accounts/account_list.html", {"groups": accounts_overview(month), "tab": "accounts"})
