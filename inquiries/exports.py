"""Writing the inquiry list to xlsx or csv, safe to open in Excel.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula by a
spreadsheet: csv cells get a leading apostrophe; xlsx cells are written as text with Excel's
"quote prefix", so the value shows exactly as typed and never runs.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .models import Inquiry

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """The value as csv text, with a formula-looking start escaped by an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_columns():
    """(header, value of one inquiry) in the order of the file's columns; headers are the model's
    own field names, in the active language."""
    fields = {f.name: capfirst(f.verbose_name) for f in Inquiry._meta.get_fields() if hasattr(f, "verbose_name")}
    return [
        (fields["external_id"], lambda i: i.external_id),
        (fields["account"], lambda i: i.account.code),
        (fields["received_at"], lambda i: _when(i.received_at)),
        (fields["source"], lambda i: i.get_source_display()),
        (fields["buyer_name"], lambda i: i.buyer_name),
        (fields["buyer_company"], lambda i: i.buyer_company),
        (fields["buyer_email"], lambda i: i.buyer_email),
        (fields["country"], lambda i: i.country),
        (fields["product"], lambda i: i.product),
        (fields["quantity"], lambda i: i.quantity),
        (fields["subject"], lambda i: i.subject),
        (fields["owner"], lambda i: i.owner.label if i.owner_id else ""),
        (fields["state"], lambda i: i.get_state_display()),
        (fields["quality"], lambda i: i.get_quality_display()),
        (fields["first_allocated_at"], lambda i: _when(i.first_allocated_at)),
        (fields["first_reply_at"], lambda i: _when(i.first_reply_at)),
        (fields["reply_due_at"], lambda i: _when(i.reply_due_at)),
        (fields["overdue_at"], lambda i: _when(i.overdue_at)),
    ]


def export_rows(qs) -> Iterator[list]:
    """The header row, then one row per inquiry, streamed from the database in chunks."""
    columns = export_columns()
    yield [header for header, _value in columns]
    rows = qs.select_related("account", "owner").defer("message").order_by("received_at", "id")
    for inquiry in rows.iterator(chunk_size=2000):
        yield [value(inquiry) for _header, value in columns]


def exports_root() -> Path:
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def write_csv(rows: Iterable[list], path: Path) -> int:
    count = -1
    # utf-8-sig: Excel on a Chinese Windows opens a BOM-less UTF-8 csv as gibberish.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])
            count += 1
    return count


def write_xlsx(rows: Iterable[list], path: Path, *, title: str) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    count = -1
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


def write_export(qs, *, fmt: str, export_id: int) -> tuple[str, int]:
    """Write the file for export `export_id`; returns (file name, rows). Written under a temporary
    name and renamed, so a half-written file is never offered for download."""
    name = f"inquiries-{export_id}-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}"
    final = exports_root() / name
    partial = final.with_suffix(final.suffix + ".part")
    rows = export_rows(qs)
    count = write_xlsx(rows, partial, title=_("Inquiries")) if fmt == "xlsx" else write_csv(rows, partial)
    os.replace(partial, final)
    return name, count


def export_path(file_name: str) -> Path:
    """Where an export's file is; the name comes from our own database, never from the request."""
    return exports_root() / Path(file_name).name
