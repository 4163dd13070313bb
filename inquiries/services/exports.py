"""Exports of the inquiry list, inline or as a background job."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Notification, User

from .. import alerts, tasks
from ..exports import write_export
from ..filters import filtered_inquiries, inquiry_filter_for
from ..models import (
    InquiryExport,
)


@transaction.atomic
def inquiry_export_request(*, user: User, query: str, format: str, background: bool = True) -> InquiryExport:
    """Record an export of the list under `query` (the page's query string) for `user`; with
    `background`, a job writes it after the commit (else the caller runs inquiry_export_run)."""
    if format not in InquiryExport.Format.values:
        raise ValidationError({"format": _("Choose Excel or CSV.")})
    export = InquiryExport.objects.create(
        requested_by=user, format=format, query=query[:2000], language=translation.get_language() or "zh-hans"
    )
    audit_record(
        actor=user,
        action="inquiry.export",
        target=export,
        summary=_("Export of the inquiry list requested"),
        changes={"format": format, "query": query[:500]},
    )
    if background:
        transaction.on_commit(lambda: tasks.export_inquiries.delay(export.pk))
    return export


def inquiry_export_run(*, export_id: int, notify: bool = True) -> InquiryExport:
    """Write the file of a queued export; running it again after it finished does nothing."""
    with transaction.atomic():
        export = InquiryExport.objects.select_for_update().select_related("requested_by").get(pk=export_id)
        if export.status == InquiryExport.Status.DONE:
            return export
        export.status = InquiryExport.Status.RUNNING
        export.save(update_fields=["status"])
    try:
        with translation.override(export.language):
            qs = filtered_inquiries(inquiry_filter_for(export.requested_by, export.query))
            export.file_name, export.row_count = write_export(qs, fmt=export.format, export_id=export.pk)
        export.status = InquiryExport.Status.DONE
        export.error = ""
    except Exception as exc:
        export.status = InquiryExport.Status.FAILED
        export.error = exc.__class__.__name__
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        raise
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at", "file_name", "row_count"])
    if notify:
        with transaction.atomic():
            Notification.objects.create(
                recipient=export.requested_by,
                kind=Notification.Kind.REPORT,
                message=_("Your export of %(n)s inquiries is ready.") % {"n": export.row_count},
                link=reverse("inquiries:exports"),
            )
            alerts.export_finished_alert(export=export)
    return export
