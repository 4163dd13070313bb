"""Imports of workbooks and csv files: the job, the rows it kept out, column mappings."""

import datetime as dt
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


def import_upload_to(instance, filename: str) -> str:
    """Uploaded files are kept under MEDIA_ROOT/imports/, named by us, never by the uploader."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".xlsx", ".xls", ".csv"):
        suffix = ""
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    """One import of a workbook or csv file: who, when, the kept file, progress and the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job status", "Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        # Stopped before any row: a sheet's columns must be mapped once by operations.
        MAPPING = "mapping", _("Columns to map")

    class Kind(models.TextChoices):
        XLSX = "xlsx", _("Excel workbook")
        CSV = "csv", _("CSV file")
        # Named .xls: BIFF8, or what some exports name so (xlsx, an html table, csv), told by content.
        XLS = "xls", _("Excel 97-2003 file (.xls)")

    class Origin(models.TextChoices):
        BROWSER = "browser", _("Browser")
        COMMAND = "command", _("Command line")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    origin = models.CharField(_("from"), max_length=10, choices=Origin.choices, default=Origin.BROWSER)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    sheet = models.CharField(_("sheet"), max_length=20, blank=True, help_text=_("The sheet a csv file holds."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written by the running job at its start and with each batch: a running job whose heartbeat
    # is older than IMPORT_HEARTBEAT_STALE_SECONDS has lost its worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # The reason a whole file was refused: an English message id and its values, shown translated.
    error = models.CharField(_("error"), max_length=500, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    mapping = models.ForeignKey(
        "ColumnMapping",
        verbose_name=_("column mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        help_text=_(
            "Named on the command line (import_workbook --mapping); "
            "the file's header row must be the one it was made for."
        ),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="import_job_status_idx")]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self):
        return reverse("inquiries:import_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.MAPPING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.done_rows * 100 // self.total_rows)

    @property
    def worker_lost(self) -> bool:
        """Running, but its worker has given no sign of life for IMPORT_HEARTBEAT_STALE_SECONDS."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at
        return last is not None and last < timezone.now() - dt.timedelta(
            seconds=settings.IMPORT_HEARTBEAT_STALE_SECONDS
        )

    @property
    def error_text(self) -> str:
        return gettext(self.error) % self.error_params if self.error else ""


class ImportRejectedRow(models.Model):
    """A problem that kept one row of an import out: sheet, row as the spreadsheet numbers it, column, why.

    A row with several problems has one record for each, so that all can be fixed at once.
    """

    job = models.ForeignKey(ImportJob, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejected_rows")
    sheet = models.CharField(_("sheet"), max_length=100)
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=300, blank=True)
    # An English message id and its values, translated when shown, so each reader gets their language.
    message = models.CharField(_("reason"), max_length=300)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["job", "id"]
        indexes = [models.Index(fields=["job", "id"], name="import_rejected_job_idx")]

    def __str__(self):
        return f"{self.sheet}:{self.row_number} {self.column}"

    @property
    def reason(self) -> str:
        return gettext(self.message) % self.params


class ColumnMapping(models.Model):
    """How to read a sheet whose headers the importer does not know: made once, applied by its headers.

    `columns` has one entry per header cell, in order: the column key of `sheet_kind`, or "" to ignore.
    """

    class Zone(models.TextChoices):
        COMPANY = "company", _("Company time zone")
        PACIFIC = "America/Los_Angeles", _("Alibaba back office, US Pacific")

    name = models.CharField(_("name"), max_length=100, unique=True)
    signature = models.CharField(_("header signature"), max_length=40, unique=True)
    sheet_kind = models.CharField(_("kind of sheet"), max_length=20)
    headers = models.JSONField(_("headers"), default=list)
    columns = models.JSONField(_("columns"), default=list)
    time_zone = models.CharField(_("time zone of the file"), max_length=40, choices=Zone.choices, default=Zone.COMPANY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(header as the file spells it, our column or "") for each column of the file."""
        return list(zip(self.headers, self.columns, strict=False))
