from django.conf import settings

from .navigation import nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "company_time_zone": settings.TIME_ZONE}
    # django-tables2 renders each table with the request's context processors again: count once a request.
    if not hasattr(request, "_navigation_context"):
        request._navigation_context = {
            "nav_items": nav_for(user, request.path),
            "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
            "company_time_zone": settings.TIME_ZONE,
        }
    return request._navigation_context
