from django.conf import settings

from .navigation import nav_for


def navigation(request):
    """The header's links, counts and unread notifications, computed once per request.

    django-tables2's {% render_table %} renders its template with the request again, which runs
    every context processor a second time; the result is kept on the request so that costs nothing.
    """
    cached = getattr(request, "_inquiryhub_navigation", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        context = {"nav_items": [], "company_time_zone": settings.TIME_ZONE}
    else:
        context = {
            "nav_items": nav_for(user, request.path),
            "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
            "company_time_zone": settings.TIME_ZONE,
        }
    request._inquiryhub_navigation = context
    return context
