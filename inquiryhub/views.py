"""Pages that belong to no single part of the business: the home page and the health check."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from inquiries.selectors import home_counts
from reports.selectors import boss_home

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


@never_cache
def healthz(request):
    """For monitoring: database, Redis (when configured) and a recent worker heartbeat; 503 if any fails."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis()
    checks["worker"], last_beat = _check_worker()
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
