"""Exports and imports of inquiry files a user may see."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User

from ..models import (
    ImportJob,
    ImportRejectedRow,
    InquiryExport,
)


def inquiry_exports_for_user(user: User):
    """The user's own exports, newest first."""
    return InquiryExport.objects.filter(requested_by=user).order_by("-created_at", "-id")


def import_jobs_for_user(user: User) -> QuerySet[ImportJob]:
    """Imports `user` may see: all of the company's for operations, none for anyone else."""
    qs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.is_active or not user.is_operations:
        return qs.none()
    return qs


def get_import_job_for_user(user: User, pk: int) -> ImportJob:
    """The import `pk` if `user` may see it; 404 otherwise."""
    try:
        return import_jobs_for_user(user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def import_jobs_worker_lost() -> QuerySet[ImportJob]:
    """Running imports whose worker has given no sign of life for IMPORT_HEARTBEAT_STALE_SECONDS."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.IMPORT_HEARTBEAT_STALE_SECONDS)
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def import_rejected_rows(job: ImportJob) -> QuerySet[ImportRejectedRow]:
    """The rejected rows of an import in the order of the file."""
    return job.rejected_rows.order_by("id")
