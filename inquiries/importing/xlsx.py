"""The xlsx reader (part of `readers`): the zip and every sheet checked whole, then the cells read by
python-calamine when it gives exactly the cells openpyxl gives, else by openpyxl as before.

calamine (Rust) reads a sheet 10-20x faster than openpyxl, but it gives a formula's cached value
where the import keeps the formula's text, and differs from openpyxl in a few other places (error
cells, 16-digit numbers, `_x000D_` escapes, spaces around unpreserved text, the Chinese built-in
date formats 27-36 and 50-58). The integrity scan that reads each sheet's XML anyway looks for
those; a workbook that shows any of them, or is too big to hold in memory, goes to openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext_noop

from .parsers import sheet_kind, sheet_names_hint
from .sources import HEADER_SCAN_ROWS, Limits, Row, UnreadableFile, Workbook, _check_rows, _Finder, _sources, _Table
from .xlsx_signs import CHUNK, SheetSigns, shared_strings_differ, styles_differ

# Small workbooks may compress very well (a sheet of empty rows); the ratio cap starts above this.
RATIO_FLOOR = 16 * 1024 * 1024
# calamine holds every sheet in memory (~32 bytes a cell plus its text, twice that while loading): above
# these openpyxl streams it. 100,000 rows of 20 columns (2 M cells, 116 MB of XML) peak at 244 MB an import.
FAST_MAX_CELLS = 2_500_000
FAST_MAX_XML_BYTES = 144 * 1024 * 1024
HEAD_WIDTH = 200  # a header is never 200 columns wide

_ROW_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_ROW_NUMBER_RE = re.compile(rb'\sr="(\d{1,9})"')


def _open_xlsx(path: Path, head: bytes, limits: Limits, finder: _Finder) -> Workbook:
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
        _check_unpacked(path, entries, limits)
        fast = _fast_tables(path, archive, limits)
        if fast is not None:
            tables, kinds, close = fast
            return _workbook(tables, kinds, limits, finder, close)
        return _load_xlsx(path, archive, limits, finder)
    finally:
        archive.close()


def _check_unpacked(path: Path, entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Zip bombs: the sizes a zip declares bound what zipfile will unpack (it stops there and checks
    the CRC), so capping the declared sizes caps the real work: in total, against the packed size,
    and for the shared strings, which openpyxl holds in memory whole (~8x their XML)."""
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.max_unpacked_bytes or len(entries) > 10_000:
        raise UnreadableFile(
            gettext_noop("The workbook unpacks to more than %(limit)s MB; it is refused as unsafe."),
            limit=limits.max_unpacked_bytes // (1024 * 1024),
        )
    packed = max(1, path.stat().st_size)
    if unpacked > RATIO_FLOOR and unpacked > packed * limits.max_ratio:
        raise UnreadableFile(
            gettext_noop(
                "The workbook unpacks to %(ratio)s times its size (more than %(limit)s); it is refused as unsafe."
            ),
            ratio=unpacked // packed,
            limit=limits.max_ratio,
        )
    shared = sum(e.file_size for e in entries if e.filename.lower().endswith("sharedstrings.xml"))
    if shared > limits.max_shared_strings_bytes:
        raise UnreadableFile(
            gettext_noop(
                "The workbook's text table (sharedStrings.xml) is larger than %(limit)s MB; it is refused as "
                "unsafe. Split the workbook or save it as csv."
            ),
            limit=limits.max_shared_strings_bytes // (1024 * 1024),
        )


def _workbook(
    tables: list[_Table], kinds: list[str | None], limits: Limits, finder: _Finder, close: Callable[[], None]
) -> Workbook:
    try:
        workbook = _sources(tables, kinds, limits, finder)
        if not workbook.sheets and not any(kinds):
            raise UnreadableFile(
                gettext_noop("No sheet of this workbook has a name the importer knows. Name the sheets %(names)s."),
                names=sheet_names_hint(),
            )
    except UnreadableFile:
        close()
        raise
    except Exception:  # noqa: BLE001
        close()
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    workbook.close = close
    return workbook


# ---------------------------------------------------------------------------------------------
# openpyxl: any workbook, one sheet streamed at a time


def _load_xlsx(path: Path, archive: zipfile.ZipFile, limits: Limits, finder: _Finder) -> Workbook:
    import openpyxl

    # Opened from a file object: openpyxl refuses a path by its name, and an export named .xls may be an xlsx.
    handle = path.open("rb")
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - openpyxl raises anything from KeyError to XML errors on a bad file
        handle.close()
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None

    def close() -> None:
        book.close()
        handle.close()

    try:
        tables = [_xlsx_table(archive, worksheet, limits.max_rows) for worksheet in book.worksheets]
        kinds = [sheet_kind(worksheet.title) for worksheet in book.worksheets]
    except Exception:  # noqa: BLE001
        close()
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    return _workbook(tables, kinds, limits, finder, close)


def _xlsx_table(archive: zipfile.ZipFile, worksheet, max_rows: int) -> _Table:
    def last_row() -> int:
        return _scan_sheet_xml(archive, worksheet._worksheet_path, max_rows=max_rows)

    def rows_from(first: int, last: int, width: int) -> Iterator[Row]:
        # Only the columns that matter, only the rows counted: a sheet cannot make us build
        # 16,384-cell rows or fill a million empty ones.
        cells = worksheet.iter_rows(min_row=first, max_row=last, max_col=width, values_only=True)
        yield from enumerate(cells, start=first)

    head = worksheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, max_col=HEAD_WIDTH, values_only=True)
    return _Table(worksheet.title, list(enumerate(head, 1)), last_row, rows_from)


def _scan_sheet_xml(archive: zipfile.ZipFile, member: str, *, max_rows: int, signs: SheetSigns | None = None) -> int:
    """Read a sheet's XML through once: it must be whole (CRC, well-formed); returns its last row.

    With `signs`, the same bytes also tell whether calamine would read the sheet as openpyxl does.
    """
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
                if signs is not None:
                    signs.feed(chunk)
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
            if signs is not None:
                signs.finish()
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, expat.ExpatError, OSError, KeyError, EOFError, ValueError, RuntimeError):
        raise UnreadableFile(gettext_noop("The workbook is damaged and cannot be read.")) from None
    return last


# ---------------------------------------------------------------------------------------------
# calamine: a workbook that reads the same through it, held in memory up to the caps


def _fast_tables(
    path: Path, archive: zipfile.ZipFile, limits: Limits
) -> tuple[list[_Table], list[str | None], Callable[[], None]] | None:
    """The sheets read through calamine, or None when openpyxl must read this workbook (any doubt)."""
    sheets = _worksheets(path)
    if sheets is None or styles_differ(archive) or shared_strings_differ(archive):
        return None
    lasts, cells, xml_bytes = [], 0, 0
    for _name, member in sheets:
        signs = SheetSigns()
        try:
            last = _scan_sheet_xml(archive, member, max_rows=limits.max_rows, signs=signs)
        except UnreadableFile:  # damaged, or too many rows: openpyxl's path says so as it always did
            return None
        if signs.differs:
            return None
        lasts.append(last)
        cells += last * signs.max_col
        xml_bytes += archive.getinfo(member).file_size
    if cells > FAST_MAX_CELLS or xml_bytes > FAST_MAX_XML_BYTES:
        return None
    return _calamine_tables(path, sheets, lasts)


def _worksheets(path: Path) -> list[tuple[str, str]] | None:
    """The worksheets as openpyxl lists them, (title, XML member), without opening any sheet."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.workbook.child import INVALID_TITLE_REGEX

    try:
        with path.open("rb") as handle:
            reader = ExcelReader(handle, read_only=True, keep_vba=False, keep_links=False)
            try:
                reader.read_manifest()
                reader.read_workbook()
                found = [
                    (sheet.name, rel.target.lstrip("/"))
                    for sheet, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type
                ]
            finally:
                reader.archive.close()
    except Exception:  # noqa: BLE001 - whatever openpyxl makes of a bad workbook, its own path says
        return None
    titles = [name.lower() for name, _member in found]
    # openpyxl renames a repeated title and refuses some characters: leave those to it.
    if len(set(titles)) != len(titles) or any(INVALID_TITLE_REGEX.search(name) for name, _m in found):
        return None
    return found


def _calamine_tables(
    path: Path, sheets: list[tuple[str, str]], lasts: list[int]
) -> tuple[list[_Table], list[str | None], Callable[[], None]] | None:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        tables = [
            _calamine_table(name, book.get_sheet_by_name(name), last)
            for (name, _member), last in zip(sheets, lasts, strict=True)
        ]
    except Exception:  # noqa: BLE001 - calamine's own errors: openpyxl's path reads it or says why not
        return None
    return tables, [sheet_kind(name) for name, _member in sheets], book.close


def _calamine_table(name: str, sheet, last: int) -> _Table:
    """The sheet as openpyxl's read-only rows give it: numbered from 1, each row padded to the width asked."""
    offset = sheet.start[1] if sheet.start else 0

    def rows_from(first: int, end: int, width: int) -> Iterator[Row]:
        # calamine's rows start at row 1 but at the sheet's first used column.
        blank = (None,) * width
        number = 0
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            if number > end:
                return
            if number >= first:
                row = (None,) * offset + tuple(map(_cell, cells)) if offset else tuple(map(_cell, cells))
                yield number, (row + blank)[:width] if len(row) < width else row[:width]
        for empty in range(max(first, number + 1), end + 1):
            yield empty, blank

    head = list(rows_from(1, min(last, HEADER_SCAN_ROWS), HEAD_WIDTH))
    return _Table(name, head, lambda: last, rows_from)


_MAX_EXACT = 2**53


def _cell(value):
    """A calamine cell as openpyxl gives it: None for empty, whole numbers as int, a date as a datetime."""
    kind = value.__class__
    if kind is str:
        return value if value else None
    if kind is float:
        return int(value) if value.is_integer() and -_MAX_EXACT < value < _MAX_EXACT else value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value
