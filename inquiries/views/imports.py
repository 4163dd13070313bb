"""Importing a company's history in the browser: upload, progress, result, history (operations only)."""

import csv

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django_tables2 import RequestConfig

from accounts.permissions import operations_required
from inquiryhub.spreadsheets import spreadsheet_safe

from ..importing.forms import ImportUploadForm, UploadSizeLimit, too_large_message, upload_limit_bytes
from ..importing.parsers import SHEET_ORDER, SHEETS, sheet_label
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
        "progress_text": _progress_text(job),
        "csv_sheet": sheet_label(job.sheet) if job.sheet else "",
    }
    return render(request, "inquiries/imports/import_detail.html", context)


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
