"""Opening an import file without trusting it.

`open_workbook` checks the whole file before a single row is handed out: an xlsx is a zip
whose unpacked size and rows are capped (zip bombs and billion-row sheets are refused), whose
sheet XML is read through once to prove it is whole; a csv must decode completely as UTF-8
(with or without BOM) or GB18030 and parse as csv. Anything else raises `UnreadableFile`
with one clear message, so that a bad file is refused whole and never half-read.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, gettext_noop

from .parsers import SHEET_ORDER, SHEETS, HeaderMap, column_hint, is_blank, map_header, sheet_kind, sheet_names_hint

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
CHUNK = 1 << 20
# A csv cell can be long (an inquiry's message), but not unbounded.
csv.field_size_limit(min(sys.maxsize, 1 << 24))


class UnreadableFile(Exception):
    """The whole file is refused; `message` is an English msgid with %(name)s values."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params

    def render(self) -> str:
        return gettext(self.message) % self.params

    def __str__(self) -> str:
        return self.render()


Row = tuple[int, tuple]  # (row number as the spreadsheet shows it, cell values)


@dataclass
class SheetSource:
    """One sheet to import: its kind, its header, how many data rows, and its rows on demand."""

    name: str
    kind: str
    header: HeaderMap
    data_rows: int
    rows: Callable[[], Iterator[Row]] = field(repr=False)


@dataclass
class Workbook:
    sheets: list[SheetSource]
    ignored_sheets: list[str]
    close: Callable[[], None] = field(repr=False, default=lambda: None)

    @property
    def total_rows(self) -> int:
        return sum(s.data_rows for s in self.sheets)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_workbook(
    path: str | Path, *, kind: str, sheet: str | None, max_rows: int, max_unpacked_bytes: int
) -> Workbook:
    """Open an xlsx workbook or a csv file holding `sheet`, checked whole; raises UnreadableFile."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        raise UnreadableFile(gettext_noop("The file cannot be opened.")) from None
    if not head:
        raise UnreadableFile(gettext_noop("The file is empty."))
    if kind == "xlsx":
        return _open_xlsx(path, head, max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes)
    return _open_csv(path, head, sheet=sheet, max_rows=max_rows)


def _check_header(name: str, kind: str, header: HeaderMap) -> None:
    spec = SHEETS[kind]
    if not header.index:
        raise UnreadableFile(
            gettext_noop(
                "Sheet %(sheet)s: the first row is not a header the importer knows. "
                "Expected columns such as %(columns)s."
            ),
            sheet=name,
            columns=", ".join(column_hint(spec, c.key) for c in spec.required),
        )
    if header.duplicates:
        raise UnreadableFile(
            gettext_noop("Sheet %(sheet)s: the column %(column)s appears twice."),
            sheet=name,
            column=header.duplicates[0],
        )
    if header.missing:
        raise UnreadableFile(
            gettext_noop("Sheet %(sheet)s: the required column %(column)s is missing."),
            sheet=name,
            column=column_hint(spec, header.missing[0]),
        )


def _check_rows(total: int, max_rows: int) -> None:
    if total > max_rows:
        raise UnreadableFile(
            gettext_noop("The file has more than %(limit)s rows; split it into smaller files."), limit=max_rows
        )


# ---------------------------------------------------------------------------------------------
# xlsx

_ROW_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_ROW_NUMBER_RE = re.compile(rb'\sr="(\d{1,9})"')


def _open_xlsx(path: Path, head: bytes, *, max_rows: int, max_unpacked_bytes: int) -> Workbook:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            gettext_noop(
                "This is an old Excel .xls file or a password-protected workbook. Save it as .xlsx without a password."
            )
        )
    if not head.startswith(b"PK"):
        raise UnreadableFile(gettext_noop("This is not an Excel workbook (.xlsx)."))
    try:
        archive = zipfile.ZipFile(path)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableFile(gettext_noop("This is not an Excel workbook (.xlsx).")) from None
    try:
        names = {e.filename for e in entries}
        if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
            raise UnreadableFile(gettext_noop("This is not an Excel workbook (.xlsx)."))
        # Zip bombs: the sizes a zip declares bound what zipfile will unpack (it stops there and
        # checks the CRC), so capping the declared total caps the real work.
        unpacked = sum(e.file_size for e in entries)
        if unpacked > max_unpacked_bytes or len(entries) > 10_000:
            raise UnreadableFile(
                gettext_noop("The workbook unpacks to more than %(limit)s MB; it is refused as unsafe."),
                limit=max_unpacked_bytes // (1024 * 1024),
            )
        return _load_xlsx(path, archive, max_rows=max_rows)
    finally:
        archive.close()


def _load_xlsx(path: Path, archive: zipfile.ZipFile, *, max_rows: int) -> Workbook:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - openpyxl raises anything from KeyError to XML errors on a bad file
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    try:
        sources, ignored = [], []
        by_kind: dict[str, Any] = {}
        for worksheet in book.worksheets:
            kind = sheet_kind(worksheet.title)
            if kind is None or kind in by_kind:
                ignored.append(worksheet.title)
                continue
            by_kind[kind] = worksheet
        if not by_kind:
            raise UnreadableFile(
                gettext_noop("No sheet of this workbook has a name the importer knows. Name the sheets %(names)s."),
                names=sheet_names_hint(),
            )
        total = 0
        for kind in SHEET_ORDER:
            worksheet = by_kind.get(kind)
            if worksheet is None:
                continue
            last_row = _scan_sheet_xml(archive, worksheet._worksheet_path, max_rows=max_rows)
            if last_row == 0:
                continue  # an empty sheet: nothing to import, nothing wrong
            header_cells = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if all(is_blank(c) for c in header_cells):
                continue
            header = map_header(SHEETS[kind], header_cells)
            _check_header(worksheet.title, kind, header)
            data_rows = max(0, last_row - 1)
            total += data_rows
            _check_rows(total, max_rows)
            sources.append(
                SheetSource(worksheet.title, kind, header, data_rows, _xlsx_rows(worksheet, header, last_row))
            )
    except UnreadableFile:
        book.close()
        raise
    except Exception:  # noqa: BLE001
        book.close()
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    return Workbook(sources, ignored, close=book.close)


def _scan_sheet_xml(archive: zipfile.ZipFile, member: str, *, max_rows: int) -> int:
    """Read a sheet's XML through once: it must be whole (CRC, well-formed); returns its last row."""
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def refuse(*args):  # no DTDs, no entities: nothing that could expand
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read."))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    count = last = 0
    tail = b""
    try:
        with archive.open(member.lstrip("/")) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                text = tail + chunk
                cut = text.rfind(b">") + 1
                text, tail = text[:cut], text[cut:][-4096:]
                for match in _ROW_TAG_RE.finditer(text):
                    count += 1
                    number = _ROW_NUMBER_RE.match(text, match.end() - 1, text.find(b">", match.end() - 1) + 1)
                    last = max(last, int(number.group(1)) if number else count)
                if last > max_rows + 1:
                    _check_rows(last - 1, max_rows)
            parser.Parse(b"", True)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, expat.ExpatError, OSError, KeyError, EOFError, ValueError, RuntimeError):
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    return last


def _xlsx_rows(worksheet, header: HeaderMap, last_row: int) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        # Only the columns that matter, only the rows counted: a sheet cannot make us build
        # 16,384-cell rows or fill a million empty ones.
        cells = worksheet.iter_rows(min_row=2, max_row=last_row, max_col=max(1, header.width), values_only=True)
        yield from enumerate(cells, start=2)

    return rows


# ---------------------------------------------------------------------------------------------
# csv


def _open_csv(path: Path, head: bytes, *, sheet: str | None, max_rows: int) -> Workbook:
    kind = sheet_kind(sheet) if sheet else None
    if kind is None:
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
    count, header_cells = 0, None
    try:
        with _csv_text(path, encoding) as text:
            for record in csv.reader(text, delimiter=delimiter, strict=True):
                if header_cells is None:
                    header_cells = record
                    continue
                count += 1
                _check_rows(count, max_rows)
    except csv.Error:
        raise UnreadableFile(
            gettext_noop(
                "The csv file cannot be read after row %(row)s: "
                "a quotation mark is not where csv allows it, or a cell is too long."
            ),
            row=count + 1,
        ) from None
    if header_cells is None or all(is_blank(c) for c in header_cells):
        raise UnreadableFile(gettext_noop("The file is empty."))
    header = map_header(SHEETS[kind], header_cells)
    _check_header(kind, kind, header)

    def rows() -> Iterator[Row]:
        with _csv_text(path, encoding) as text:
            reader = csv.reader(text, delimiter=delimiter, strict=True)
            next(reader, None)
            for number, record in enumerate(reader, start=2):
                yield number, tuple(record)

    return Workbook([SheetSource(kind, kind, header, count, rows)], [])


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
        return encoding
    raise UnreadableFile(
        gettext_noop("The csv file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 and upload that.")
    )


def _detect_delimiter(path: Path, encoding: str) -> str:
    """Comma, unless the header line clearly uses tabs or semicolons (some Excel exports do)."""
    with _csv_text(path, encoding) as text:
        line = text.readline()
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","
