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

from inquiries.selectors import home_counts, import_jobs_worker_lost
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
