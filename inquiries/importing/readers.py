"""Opening an import file without trusting it.

`open_workbook` checks the whole file before a single row is handed out: an xlsx is a zip
whose unpacked size and rows are capped (zip bombs and billion-row sheets are refused), whose
sheet XML is read through once to prove it is whole; a csv must decode completely as UTF-8
(with or without BOM) or GB18030 and parse as csv. Anything else raises `UnreadableFile`
with one clear message, so that a bad file is refused whole and never half-read.

This module is the public place: the shared types and header finding are in `sources`, each
format's reader in `formats`, the xlsx reader in `xlsx` (python-calamine, or openpyxl
where calamine would read a cell otherwise: `xlsx_signs`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.utils.translation import gettext_noop

from .formats import _open_biff, _open_csv, _open_html
from .sources import (  # noqa: F401 - re-exported: callers import the reader's types from here
    HEADER_SCAN_ROWS,
    Limits,
    MappingRule,
    NeedsMapping,
    Row,
    SheetSource,
    UnreadableFile,
    Workbook,
    _Finder,
    mapping_preview,
)
from .xlsx import _open_xlsx


def open_workbook(
    path: str | Path,
    *,
    kind: str,
    sheet: str | None,
    max_rows: int,
    max_unpacked_bytes: int,
    max_ratio: int = 200,
    max_shared_strings_bytes: int = 64 * 1024 * 1024,
    mapping: MappingRule | None = None,
    find_mappings: Callable[[set[str]], dict[str, MappingRule]] | None = None,
) -> Workbook:
    """Open an xlsx, xls or csv file, checked whole; raises UnreadableFile (NeedsMapping when unmapped).

    A file named .xls is told by its content: BIFF8, an xlsx, an html table or csv text (exports
    from Alibaba's back office come as each). `find_mappings` answers the saved mappings of header
    signatures; `mapping` is one the caller insists on (import_workbook --mapping).
    """
    path = Path(path)
    limits = Limits(max_rows, max_unpacked_bytes, max_ratio, max_shared_strings_bytes)
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError:
        raise UnreadableFile(gettext_noop("The file cannot be opened.")) from None
    if not head:
        raise UnreadableFile(gettext_noop("The file is empty."))
    finder = _Finder(mapping, find_mappings)
    if kind == "xls":
        kind = _content_kind(head)
        if kind == "biff":
            return _open_biff(path, limits, finder)
        if kind == "html":
            return _open_html(path, limits, finder)
    if kind == "xlsx":
        return _open_xlsx(path, head, limits, finder)
    return _open_csv(path, head, sheet=sheet, max_rows=max_rows, finder=finder)


def _content_kind(head: bytes) -> str:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "biff"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")) or b"<table" in text:
        return "html"
    return "csv"
