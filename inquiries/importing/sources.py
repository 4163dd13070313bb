"""What every reader of an import file shares (part of `readers`, which re-exports the public names):
the sheet and workbook types, the caps, finding the header row or a saved mapping, the rows after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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
    sheet_names_hint,
    suggest_column,
)


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


HEADER_SCAN_ROWS = 30  # the header row is looked for in the first 30 rows


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
