"""Pages that belong to no single part of the business: the home page and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from inquiries.selectors import home_counts

from .tasks import HEARTBEAT_KEY


@login_required
def home(request):
    """Each role's starting page: the numbers that need attention and where to go next.

    A salesperson starts on "My inquiries", which is exactly that for them.
    """
    if request.user.is_sales:
        return redirect("inquiries:mine")
    return render(request, "home.html", {"counts": home_counts(request.user)})


@never_cache
def healthz(request):
    """For monitoring: database, Redis (when configured) and the last worker heartbeat."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer here
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception:  # noqa: BLE001
        beat = None
    checks["worker_heartbeat"] = beat or "none"
    healthy = all(v == "ok" for k, v in checks.items() if k != "worker_heartbeat")
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks, "time": timezone.now().isoformat()},
        status=200 if healthy else 503,
    )
