from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render


@login_required
def notification_list(request):
    """The user's own notifications, newest first."""
    page = Paginator(request.user.notifications.select_related("inquiry"), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})
