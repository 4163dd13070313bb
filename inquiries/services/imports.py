"""Workbook imports: a job per uploaded file, read sheet by sheet in committed batches."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from functools import partial
from pathlib import PurePath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import audit_record
from accounts.models import Notification, User

from .. import alerts, tasks
from ..buyers import buyers_match_inquiries
from ..importing import bulk_sql, mappings
from ..importing import sheets as importers
from ..importing.parsers import SHEETS, sheet_kind, sheet_names_hint
from ..importing.readers import NeedsMapping, UnreadableFile, open_workbook
from ..models import (
    ColumnMapping,
    ImportJob,
    ImportRejectedRow,
)
from .allocation_rules import allocation_rules_apply

logger = logging.getLogger(__name__)


# Any fixed number: the key of the PostgreSQL advisory lock that serialises import batches.
IMPORT_LOCK_KEY = 0x1A1B_0003
# Rows written per transaction: large enough that per-batch queries vanish, small enough that the
# progress bar moves and an interrupted job loses at most one batch.
IMPORT_BATCH_ROWS = 2000
IMPORT_UNEXPECTED_ERROR = gettext_noop(
    "The import stopped because of an unexpected error. The rows done so far are kept; importing the "
    "file again is safe. If it happens again, ask your administrator to look at the server log."
)


@dataclass
class SheetSummary:
    kind: str
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unknown_columns: list[str] = dataclasses.field(default_factory=list)


@dataclass
class SheetReading:
    """How a sheet was read: where its header was, by which mapping, each time column's zone."""

    kind: str
    header_row: int = 1
    mapping: str = ""  # the saved column mapping that read the sheet
    time_columns: list[list[str]] = dataclasses.field(default_factory=list)  # [column, zone it was read in]
    skipped_rows: list[int] = dataclasses.field(default_factory=list)  # totals and notes rows at the end


@dataclass
class ImportResult:
    """What an import did, per sheet; `new_inquiry_ids` are the inquiries it created in this run."""

    job: ImportJob
    sheets: list[SheetSummary]
    ignored_sheets: list[str]
    new_inquiry_ids: list[int] = dataclasses.field(default_factory=list)
    new_inquiries_before: int = 0  # created by an earlier, interrupted run of the same job
    readings: list[SheetReading] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.job.status == ImportJob.Status.DONE

    def summary_json(self) -> dict:
        return {
            "sheets": [vars(s) for s in self.sheets],
            "ignored_sheets": self.ignored_sheets,
            "new_inquiries": self.new_inquiries_before + len(self.new_inquiry_ids),
            "reading": [vars(r) for r in self.readings],
        }

    @classmethod
    def from_job(cls, job: ImportJob) -> ImportResult:
        summary = job.summary or {}
        return cls(
            job,
            [SheetSummary(**s) for s in summary.get("sheets", [])],
            summary.get("ignored_sheets", []),
            new_inquiries_before=summary.get("new_inquiries", 0),
            readings=[SheetReading(**r) for r in summary.get("reading", [])],
        )


def import_kind_of(name: str) -> str:
    """xlsx or csv, from a file name; anything else is refused."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        return ImportJob.Kind.XLSX
    if suffix == ".xls":
        return ImportJob.Kind.XLS
    if suffix == ".csv":
        return ImportJob.Kind.CSV
    raise ValidationError(_("Upload an Excel workbook (.xlsx or .xls) or a csv file (.csv)."))


@transaction.atomic
def import_job_create(
    *,
    file: File,
    original_name: str,
    by: User | None,
    sheet: str = "",
    origin: str = ImportJob.Origin.BROWSER,
    mapping: ColumnMapping | None = None,
) -> ImportJob:
    """Keep the file under MEDIA_ROOT/imports/ and record a waiting import job (audited)."""
    kind = import_kind_of(original_name)
    if kind == ImportJob.Kind.XLS:
        sheet = ""  # told by its content and its headers
    sheet_key = ""
    if kind == ImportJob.Kind.CSV:
        # A csv holds one sheet: named by the uploader, or by the file's own name (inquiries.csv).
        sheet_key = sheet_kind(sheet) if sheet else sheet_kind(PurePath(original_name).stem)
        if sheet_key is None:
            if sheet:
                raise ValidationError(
                    _("Unknown sheet %(sheet)s; the sheets are %(names)s.")
                    % {"sheet": sheet, "names": sheet_names_hint()}
                )
            raise ValidationError(_("Say which sheet this csv file holds: %(names)s.") % {"names": sheet_names_hint()})
    job = ImportJob(
        created_by=by if by is not None and by.pk else None,
        origin=origin,
        original_name=PurePath(original_name).name[:255],
        kind=kind,
        sheet=sheet_key,
        mapping=mapping,
    )
    job.file.save(original_name, file, save=False)
    job.save()
    audit_record(
        actor=by,
        action="import.upload",
        target=job,
        summary=_("Import of %(name)s started") % {"name": job.original_name},
        changes={
            "file": job.original_name,
            "kind": kind,
            "sheet": sheet_key,
            "origin": origin,
            **({"mapping": mapping.name} if mapping else {}),
        },
    )
    return job


def import_job_submit(*, file: File, original_name: str, by: User, sheet: str = "") -> ImportJob:
    """Record an uploaded import and hand it to the background worker once the upload is committed."""
    with transaction.atomic():
        job = import_job_create(file=file, original_name=original_name, by=by, sheet=sheet)
        transaction.on_commit(partial(tasks.import_workbook.delay, job.pk))
    return job


def workbook_import(*, job_id: int, batch_rows: int = IMPORT_BATCH_ROWS) -> ImportResult:
    """Run an import job: check the file whole, then write its sheets in order, batch by batch.

    Safe to run again: a finished job is not redone, and a job interrupted mid-way (a worker that
    died) resumes after the last batch it committed; the upsert makes any overlap harmless.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.status == ImportJob.Status.DONE:
            return ImportResult.from_job(job)
        resume_from = job.done_rows if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.FAILED) else 0
        job.status, job.error, job.error_params = ImportJob.Status.RUNNING, "", {}
        job.started_at = job.started_at or timezone.now()
        job.finished_at = None
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "error", "error_params", "started_at", "finished_at", "heartbeat_at"])

    try:
        with open_workbook(
            job.file.path,
            kind=job.kind,
            sheet=job.sheet if job.kind != ImportJob.Kind.XLS else None,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024,
            max_ratio=settings.IMPORT_MAX_UNPACK_RATIO,
            max_shared_strings_bytes=settings.IMPORT_MAX_SHARED_STRINGS_MB * 1024 * 1024,
            mapping=mappings.mapping_rule(job.mapping) if job.mapping_id else None,
            find_mappings=mappings.saved_mapping_rules,
        ) as book:
            result = _import_sheets(job, book, resume_from=resume_from, batch_rows=batch_rows)
    except NeedsMapping as exc:
        _import_needs_mapping(job, exc.preview)
        return ImportResult.from_job(job)
    except (ImportTimeLimit, SoftTimeLimitExceeded):
        _import_failed(job, IMPORT_TIME_LIMIT_ERROR, {"minutes": max(1, settings.IMPORT_MAX_SECONDS // 60)})
        return ImportResult.from_job(job)
    except UnreadableFile as exc:
        _import_failed(job, exc.message, exc.params)
        return ImportResult.from_job(job)
    except (OperationalError, InterfaceError):
        # The database went away, not the file: nothing to record (there is no connection to
        # record it on); the job stays running and its task retries from the last batch.
        raise
    except Exception:  # noqa: BLE001 - whatever broke, the job says so and the log keeps the traceback
        logger.exception("import job %s failed", job.pk)
        _import_failed(job, IMPORT_UNEXPECTED_ERROR, {})
        return ImportResult.from_job(job)
    _import_finished(job, result)
    return result


def _import_sheets(job: ImportJob, book, *, resume_from: int, batch_rows: int) -> ImportResult:
    previous = {s["kind"]: s for s in job.summary.get("sheets", [])} if resume_from else {}
    sheets = [
        SheetSummary(**previous[s.kind]) if s.kind in previous else SheetSummary(s.kind, s.name) for s in book.sheets
    ]
    for summary, source in zip(sheets, book.sheets, strict=True):
        summary.unknown_columns = source.header.unknown
    result = ImportResult(
        job,
        sheets,
        book.ignored_sheets,
        new_inquiries_before=job.summary.get("new_inquiries", 0) if resume_from else 0,
        readings=[_reading(source) for source in book.sheets],
    )
    _start_writing(job, book, result, resume_from)

    context = importers.ImportContext(
        by=job.created_by, tz=zoneinfo.ZoneInfo(settings.TIME_ZONE), now=timezone.now(), job_id=job.pk
    )
    position = 0
    deadline = (job.started_at or timezone.now()) + dt.timedelta(seconds=settings.IMPORT_MAX_SECONDS)
    for index, (summary, source) in enumerate(zip(sheets, book.sheets, strict=True)):
        importer = importers.IMPORTERS[source.kind](context, source)
        rejected_before = (
            set(job.rejected_rows.filter(sheet=source.name).values_list("row_number", flat=True))
            if position < resume_from
            else set()
        )
        batch = []
        for number, cells in source.rows():
            position += 1
            row = importer.row(number, cells)
            if row.is_blank():
                continue
            if position <= resume_from:
                if number not in rejected_before:
                    importer.remember(row)
                continue
            batch.append(row)
            if len(batch) >= batch_rows:
                _import_batch(job, result, summary, importer, batch, position)
                batch = []
                if timezone.now() > deadline:
                    raise ImportTimeLimit
        if position > resume_from:
            _import_batch(job, result, summary, importer, batch, position)
        result.readings[index].skipped_rows = list(source.skipped_rows)
    job.done_rows = position
    return result


def _start_writing(job: ImportJob, book, result: ImportResult, resume_from: int) -> None:
    """Reset a fresh run, note the mappings read, and save the checked file's totals."""
    if not resume_from:
        job.summary = {}
        job.rejected_rows.all().delete()
    used = {source.mapping for source in book.sheets if source.mapping}
    if used:
        ColumnMapping.objects.filter(name__in=used).update(last_used_at=timezone.now())
        if job.mapping_id is None:  # the mappings page counts the imports each one read
            job.mapping = ColumnMapping.objects.filter(name__in=used).order_by("name").first()
            job.save(update_fields=["mapping"])
    job.total_rows = max(book.total_rows, resume_from)
    job.done_rows = resume_from
    job.summary = result.summary_json()
    job.heartbeat_at = timezone.now()  # the whole file has been checked: still alive
    job.save(update_fields=["total_rows", "done_rows", "summary", "heartbeat_at"])


def _reading(source) -> SheetReading:
    spec = SHEETS[source.kind]
    return SheetReading(
        kind=source.kind,
        header_row=source.header_row,
        mapping=source.mapping,
        time_columns=[
            [source.header.labels[c.key], source.header.zones.get(c.key, settings.TIME_ZONE)]
            for c in spec.columns
            if c.time and c.key in source.header.index
        ],
    )


def _import_batch(job: ImportJob, result: ImportResult, summary: SheetSummary, importer, rows, position: int) -> None:
    """Write one batch, its rejected rows and the job's progress in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Two imports of overlapping files take turns per batch instead of colliding on keys.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
            bulk_sql.batch_settings()
            bulk_sql.refresh_statistics()
        outcome = importer.import_rows(rows) if rows else None
        if outcome is not None:
            ImportRejectedRow.objects.bulk_create(
                [
                    ImportRejectedRow(
                        job=job,
                        sheet=importer.source.name[:100],
                        row_number=number,
                        column=problem.column[:100],
                        value=problem.value[:300],
                        message=problem.message,
                        params=problem.params,
                    )
                    for number, problems in sorted(outcome.rejected.items())
                    for problem in problems
                ],
                batch_size=1000,
            )
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.unchanged += outcome.unchanged
            summary.rejected += len(outcome.rejected)
            result.new_inquiry_ids.extend(outcome.new_inquiry_ids)
            # New inquiries without a salesperson in the file go out by their account's rule, in
            # the batch's own transaction, so that a resumed job never leaves some unallocated.
            if outcome.new_inquiry_ids:
                # Buyers first: the "same buyer" rule goes by the buyer, not by the text.
                buyers_match_inquiries(inquiry_ids=outcome.new_inquiry_ids)
                allocation_rules_apply(inquiry_ids=outcome.new_inquiry_ids)
        ImportJob.objects.filter(pk=job.pk).update(
            done_rows=position,
            total_rows=max(job.total_rows, position),
            summary=result.summary_json(),
            heartbeat_at=timezone.now(),
        )


class ImportTimeLimit(Exception):
    """The job ran past settings.IMPORT_MAX_SECONDS; the batches committed so far are kept."""


IMPORT_TIME_LIMIT_ERROR = gettext_noop(
    "The import was stopped after %(minutes)s minutes, its time limit. The rows done so far are kept; "
    "split the file and import the rest."
)


def _import_needs_mapping(job: ImportJob, preview: dict) -> None:
    """The file's sheet is unknown: keep what the mapping page shows, and tell the uploader."""
    with transaction.atomic():
        job.status = ImportJob.Status.MAPPING
        job.finished_at = timezone.now()
        job.summary = {"mapping": preview}
        job.save(update_fields=["status", "finished_at", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.needs_mapping",
            target=job,
            summary=_("Import of %(name)s waits for its columns to be mapped") % {"name": job.original_name},
            changes={"sheet": preview["sheet"], "headers": preview["headers"][:50]},
        )
        if job.created_by is not None:
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=(_("Import of %(name)s: map its columns once, then it runs") % {"name": job.original_name})[
                    :500
                ],
                link=job.get_absolute_url(),
            )


def _import_finished(job: ImportJob, result: ImportResult) -> None:
    totals = {k: sum(getattr(s, k) for s in result.sheets) for k in ("created", "updated", "unchanged", "rejected")}
    with transaction.atomic():
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.total_rows = max(job.total_rows, job.done_rows)
        job.summary = result.summary_json()
        job.save(update_fields=["status", "finished_at", "done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.finish",
            target=job,
            summary=_(
                "Import of %(name)s done: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(rejected)s rejected"
            )
            % {"name": job.original_name, **totals},
            changes=job.summary,
        )
        if job.created_by is not None:
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=(
                    _("Import of %(name)s done: %(created)s created, %(updated)s updated, %(rejected)s rejected")
                    % {"name": job.original_name, **totals}
                )[:500],
                link=job.get_absolute_url(),
            )
            alerts.import_finished_alert(job=job, totals=totals)


def _import_failed(job: ImportJob, message: str, params: dict) -> None:
    with transaction.atomic():
        job.status = ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.error, job.error_params = message, params
        job.save(update_fields=["status", "finished_at", "error", "error_params"])
        job.refresh_from_db(fields=["done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.fail",
            target=job,
            summary=_("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text},
            changes={"error": message, "params": params},
        )
        if job.created_by is not None:
            message = _("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text}
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=message[:500],
                link=job.get_absolute_url(),
            )
            alerts.import_finished_alert(job=job, error=lambda: job.error_text)
