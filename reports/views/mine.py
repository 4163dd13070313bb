"""My month (我的月度): a salesperson's own funnel and how the monthly report credits or blames them."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from accounts.permissions import sales_required

from .. import charts
from ..alibaba import alibaba_comparisons
from ..links import inquiry_list_url
from ..periods import ReportParamError, add_months, month_label
from ..presentation import salesperson_month
from ..selectors import report_payload
from ..services import monthly_report_read
from .monthly import _month_or_404, last_month


@require_GET
@sales_required
def my_month(request, month: str | None = None):
    """/reports/me/ (last month) and /reports/me/YYYY-MM/: the salesperson's row of the company report."""
    month_date = _month_or_404(month)
    try:
        report = monthly_report_read(month=month_date)
    except ReportParamError:  # the current month before its first instant: nothing to show
        report = None
    mine = None
    if report is not None:
        payload = report_payload(report, language=get_language())
        mine = salesperson_month(payload, username=request.user.username)
        if mine is not None:
            mine["chart"] = charts.orders_waterfall(
                mine["row"], baseline_label=payload["baseline"], month_label=payload["month"]
            )
            mine["links"] = {
                "inquiries": inquiry_list_url(month=month_date, owner_id=request.user.pk),
                "won": inquiry_list_url(month=month_date, owner_id=request.user.pk, state="won"),
                "rfq": inquiry_list_url(month=month_date, owner_id=request.user.pk, source="rfq"),
            }
    return render(
        request,
        "reports/my_month.html",
        {
            "month": month_date,
            "report": report,
            "mine": mine,
            "alibaba": next(iter(alibaba_comparisons(month=month_date, person_ids={request.user.pk})), None),
            "previous_month": month_label(add_months(month_date, -1)),
            "next_month": month_label(add_months(month_date, 1)) if month_date < last_month() else None,
        },
    )
