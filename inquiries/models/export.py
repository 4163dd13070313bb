"""Exports of the inquiry list."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InquiryExport(models.Model):
    """A file of the inquiry list under one filter, written by a background job when large."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("job status", "Waiting")
        RUNNING = "running", _("Writing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.CASCADE, related_name="inquiry_exports"
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    query = models.CharField(_("filter"), max_length=2000, blank=True, help_text=_("The list's query string."))
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("inquiry export")
        verbose_name_plural = _("inquiry exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_user_created_idx")]

    def __str__(self):
        return f"{self.get_format_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("inquiries:export_download", args=[self.pk])
