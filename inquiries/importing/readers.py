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
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from .parsers import (
    SHEET_ORDER,
    SHEETS,
    HeaderMap,
    ImportProblem,
    column_hint,
    display_value,
    header_signature,
    is_blank,
    map_header,
    says_pst,
    sheet_kind,
    sheet_names_hint,
    suggest_column,
)

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
CHUNK = 1 << 20
# A csv cell can be long (an inquiry's message), but not unbounded.
csv.field_size_limit(min(sys.maxsize, 1 << 24))


class UnreadableFile(ImportProblem):
    """The whole file is refused."""


Row = tuple[int, tuple]  # (row number as the spreadsheet shows it, cell values)


@dataclass
class SheetSource:
    """One sheet to import: its kind, its header, how many data rows, and its rows on demand."""

    name: str
    kind: str
    header: HeaderMap
    data_rows: int
    rows: Callable[[], Iterator[Row]] = field(repr=False)
    header_row: int = 1
    preamble: list[str] = field(default_factory=list)  # the title rows above the header
    mapping: str = ""  # the saved mapping that read it
    skipped_rows: list[int] = field(default_factory=list)  # totals and notes rows at the end, filled by rows()


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


@dataclass(frozen=True)
class MappingRule:
    """A saved column mapping as the reader applies it (the reader never touches the database)."""

    name: str
    signature: str
    kind: str
    columns: tuple[str, ...]  # per header cell: a column key of `kind`, or "" to ignore it
    time_zone: str  # "company", or the zone the file's times are written in


class NeedsMapping(UnreadableFile):
    """No sheet of the file is known by its name or by a saved mapping: operations map it once."""

    def __init__(self, preview: dict):
        super().__init__(
            gettext_noop(
                "The columns of sheet %(sheet)s are not known to the importer: map them once on this import's "
                "page. Sheets named %(names)s are read without a mapping."
            ),
            sheet=preview["sheet"],
            names=sheet_names_hint(),
        )
        self.preview = preview


@dataclass
class Limits:
    """The caps that bound what one file may cost to open (memory, time), beside the upload's size."""

    max_rows: int
    max_unpacked_bytes: int
    max_ratio: int = 200  # unpacked size over packed size, for files above RATIO_FLOOR
    max_shared_strings_bytes: int = 64 * 1024 * 1024


# Small workbooks may compress very well (a sheet of empty rows); the ratio cap starts above this.
RATIO_FLOOR = 16 * 1024 * 1024
HEADER_SCAN_ROWS = 30  # the header row is looked for in the first 30 rows


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


class _Finder:
    """The saved mappings the file's first rows name, looked up once for the whole file."""

    def __init__(self, forced: MappingRule | None, lookup: Callable[[set[str]], dict[str, MappingRule]] | None):
        self.forced, self.lookup = forced, lookup

    def find(self, head: list[Row]) -> tuple[MappingRule, int, tuple] | None:
        signatures = {header_signature(cells): (number, cells) for number, cells in head if not _blank_row(cells)}
        if self.forced is not None:
            found = {self.forced.signature: self.forced} if self.forced.signature in signatures else {}
        else:
            found = self.lookup(set(signatures)) if self.lookup and signatures else {}
        for signature, (number, cells) in signatures.items():
            if signature in found:
                return found[signature], number, cells
        return None


def _blank_row(cells) -> bool:
    return all(is_blank(c) for c in cells)


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
# The header row, a saved mapping, the rows after it


@dataclass
class _Table:
    """One sheet as read so far: its first rows, and how to read the rest."""

    name: str
    head: list[Row]  # the first HEADER_SCAN_ROWS rows, numbered as the spreadsheet shows them
    last_row: Callable[[], int]  # checks the sheet whole; called only for a sheet that is imported
    rows_from: Callable[[int, int, int], Iterator[Row]]  # (first row, last row, width)


@dataclass
class _Found:
    kind: str
    header: HeaderMap
    header_row: int
    mapping: MappingRule | None = None


def _apply_mapping(rule: MappingRule, cells: tuple) -> HeaderMap:
    spec = SHEETS[rule.kind]
    keys = {c.key for c in spec.columns}
    index, labels, unknown = {}, {}, []
    for position, cell in enumerate(cells):
        label = "" if is_blank(cell) else str(cell).replace("\x00", "").strip()[:100]
        key = rule.columns[position] if position < len(rule.columns) else ""
        if key in keys and key not in index:
            index[key], labels[key] = position, label or key
        elif label:
            unknown.append(label)
    missing = [c.key for c in spec.required if c.key not in index]
    zones = {}
    if rule.time_zone != "company":
        zones = {c.key: rule.time_zone for c in spec.columns if c.time and c.key in index}
    return HeaderMap(index=index, labels=labels, unknown=unknown, missing=missing, duplicates=[], zones=zones)


def _find_header(table: _Table, kind: str | None, finder: _Finder) -> _Found | None:
    """The sheet's header: a saved mapping's row, else the first row that is a whole header of `kind`.

    None when the sheet is empty; for a sheet of no known kind, None as well (the caller asks for a mapping).
    """
    saved = finder.find(table.head)
    if saved is not None:
        rule, number, cells = saved
        return _Found(rule.kind, _apply_mapping(rule, cells), number, rule)
    rows = [(n, cells) for n, cells in table.head if not _blank_row(cells)]
    if not rows or kind is None:
        return None
    for number, cells in rows:
        header = map_header(SHEETS[kind], cells)
        if header.index and not header.missing:
            return _Found(kind, header, number)
    # Nothing better: the first row says what is wrong.
    number, cells = rows[0]
    return _Found(kind, map_header(SHEETS[kind], cells), number)


def mapping_preview(table: _Table) -> dict:
    """What the mapping page shows: the likely header row, sample values, suggested kind and columns."""
    rows = [(n, cells) for n, cells in table.head if not _blank_row(cells)]

    def hits(cells, kind):
        return sum(1 for c in cells if not is_blank(c) and suggest_column(SHEETS[kind], c))

    best = max(rows, key=lambda r: (max(hits(r[1], k) for k in SHEET_ORDER), -r[0]))
    if max(hits(best[1], k) for k in SHEET_ORDER) == 0:
        best = next((r for r in rows if sum(not is_blank(c) for c in r[1]) >= 2), rows[0])
    number, cells = best
    width = len(cells)
    while width and is_blank(cells[width - 1]):
        width -= 1
    headers = ["" if is_blank(c) else str(c).strip()[:100] for c in cells[:width]]
    samples = [r for n, r in rows if n > number and not _is_note(r, 2)][:3]
    suggestions = {kind: [suggest_column(SHEETS[kind], h) or "" if h else "" for h in headers] for kind in SHEET_ORDER}
    kind = max(SHEET_ORDER, key=lambda k: (sum(1 for s in suggestions[k] if s), -SHEET_ORDER.index(k)))
    return {
        "sheet": table.name[:100],
        "header_row": number,
        "signature": header_signature(cells),
        "headers": headers,
        "samples": [[display_value(r[i]) if i < len(r) else "" for r in samples] for i in range(width)],
        "kind": kind,
        "suggestions": suggestions,
        "pst": any(says_pst(h) for h in headers),
    }


_NOTE_RE = re.compile(r"^\s*(合计|总计|小计|汇总|总数|注|备注|说明|数据来源|统计时间|total|sum|note|notes)\b", re.I)


def _is_note(cells: tuple, required: int) -> bool:
    """A totals or notes row: it starts with 合计/总计/注/Total…, or is one lone cell (a merged note)."""
    first, filled = None, 0
    for cell in cells:  # the first filled cell, and whether there is a second (a data row has many)
        if not is_blank(cell):
            filled += 1
            if filled == 2:
                break
            first = cell
    if not filled:
        return False
    return (isinstance(first, str) and bool(_NOTE_RE.match(first))) or (filled == 1 and required >= 2)


def _without_trailing_notes(rows: Iterator[Row], required: int, skipped: list[int]) -> Iterator[Row]:
    """The rows, less the totals and notes rows at the end (reported in `skipped`, not as errors).

    Such rows in the middle are handed out as usual: only data follows the header there.
    """
    held: list[Row] = []
    for number, cells in rows:
        if _is_note(cells, required) or (held and _blank_row(cells)):
            held.append((number, cells))
            continue
        yield from held
        held = []
        yield number, cells
    skipped.extend(number for number, cells in held if not _blank_row(cells))


def _preamble(table: _Table, header_row: int) -> list[str]:
    """The text of the rows above the header (titles, the export's date range), for the sheet kinds that read it."""
    return [
        " ".join(str(c).strip() for c in cells if not is_blank(c))[:300]
        for number, cells in table.head
        if number < header_row and not _blank_row(cells)
    ]


def _sources(tables: list[_Table], kinds: list[str | None], limits: Limits, finder: _Finder) -> Workbook:
    """Each table with its kind and header, in import order; ask for a mapping when none is known."""
    found_by_kind: dict[str, tuple[_Table, _Found]] = {}
    ignored, unmapped = [], []
    for table, named in zip(tables, kinds, strict=True):
        found = _find_header(table, named, finder)
        if found is None:
            if named is None and any(not _blank_row(cells) for _n, cells in table.head):
                unmapped.append(table)
                ignored.append(table.name)
            elif named is None:
                ignored.append(table.name)
            continue
        if found.kind in found_by_kind:
            ignored.append(table.name)
            continue
        found_by_kind[found.kind] = (table, found)
    if not found_by_kind:
        if unmapped:
            raise NeedsMapping(mapping_preview(unmapped[0]))
        return Workbook([], ignored)
    sources, total = [], 0
    for kind in SHEET_ORDER:
        if kind not in found_by_kind:
            continue
        table, found = found_by_kind[kind]
        _check_header(table.name, kind, found.header)
        last_row = table.last_row()
        data_rows = max(0, last_row - found.header_row)
        total += data_rows
        _check_rows(total, limits.max_rows)
        skipped: list[int] = []
        required = len(SHEETS[kind].required)

        def rows(table=table, found=found, last_row=last_row, skipped=skipped, required=required):
            skipped.clear()
            inner = table.rows_from(found.header_row + 1, last_row, max(1, found.header.width))
            return _without_trailing_notes(inner, required, skipped)

        sources.append(
            SheetSource(
                table.name,
                kind,
                found.header,
                data_rows,
                rows,
                header_row=found.header_row,
                preamble=_preamble(table, found.header_row),
                mapping=found.mapping.name if found.mapping else "",
                skipped_rows=skipped,
            )
        )
    return Workbook(sources, ignored)


# ---------------------------------------------------------------------------------------------
# xlsx

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


def _xlsx_table(archive: zipfile.ZipFile, worksheet, max_rows: int) -> _Table:
    def last_row() -> int:
        return _scan_sheet_xml(archive, worksheet._worksheet_path, max_rows=max_rows)

    def rows_from(first: int, last: int, width: int) -> Iterator[Row]:
        # Only the columns that matter, only the rows counted: a sheet cannot make us build
        # 16,384-cell rows or fill a million empty ones.
        cells = worksheet.iter_rows(min_row=first, max_row=last, max_col=width, values_only=True)
        yield from enumerate(cells, start=first)

    # The first rows, up to a sane width: a header is never 200 columns wide.
    head = list(enumerate(worksheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, max_col=200, values_only=True), 1))
    return _Table(worksheet.title, head, last_row, rows_from)


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
