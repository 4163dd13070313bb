"""My month (我的月度): a salesperson's own funnel and how the monthly report credits or blames them."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from accounts.permissions import sales_required

from .. import charts
from ..alibaba import alibaba_comparisons
from ..periods import ReportParamError, add_months, month_label, parse_month
from ..presentation import Cohort, salesperson_month
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
            me = request.user.pk
            current = Cohort(month_date, payload["as_of"], payload["window_days"])
            baseline = Cohort(parse_month(payload["baseline"]), payload["baseline_as_of"], payload["window_days"])
            for row in mine["funnel"]:
                if row["stage"] != "revenue_usd":  # a sum, not a count
                    row["current_url"] = current.url(stage=row["stage"], owner_id=me)
                    row["baseline_url"] = baseline.url(stage=row["stage"], owner_id=me)
            mine["links"] = {
                "rfq": current.url(rfq=True, owner_id=me),
                "rfq_won": current.url(rfq=True, stage="won", owner_id=me),
                "quotes": current.url(kind="quotes", owner_id=me),
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
