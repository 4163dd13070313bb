from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django_tables2 import LazyPaginator, RequestConfig

from ..buyers import buyer_holder
from ..filters import InquiryFilter, filtered_inquiries
from ..forms import REASON_SUGGESTIONS, AllocateForm, DisputeDecisionForm, ReassignForm
from ..models import InquiryState
from ..selectors import (
    capped_count,
    get_inquiry_for_user,
    inquiries_for_user,
    inquiry_list_rows,
    inquiry_timeline,
    latest_sales_flag,
)
from ..services import MATCHING_ALLOCATION_LIMIT
from ..tables import InquiryTable
from .workspace import owner_actions

PER_PAGE = 50
# The list says "more than 1,000" rather than count a million rows on every page: counting to
# 1,001 costs a few milliseconds whatever the filter; to 10,001, up to 150 ms (bench/list_bench.py).
COUNT_CAP = 1_000


def list_page_context(request, *, filterset, table_class, view: str) -> dict:
    """What the list and the queue pages share: filter, table, capped count, allocation form."""
    qs = filtered_inquiries(filterset)
    selectable = request.user.is_operations
    table = table_class(inquiry_list_rows(qs), selectable=selectable)
    # LazyPaginator fetches one row more than a page to know whether there is a next one: no COUNT(*).
    RequestConfig(request, paginate={"paginator_class": LazyPaginator, "per_page": PER_PAGE}).configure(table)
    count = capped_count(qs, COUNT_CAP + 1)
    query = request.GET.copy()
    for key in ("page", "sort"):
        query.pop(key, None)
    context = {
        "filter": filterset,
        "table": table,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "query": query.urlencode(),
        "view": view,
        "selectable": selectable,
        "matching_limit": MATCHING_ALLOCATION_LIMIT,
    }
    if selectable:
        context["allocate_form"] = AllocateForm(
            initial={
                "note": request.session.get("last_allocation_reason", ""),
                "query": context["query"],
                "seen_at": timezone.now().isoformat(),
                "seen_count": min(count, COUNT_CAP),
                "view": view,
            }
        )
        context["reason_suggestions"] = REASON_SUGGESTIONS
    return context


@login_required
def inquiry_list(request):
    """Every inquiry the user may see (a salesperson: their own), filtered, sorted, newest first."""
    filterset = InquiryFilter(request.GET or None, queryset=inquiries_for_user(request.user), user=request.user)
    context = list_page_context(request, filterset=filterset, table_class=InquiryTable, view="list")
    return render(request, "inquiries/inquiry_list.html", context)


@login_required
def inquiry_detail(request, pk: int):
    """An inquiry with its whole story in time order, and the owner's actions on it."""
    inquiry = get_inquiry_for_user(request.user, pk)
    timeline = inquiry_timeline(inquiry)
    context = {
        "inquiry": inquiry,
        "timeline": timeline,
        "owner_actions": owner_actions(request.user, inquiry, timeline),
        "ops_actions": ops_actions(inquiry) if request.user.is_operations else None,
    }
    return render(request, "inquiries/inquiry_detail.html", context)


def ops_actions(inquiry) -> dict:
    """The forms of the operations panel on an inquiry's page (one or two queries)."""
    disputed = inquiry.state == InquiryState.DISPUTED
    return {
        "reassign": ReassignForm(initial={"expected_owner": inquiry.owner_id}),
        "buyer_holder": buyer_holder(inquiry.buyer_id, exclude_inquiry_ids=[inquiry.pk]),
        "reasons": REASON_SUGGESTIONS,
        "flag": latest_sales_flag(inquiry) if disputed else None,
        "decide": DisputeDecisionForm(prefix="d") if disputed else None,
    }
