"""The readers of each file format (part of `readers`): csv, BIFF .xls and html .xls, each checked whole.

The xlsx reader is `xlsx`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from .parsers import sheet_kind, sheet_names_hint
from .sources import (
    HEADER_SCAN_ROWS,
    Limits,
    Row,
    UnreadableFile,
    Workbook,
    _blank_row,
    _check_rows,
    _Finder,
    _sources,
    _Table,
)

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
CHUNK = 1 << 20
# A csv cell can be long (an inquiry's message), but not unbounded.
csv.field_size_limit(min(sys.maxsize, 1 << 24))

# ---------------------------------------------------------------------------------------------
# csv


def _open_csv(path: Path, head: bytes, *, sheet: str | None, max_rows: int, finder: _Finder) -> Workbook:
    kind = sheet_kind(sheet) if sheet else None
    if kind is None and sheet is not None:
        raise UnreadableFile(gettext_noop("Say which sheet this csv file holds: %(names)s."), names=sheet_names_hint())
    if head.startswith(b"PK\x03\x04"):
        raise UnreadableFile(gettext_noop("This file is an Excel workbook, not a csv file: upload it as .xlsx."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(gettext_noop("This is an old Excel .xls file, not a csv file: save it as CSV UTF-8."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(gettext_noop("The csv file is UTF-16 text; save it again as CSV UTF-8."))
    encoding = _detect_encoding(path)
    delimiter = _detect_delimiter(path, encoding)
    # Read it through once: every record must parse, and the rows are counted for the progress bar.
    count, first_rows = 0, []
    try:
        with _csv_text(path, encoding) as text:
            for record in csv.reader(text, delimiter=delimiter, strict=True):
                count += 1
                if count <= HEADER_SCAN_ROWS:
                    first_rows.append((count, tuple(record)))
                _check_rows(count - 1, max_rows)
    except csv.Error:
        raise UnreadableFile(
            gettext_noop(
                "The csv file cannot be read after row %(row)s: "
                "a quotation mark is not where csv allows it, or a cell is too long."
            ),
            row=count,
        ) from None
    if all(_blank_row(cells) for _n, cells in first_rows):
        raise UnreadableFile(gettext_noop("The file is empty."))

    def rows_from(first: int, last: int, width: int) -> Iterator[Row]:
        with _csv_text(path, encoding) as text:
            for number, record in enumerate(csv.reader(text, delimiter=delimiter, strict=True), start=1):
                if number >= first:
                    yield number, tuple(record)

    name = kind or path.stem
    table = _Table(name, first_rows, lambda: count, rows_from)
    return _sources([table], [kind], Limits(max_rows, 0), finder)


def _csv_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="strict", newline="")


def _detect_encoding(path: Path) -> str:
    """The first of UTF-8 (BOM or not) and GB18030 that decodes the whole file; no guessing after."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    if b"\x00" in chunk:
                        raise UnreadableFile(gettext_noop("This is not a text file, so not a csv file."))
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030":
            _refuse_mixed_encodings(path)
        return encoding
    _refuse_mixed_encodings(path)
    raise UnreadableFile(
        gettext_noop("The csv file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 and upload that.")
    )


_UTF8_CJK_RE = re.compile(rb"[\xe4-\xe9][\x80-\xbf]{2}")


def _refuse_mixed_encodings(path: Path) -> None:
    """A file that is not UTF-8 whole, but has lines of UTF-8 Chinese among GB18030 ones (rows pasted
    together from two exports), would be read as GB18030 with those lines garbled: refuse it."""
    utf8_lines = other_lines = 0
    with path.open("rb") as f:
        for line in f:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                other_lines += 1
                continue
            if len(_UTF8_CJK_RE.findall(line)) >= 2:
                utf8_lines += 1
    if utf8_lines and other_lines:
        raise UnreadableFile(
            gettext_noop(
                "The file mixes UTF-8 and GB18030 text (rows pasted from two files?); "
                "save it again as CSV UTF-8 and upload that."
            )
        )


def _detect_delimiter(path: Path, encoding: str) -> str:
    """Comma, unless the header line clearly uses tabs or semicolons (some Excel exports do)."""
    with _csv_text(path, encoding) as text:
        line = text.readline()
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


# ---------------------------------------------------------------------------------------------
# xls: BIFF8 through python-calamine (Rust), an html table through the standard library


def _open_biff(path: Path, limits: Limits, finder: _Finder) -> Workbook:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        tables, kinds = [], []
        for index, name in enumerate(book.sheet_names):
            sheet = book.get_sheet_by_index(index)
            # BIFF8 holds at most 65,536 rows of 256 cells; the sheet is read into memory whole.
            _check_rows(sheet.total_height - 1, limits.max_rows)
            first = sheet.start[0] + 1 if sheet.start else 1
            rows = [tuple(_calamine_cell(c) for c in r) for r in sheet.to_python(skip_empty_area=True)]
            tables.append(_memory_table(name, rows, first))
            kinds.append(sheet_kind(name))
        book.close()
    except UnreadableFile:
        raise
    except Exception:  # noqa: BLE001 - calamine raises its own errors and PasswordError on a bad file
        raise UnreadableFile(
            gettext_noop("The .xls file is damaged or protected by a password and cannot be read.")
        ) from None
    return _sources(tables, kinds, limits, finder)


def _calamine_cell(value: Any) -> Any:
    # calamine gives "" for an empty cell and floats for whole numbers (as xlrd did).
    return None if value == "" else value


def _memory_table(name: str, rows: list[tuple], first: int = 1) -> _Table:
    numbered = list(enumerate(rows, start=first))
    last = numbered[-1][0] if numbered else 0

    def rows_from(start: int, end: int, width: int) -> Iterator[Row]:
        for number, cells in numbered[max(0, start - first) : max(0, end - first + 1)]:
            yield number, cells[:width]

    return _Table(name, [(n, c) for n, c in numbered if n <= HEADER_SCAN_ROWS], lambda: last, rows_from)


class _HtmlTables(HTMLParser):
    """The cells of every <table> of an html page, as text (what some ".xls" exports really are)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            self.tables.append([])
        elif tag == "tr" and self._depth:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = min(int(span), 200) if span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._row.extend([""] * (self._span - 1))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(tuple(c or None for c in self._row))
            self._row = None
        elif tag == "table" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


_CHARSET_RE = re.compile(rb"charset\s*=\s*[\"']?([\w-]+)", re.I)


def _open_html(path: Path, limits: Limits, finder: _Finder) -> Workbook:
    data = path.read_bytes()
    declared = _CHARSET_RE.search(data[:4096])
    encodings = [declared.group(1).decode("ascii").lower()] if declared else []
    for encoding in [*encodings, *CSV_ENCODINGS]:
        try:
            text = data.decode("gb18030" if encoding in ("gbk", "gb2312") else encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        raise UnreadableFile(gettext_noop("The file is neither UTF-8 nor GB18030 text and cannot be read."))
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    tables = [t for t in parser.tables if t]
    if not tables:
        raise UnreadableFile(gettext_noop("This file is named .xls but is neither a spreadsheet nor a table."))
    rows = max(tables, key=len)
    _check_rows(len(rows) - 1, limits.max_rows)
    return _sources([_memory_table(path.stem, rows)], [None], limits, finder)
