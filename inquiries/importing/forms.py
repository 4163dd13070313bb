"""The upload form of the import page, and the upload handler that enforces the size limit."""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from ..models import ColumnMapping
from .mappings import MappingInput, column_choices
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


class ColumnMappingForm(forms.Form):
    """The mapping page: the kind of sheet, the file's time zone, our column for each column of the file."""

    kind = forms.ChoiceField(label=_("Kind of sheet"))
    time_zone = forms.ChoiceField(label=_("Time zone of the file's times"), widget=forms.RadioSelect)
    name = forms.CharField(
        label=_("Name of the mapping"),
        max_length=100,
        help_text=_("The next file with the same headers is read with this mapping, with no question asked."),
    )

    def __init__(self, *args, preview: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = preview
        self.fields["kind"].choices = [(kind, f"{SHEETS[kind].zh} · {_(SHEETS[kind].label)}") for kind in SHEET_ORDER]
        self.fields["kind"].initial = preview["kind"]
        self.fields["time_zone"].choices = ColumnMapping.Zone.choices
        self.fields["time_zone"].initial = (
            ColumnMapping.Zone.PACIFIC if preview.get("pst") else ColumnMapping.Zone.COMPANY
        )
        self.fields["name"].initial = f"{SHEETS[preview['kind']].zh} · {preview['sheet']}"[:100]
        grouped = [("", _("Ignore this column"))] + [
            (str(_(SHEETS[kind].label)), options) for kind, options in column_choices()
        ]
        suggestions = preview["suggestions"].get(preview["kind"], [])
        for index, header in enumerate(preview["headers"]):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(no header)"),
                choices=grouped,
                required=False,
                initial=suggestions[index] if index < len(suggestions) else "",
            )

    def column_fields(self):
        return [self[f"col_{index}"] for index in range(len(self.preview["headers"]))]

    def mapping_input(self):
        data = self.cleaned_data
        return MappingInput(
            name=data["name"],
            kind=data["kind"],
            columns=[data.get(f"col_{index}") or "" for index in range(len(self.preview["headers"]))],
            time_zone=data["time_zone"],
        )


class MappingRenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class AlibabaNameForm(forms.Form):
    name = forms.CharField(label=_("Name in Alibaba's back office"), max_length=100)
    person = forms.ModelChoiceField(label=_("Salesperson"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.salespeople().by_name()
