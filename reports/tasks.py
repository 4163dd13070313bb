"""Report jobs: thin callers of reports.services. Names start with `reports.` → the `reports` queue."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.notify import monthly_report_ready

from .models import MonthlyReport
from .periods import ReportParamError, parse_month
from .services import (
    month_param,
    monthly_report_email,
    monthly_report_get,
    monthly_report_trends_attach,
    reports_due_for_recompute,
)

logger = logging.getLogger(__name__)


# A dropped database connection (a restarted or failed-over server) is worth another try; the
# jobs are idempotent, so a retry after a half-done attempt stores the same one row.
DATABASE_GLITCHES = (OperationalError, InterfaceError)
RETRY = {"autoretry_for": DATABASE_GLITCHES, "retry_backoff": 2, "retry_backoff_max": 120, "max_retries": 6}


@shared_task(name="reports.compute_month", **RETRY)
def compute_month(
    month: str, scope: str = "company", baseline: str | None = None, window_days: int | None = None
) -> int | None:
    """Compute and store one report as of now (a stored final one is left as it is); its id."""
    try:
        report = monthly_report_get(
            month=parse_month(month), baseline=month_param(baseline), scope=scope, window_days=window_days, store=True
        )
    except ReportParamError as exc:
        # A stored report whose account or salesperson has gone: nothing to retry.
        logger.warning("report %s %s not computed: %s", month, scope, exc)
        return None
    if "trends" not in report.payload:
        # The report page reads the trend lines from the stored row: count them now, not on a view.
        monthly_report_trends_attach(report=report)
    return report.pk


@shared_task(name="reports.recompute_provisional")
def recompute_provisional() -> list[dict]:
    """Nightly: one compute job per provisional report (and per month that just turned final)."""
    keys = reports_due_for_recompute()
    for key in keys:
        compute_month.delay_on_commit(**key)
    return keys


@shared_task(name="reports.email_monthly_report")
def email_monthly_report(month: str | None = None) -> int:
    """On the 1st: last month's company report to the bosses, once; how many emails went out."""
    sent = monthly_report_email(month=month_param(month))
    # The bosses' chat robot too, with the verdict sentence (one message per month and boss).
    monthly_report_ready(
        payload=MonthlyReport.objects.filter(scope="company", emailed_at__isnull=False).latest("emailed_at").payload
    )
    return sent
