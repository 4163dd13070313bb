from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django_tables2 import RequestConfig

from ..selectors import get_inquiry_for_user, inquiries_for_user, inquiry_timeline
from ..tables import InquiryTable
from .workspace import owner_actions


@login_required
def inquiry_list(request):
    """Every inquiry the user may see, newest first."""
    qs = inquiries_for_user(request.user).select_related("account", "owner")
    table = InquiryTable(qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "inquiries/inquiry_list.html", {"table": table})


@login_required
def inquiry_detail(request, pk: int):
    """An inquiry with its whole story in time order, and the owner's actions on it."""
    inquiry = get_inquiry_for_user(request.user, pk)
    timeline = inquiry_timeline(inquiry)
    return render(
        request,
        "inquiries/inquiry_detail.html",
        {"inquiry": inquiry, "timeline": timeline, "owner_actions": owner_actions(request.user, inquiry, timeline)},
    )
