"""Real import files for the tests: xlsx written by openpyxl (with real date cells), csv bytes in
the encodings Chinese offices produce, and a short way to run an import through its job."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from django.core.files import File

from inquiries.models import ImportJob
from inquiries.services import import_job_create, workbook_import

INQUIRY_HEADER = [
    "inquiry_id", "account", "received_at", "source", "buyer_name", "country", "assigned_to",
    "first_reply_at", "quality", "invalid_reason", "won_at", "order_amount_usd", "trade_assurance",
]  # fmt: skip


def csv_bytes(rows: list[list], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csv(path: Path, rows: list[list], **kwargs) -> Path:
    path.write_bytes(csv_bytes(rows, **kwargs))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, date_format: str = "yyyy-mm-dd hh:mm") -> Path:
    """A real workbook; datetime values become Excel date cells with `date_format`."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, (dt.datetime, dt.date)):
                    cell.number_format = date_format
    book.save(path)
    return path


def run_import(path: Path, *, by=None, sheet: str = "", batch_rows: int | None = None):
    """Record a job for the file and run it as the worker would; returns the ImportResult."""
    with path.open("rb") as f:
        job = import_job_create(
            file=File(f, name=path.name), original_name=path.name, by=by, sheet=sheet, origin=ImportJob.Origin.COMMAND
        )
    kwargs = {"batch_rows": batch_rows} if batch_rows else {}
    return workbook_import(job_id=job.pk, **kwargs)


def problems(job: ImportJob) -> list[tuple]:
    """The rejected rows as (sheet, row, column, reason in English)."""
    from django.utils import translation

    with translation.override("en"):
        return [(r.sheet, r.row_number, r.column, r.reason) for r in job.rejected_rows.order_by("id")]


def counts(result) -> dict[str, tuple[int, int, int, int]]:
    """Per sheet kind: (created, updated, unchanged, rejected)."""
    return {s.kind: (s.created, s.updated, s.unchanged, s.rejected) for s in result.sheets}


def zip_bomb_workbook(path: Path, *, unpacked_mb: int) -> Path:
    """A real workbook whose sheet XML is `unpacked_mb` MB of rows that compress to almost nothing."""
    write_xlsx(path, {"inquiries": [["inquiry_id", "account", "received_at"], ["A1", "cn1", "2024-03-05"]]})
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    row = b'<row><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>cn1</t></is></c></row>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name, data in parts.items():
            if name != sheet_name:
                bomb.writestr(name, data)
        with bomb.open(sheet_name, "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            chunk = row * (1024 * 1024 // len(row))
            for _ in range(unpacked_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path
