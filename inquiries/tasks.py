"""Background jobs of the inquiries app: thin callers of the services, safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import alerts, pool, services
from .models import ImportJob

logger = logging.getLogger(__name__)


@shared_task(name="inquiries.check_reply_deadlines", ignore_result=True)
def check_reply_deadlines() -> dict:
    """Every 15 minutes (beat): mark, notify and, where the rules say so, reallocate overdue inquiries."""
    outcome = services.inquiries_handle_overdue()
    warned = alerts.inquiries_warn_deadlines()
    return {"marked": outcome.marked, "reallocated": outcome.reallocated, "stale": outcome.stale, "warned": warned}


@shared_task(name="inquiries.morning_digest", ignore_result=True)
def morning_digest() -> int:
    """09:00 company time (beat): each salesperson's digest on their chat robot; once a day."""
    return alerts.morning_digest_send()


@shared_task(name="inquiries.recycle_to_pool", ignore_result=True)
def recycle_to_pool() -> dict:
    """Every hour (beat): warn owners, then return stale inquiries to the public pool."""
    outcome = pool.pool_recycle()
    return {"warned": outcome.warned, "recycled": outcome.recycled}


@shared_task(name="inquiries.purge_form_submissions", ignore_result=True)
def purge_form_submissions() -> int:
    """Every night (beat): forget one-time form tokens too old to be posted again."""
    return services.form_submissions_purge()


@shared_task(name="inquiries.export_inquiries", ignore_result=True)
def export_inquiries(export_id: int) -> None:
    """Write the file of one list export."""
    services.inquiry_export_run(export_id=export_id)


@shared_task(
    name="inquiries.import_workbook",
    acks_late=True,
    ignore_result=True,
    # A dropped database connection: try again, resuming after the last committed batch.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=6,
    # The job checks its own deadline between batches; this catches a file that takes too long to
    # open (prefork workers only), and the job is marked failed with the same message.
    soft_time_limit=settings.IMPORT_MAX_SECONDS + 60,
    time_limit=settings.IMPORT_MAX_SECONDS + 180,
)
def import_workbook(job_id: int) -> str:
    """Run an uploaded import. Safe to run twice: a finished job is not redone, an interrupted one resumes."""
    try:
        return services.workbook_import(job_id=job_id).job.status
    except ImportJob.DoesNotExist:
        logger.warning("import job %s no longer exists", job_id)
        return "missing"
