"""The monthly meeting report (月会报告) for boss and operations: the page, its PDF and workbook,
and operations' "recompute". Every view reads the stored report; see monthly_report_read."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import operations_required, reader_required

from .. import exports
from ..alibaba import alibaba_comparisons
from ..forms import ReportChoicesForm
from ..periods import ReportParamError, add_months, month_label, month_of, parse_month
from ..presentation import report_view
from ..selectors import report_page_accounts, report_user_ids
from ..services import monthly_report_read, monthly_report_recompute
from ..tables import AccountReportTable, SalespersonReportTable


def last_month() -> dt.date:
    """The month before this one, in the company's time zone: the report the meeting discusses."""
    return add_months(month_of(timezone.now()), -1)


def _month_or_404(month: str | None) -> dt.date:
    if month is None:
        return last_month()
    try:
        value = parse_month(month)
    except ReportParamError:
        raise Http404 from None
    if value > month_of(timezone.now()):
        raise Http404
    return value


def _choices(month: dt.date, data) -> ReportChoicesForm:
    return ReportChoicesForm(data, month=month, accounts=report_page_accounts())


def _read(request, month: str | None, *, with_charts: bool = True, with_rows: bool = True):
    """(month, form, view) for the request; view is None when the choices are wrong (form has the errors)."""
    month_date = _month_or_404(month)
    form = _choices(month_date, request.GET)
    if not form.is_valid():
        return month_date, form, None
    params = form.cleaned_data
    try:
        report = monthly_report_read(month=month_date, baseline=params["baseline_month"], scope=params["scope"])
    except ReportParamError as exc:
        form.add_error(None, str(exc))
        return month_date, form, None
    return month_date, form, _view(form, report, with_charts=with_charts, with_rows=with_rows)


def _view(form: ReportChoicesForm, report, *, with_charts: bool = True, with_rows: bool = True):
    return report_view(
        report,
        account_ids={account.code: account.pk for account in form.accounts},
        user_ids=report_user_ids(report.payload) if with_rows else {},
        language=get_language(),
        with_charts=with_charts,
        with_rows=with_rows,
    )


# The report's body (charts and tables: most of a page's time) is rendered once per report as
# counted (its computed_at) and language, then served from the cache.
BODY_CACHE_SECONDS = 3600


def _body(request, form: ReportChoicesForm, view) -> str:
    payload = view.payload
    key = "report-body:{}:{}:{}:{}:{}:{}".format(
        payload["scope"], payload["month"], payload["baseline"], payload["window_days"],
        payload["computed_at"], get_language(),
    )  # fmt: skip
    body = cache.get(key)
    if body is None:
        full = _view(form, view.report)
        body = render_to_string("reports/_report_body.html", {"view": full, **_tables(full)}, request=request)
        cache.set(key, body, BODY_CACHE_SECONDS)
    return mark_safe(body)  # noqa: S308 - rendered by our own template, escaped there


def _query(form: ReportChoicesForm) -> str:
    params = form.query() if form.is_valid() else {}
    return f"?{urlencode(params)}" if params else ""


@require_GET
@reader_required
def report_month(request, month: str | None = None):
    """/reports/ (last month) and /reports/YYYY-MM/: verdict, charts, funnel, trends, tables."""
    month_date, form, view = _read(request, month, with_rows=False)
    query = _query(form)
    this_month = month_of(timezone.now())
    context = {
        "form": form,
        "month": month_date,
        "view": view,
        "previous_month": month_label(add_months(month_date, -1)),
        "next_month": month_label(add_months(month_date, 1)) if month_date < this_month else None,
        "in_progress": month_date == this_month,
        "this_month": month_label(this_month),
        "query": query,
        "pdf_unavailable": exports.pdf_unavailable_reason(),
        "can_recompute": request.user.is_operations,
    }
    if view is not None:
        context["body"] = _body(request, form, view)
        context["alibaba_comparisons"] = alibaba_comparisons(month=month_date)  # issue 16
    return render(request, "reports/report_month.html", context, status=200 if view else 400)


@require_GET
@reader_required
def report_this_month(request):
    """/reports/this-month/: the month in progress so far, compared with last month at the same age."""
    return report_month(request, month_label(month_of(timezone.now())))


@require_GET
@reader_required
def report_pdf(request, month: str):
    """The month's report on A4; a clear page instead of an error when the PDF engine is missing."""
    reason = exports.pdf_unavailable_reason()
    if reason is not None:
        return render(request, "reports/pdf_unavailable.html", {"reason": reason, "month": month}, status=503)
    _month, form, view = _read(request, month)
    if view is None:
        raise Http404
    try:
        pdf = exports.report_pdf(view, request=request, context=_tables(view))
    except exports.PdfUnavailable as exc:
        return render(request, "reports/pdf_unavailable.html", {"reason": str(exc), "month": month}, status=503)
    return _download(pdf, "application/pdf", _filename(view, "pdf"))


@require_GET
@reader_required
def report_xlsx(request, month: str):
    """The month's report as a workbook: a summary with the verdict, then one sheet per table."""
    _month, form, view = _read(request, month, with_charts=False)
    if view is None:
        raise Http404
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(exports.report_xlsx(view), content_type, _filename(view, "xlsx"))


@require_POST
@operations_required
def report_recompute(request, month: str):
    """Operations count the report again (audited); the boss never writes, so he has no button."""
    month_date = _month_or_404(month)
    form = _choices(month_date, request.POST)
    target = reverse("reports:month", args=[month_label(month_date)])
    if not form.is_valid():
        messages.error(request, _("The report could not be recomputed: %(error)s") % {"error": _errors(form)})
        return redirect(target)
    params = form.cleaned_data
    try:
        monthly_report_recompute(
            month=month_date, baseline=params["baseline_month"], scope=params["scope"], by=request.user
        )
    except ReportParamError as exc:
        messages.error(request, _("The report could not be recomputed: %(error)s") % {"error": exc})
        return redirect(target)
    messages.success(request, _("The report for %(month)s was recomputed.") % {"month": month_label(month_date)})
    return redirect(target + _query(form))


def _tables(view) -> dict:
    return {
        "account_table": AccountReportTable(view.accounts),
        "salesperson_table": SalespersonReportTable(view.salespeople),
    }


def _errors(form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


def _filename(view, extension: str) -> str:
    scope = view.payload["scope"].replace(":", "-")
    compared = "" if view.baseline == add_months(view.month, -1) else f"-vs-{view.baseline_label}"
    return f"inquiryhub-report-{view.month_label}{compared}-{scope}.{extension}"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
