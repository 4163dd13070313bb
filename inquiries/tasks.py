"""Background jobs of the inquiries app: thin callers of the services."""

import logging

from celery import shared_task

from .models import ImportJob
from .services import workbook_import

logger = logging.getLogger(__name__)


@shared_task(name="inquiries.import_workbook", acks_late=True, ignore_result=True)
def import_workbook(job_id: int) -> str:
    """Run an uploaded import. Safe to run twice: a finished job is not redone, an interrupted one resumes."""
    try:
        return workbook_import(job_id=job_id).job.status
    except ImportJob.DoesNotExist:
        logger.warning("import job %s no longer exists", job_id)
        return "missing"
