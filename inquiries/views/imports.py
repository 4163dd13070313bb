"""Importing a company's history in the browser: upload, progress, result, history (operations only)."""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django_tables2 import RequestConfig

from accounts.permissions import operations_required
from inquiryhub.spreadsheets import spreadsheet_safe

from ..importing import mappings
from ..importing.forms import (
    AlibabaNameForm,
    ColumnMappingForm,
    ImportUploadForm,
    MappingRenameForm,
    UploadSizeLimit,
    too_large_message,
    upload_limit_bytes,
)
from ..importing.parsers import PACIFIC, SHEET_ORDER, SHEETS, sheet_label
from ..importing.template import workbook_template
from ..selectors import get_import_job_for_user, import_jobs_for_user, import_rejected_rows
from ..services import import_job_submit
from ..tables import ImportJobTable, ImportRejectedRowTable


@operations_required
def import_list(request):
    """Past imports, newest first: who, when, which file, the outcome."""
    table = ImportJobTable(import_jobs_for_user(request.user))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "inquiries/imports/import_list.html", {"table": table})


# The size limit must be in place before the body is read, and CSRF reads the body: so CSRF is
# checked inside, after the upload handler is installed (Django's documented pattern).
@csrf_exempt
@operations_required
def import_upload(request):
    """Upload an xlsx workbook or a csv sheet; the import runs in the background."""
    request.upload_handlers.insert(0, UploadSizeLimit(request, upload_limit_bytes()))
    return _import_upload(request)


@csrf_protect
def _import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if getattr(request, "upload_too_large", False):
            # The upload was stopped at the limit, so the form sees no file: say why instead.
            form.is_valid()
            form.errors["file"] = form.error_class([too_large_message()])
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_submit(
                    file=upload, original_name=upload.name, by=request.user, sheet=form.cleaned_data["sheet"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect(job)
        else:
            status = 400
    context = {
        "form": form,
        "sheets": [SHEETS[kind] for kind in SHEET_ORDER],
        "limit_mb": settings.IMPORT_MAX_UPLOAD_MB,
    }
    return render(request, "inquiries/imports/import_upload.html", context, status=status)


@operations_required
def import_detail(request, pk: int):
    """One import: progress while it runs, then the summary per sheet and the rejected rows."""
    job = get_import_job_for_user(request.user, pk)
    table = ImportRejectedRowTable(import_rejected_rows(job))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    sheets = [
        {**sheet, "label": sheet_label(sheet["kind"]), "spec": SHEETS.get(sheet["kind"])}
        for sheet in (job.summary or {}).get("sheets", [])
    ]
    context = {
        "job": job,
        "table": table,
        "sheets": sheets,
        "ignored_sheets": (job.summary or {}).get("ignored_sheets", []),
        "new_inquiries": (job.summary or {}).get("new_inquiries", 0),
        "readings": _readings(job),
        "progress_text": _progress_text(job),
        "csv_sheet": sheet_label(job.sheet) if job.sheet else "",
    }
    return render(request, "inquiries/imports/import_detail.html", context)


def _readings(job) -> list[dict]:
    """How each sheet was read, for the result page: header row, mapping, the zone of each time column."""
    rows = []
    for reading in (job.summary or {}).get("reading", []):
        rows.append(
            {
                **reading,
                "label": sheet_label(reading["kind"]),
                "time_columns": [
                    {"column": column, "zone": zone, "company": zone == settings.TIME_ZONE, "pacific": zone == PACIFIC}
                    for column, zone in reading["time_columns"]
                ],
            }
        )
    return rows


def _progress_text(job) -> str:
    if job.worker_lost:
        # The job is not lost: the broker hands it out again, and it resumes after its last batch.
        return _(
            "The background worker running this import stopped at row %(done)s (last sign of life %(when)s). "
            "The import resumes from there when the job is handed out again, within %(minutes)s minutes; "
            "if it does not, tell your administrator."
        ) % {
            "done": f"{job.done_rows:,}",
            "when": timezone.localtime(job.heartbeat_at or job.started_at).strftime("%Y-%m-%d %H:%M"),
            "minutes": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) // 60,
        }
    if job.total_rows:
        return _("%(done)s of %(total)s rows") % {"done": f"{job.done_rows:,}", "total": f"{job.total_rows:,}"}
    return _("Checking the file…") if job.status == job.Status.RUNNING else _("Waiting for the background worker…")


@never_cache
@operations_required
def import_status(request, pk: int):
    """The job's progress as JSON, for the progress bar."""
    job = get_import_job_for_user(request.user, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": job.done_rows,
            "total": job.total_rows,
            "percent": job.percent,
            "finished": job.is_finished,
            "progress_text": _progress_text(job),
            "worker_lost": job.worker_lost,
        }
    )


class _Echo:
    def write(self, value):
        return value


@operations_required
def import_rejected_csv(request, pk: int):
    """The rejected rows as csv (UTF-8 with BOM, so that Excel opens the Chinese right)."""
    job = get_import_job_for_user(request.user, pk)
    writer = csv.writer(_Echo())
    language = get_language()

    def lines():
        # Streamed after the view returns: keep the reader's language for the whole file.
        with translation.override(language):
            yield from _rejected_lines(job, writer)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected-rows.csv"'
    return response


def _rejected_lines(job, writer):
    yield "\ufeff"
    yield writer.writerow([_("Sheet"), _("Row"), _("Column"), _("Value"), _("Reason")])
    for problem in import_rejected_rows(job).iterator(chunk_size=2000):
        yield writer.writerow(
            [
                spreadsheet_safe(sheet_label(problem.sheet)),
                problem.row_number,
                spreadsheet_safe(problem.column),
                spreadsheet_safe(problem.value),
                spreadsheet_safe(problem.reason),
            ]
        )


@operations_required
def import_template(request):
    """A workbook with every sheet, its headers in the reader's language and an example row."""
    response = HttpResponse(
        workbook_template(chinese=get_language().startswith("zh")),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="inquiryhub-import-template.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------
# Column mappings and Alibaba names


@operations_required
def import_mapping(request, pk: int):
    """Map the columns of a sheet the importer does not know, once; the import then runs with it."""
    job = get_import_job_for_user(request.user, pk)
    preview = (job.summary or {}).get("mapping")
    if job.status != job.Status.MAPPING or not preview:
        return redirect(job)
    saved = mappings.import_job_rerun_if_mapped(job=job, by=request.user)
    if saved is not None:
        messages.info(request, _("These headers have a mapping already: %(name)s.") % {"name": saved.name})
        return redirect(job)
    form = ColumnMappingForm(request.POST or None, preview=preview)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mapping = mappings.column_mapping_save(job=job, data=form.mapping_input(), by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Mapping %(name)s saved; the import runs with it.") % {"name": mapping.name}
                )
                return redirect(job)
        status = 400
    rows = mappings.mapping_page_rows(preview, form["kind"].value() or preview["kind"])
    for row, field in zip(rows, form.column_fields(), strict=True):
        row["field"] = field
    context = {"job": job, "form": form, "preview": preview, "rows": rows}
    return render(request, "inquiries/imports/import_mapping.html", context, status=status)


@operations_required
def mapping_list(request):
    """The saved column mappings: which headers, read as what, renamed or deleted here."""
    context = {"mappings": mappings.column_mappings(), "rename_form": MappingRenameForm()}
    return render(request, "inquiries/imports/mapping_list.html", context)


@operations_required
def mapping_rename(request, pk: int):
    mapping = mappings.get_column_mapping(pk)
    if request.method != "POST":
        return redirect("inquiries:import_mappings")
    form = MappingRenameForm(request.POST)
    if form.is_valid():
        try:
            mappings.column_mapping_rename(mapping=mapping, name=form.cleaned_data["name"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Give the mapping a name."))
    return redirect("inquiries:import_mappings")


@operations_required
def mapping_delete(request, pk: int):
    mapping = mappings.get_column_mapping(pk)
    if request.method == "POST":
        mappings.column_mapping_delete(mapping=mapping, by=request.user)
        messages.success(request, _("Mapping %(name)s deleted.") % {"name": mapping.name})
    return redirect("inquiries:import_mappings")


@operations_required
def alibaba_name_list(request):
    """The names salespeople go by in Alibaba's back office, linked once to the person."""
    form = AlibabaNameForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mappings.alibaba_name_link(
                    name=form.cleaned_data["name"], person=form.cleaned_data["person"], by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("inquiries:alibaba_names")
        status = 400
    context = {"form": form, "names": mappings.alibaba_names()}
    return render(request, "inquiries/imports/alibaba_names.html", context, status=status)


@operations_required
def alibaba_name_delete(request, pk: int):
    link = get_object_or_404(mappings.alibaba_names(), pk=pk)
    if request.method == "POST":
        mappings.alibaba_name_unlink(link=link, by=request.user)
    return redirect("inquiries:alibaba_names")
