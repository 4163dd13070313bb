"""The upload form of the import page, and the upload handler that enforces the size limit."""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext_lazy as _

from .parsers import SHEET_ORDER, SHEETS, sheet_kind

MB = 1024 * 1024


def upload_limit_bytes() -> int:
    return settings.IMPORT_MAX_UPLOAD_MB * MB


def too_large_message() -> str:
    return _("The file is larger than the %(limit)s MB limit. Split it, or import it on the command line.") % {
        "limit": settings.IMPORT_MAX_UPLOAD_MB
    }


class UploadSizeLimit(FileUploadHandler):
    """Stops storing an upload as soon as it passes the limit, so a huge file never fills the disk.

    The rest of the request is read and thrown away (not reset), so the browser gets the page with
    the message instead of a broken connection.
    """

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class ImportUploadForm(forms.Form):
    # The sheet comes before the file: fields after a stopped (too large) upload are not read.
    sheet = forms.ChoiceField(
        label=_("Sheet (csv files only)"),
        required=False,
        help_text=_("A csv file holds one sheet. Leave empty when the file is named after it, e.g. inquiries.csv."),
    )
    file = forms.FileField(
        label=_("Workbook or csv file"),
        help_text=_(
            "An .xlsx workbook with the sheets below, one sheet as .csv (UTF-8 or GB18030), or an export of "
            "Alibaba's back office as it comes (.xls or .xlsx)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [("", _("From the file name"))] + [
            (kind, f"{SHEETS[kind].zh} · {kind}") for kind in SHEET_ORDER
        ]
        self.fields["file"].widget.attrs["data-max-bytes"] = str(upload_limit_bytes())
        self.fields["file"].widget.attrs["data-too-large"] = str(too_large_message())

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in (".xlsx", ".xls", ".csv"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx or .xls) or a csv file (.csv)."))
        if upload.size > upload_limit_bytes():
            raise forms.ValidationError(too_large_message())
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        name = PurePath(upload.name) if upload is not None else None
        if name and name.suffix.lower() == ".csv" and not cleaned.get("sheet") and sheet_kind(name.stem) is None:
            self.add_error("sheet", _("Choose the sheet this csv file holds."))
        return cleaned
