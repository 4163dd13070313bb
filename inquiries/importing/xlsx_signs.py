"""What an xlsx file's XML shows that python-calamine would read otherwise than openpyxl (part of `xlsx`).

Each difference was found by reading the same cells through both (tests: test_import_xlsx_fast.py).
calamine gives a formula's cached value (the import keeps the formula's text); "" for an error cell
(openpyxl: "#N/A"); a date for an ISO date cell; a float for a 16-digit number (openpyxl: the exact
int); decodes `_x000D_` escapes (openpyxl keeps them as typed); trims text not marked
`xml:space="preserve"` (openpyxl keeps its spaces); reads the built-in Chinese/Japanese/Korean date
formats 27-36 and 50-58 as dates (openpyxl: as numbers). A file showing any of these is read by
openpyxl, as before.
"""

from __future__ import annotations

import re
import zipfile

CHUNK = 1 << 20
_LONGEST_ROW = 16 * CHUNK  # a row's XML held whole to look inside its cells; a longer one is left to openpyxl

_ROOT_RE = {tag: re.compile(rb"<([A-Za-z_][\w.-]*:)?" + tag + rb"[\s>]") for tag in (b"worksheet", b"sst")}
_LETTERS = b"ZYXWVUTSRQPONMLKJIHGFEDCBA"


def _text_patterns(prefix: bytes) -> list[tuple[str, re.Pattern]]:
    tag = re.escape(b"<" + prefix)
    return [
        ("an _xHHHH_ escape", re.compile(rb"_x[0-9A-Fa-f]{4}_")),
        ("a CDATA section", re.compile(rb"<!\[CDATA\[")),
        # <t> without xml:space="preserve" whose text starts or ends with a space: calamine trims it.
        ("spaces around unpreserved text", re.compile(tag + rb"t>(?:[ \t\r\n]|[^<]*+(?<=[ \t\r\n])<)")),
    ]


def _sheet_patterns(prefix: bytes) -> list[tuple[str, re.Pattern]]:
    tag = re.escape(b"<" + prefix)
    return [
        ("a formula", re.compile(tag + rb"f[\s/>]")),
        # t="e" (openpyxl: "#N/A", calamine: empty), t="d" (an ISO date: openpyxl may give a date, not a datetime)
        ("an error or ISO date cell", re.compile(rb"""\bt=["'][ed]["']""")),
        ("a number of 16 digits or more", re.compile(tag + rb"v>\s*-?\d{16}")),
        *_text_patterns(prefix),
    ]


class _Units:
    """An XML part read in chunks, handed out in whole units (rows, shared strings) to look inside them."""

    def __init__(self, root: bytes, unit: bytes, patterns):
        self.root, self.unit, self.make_patterns = root, unit, patterns
        self.differs = ""  # why calamine may not read this part as openpyxl does, or ""
        self._pending = b""
        self._prefix: bytes | None = None
        self._patterns: list[tuple[str, re.Pattern]] = []

    def feed(self, chunk: bytes) -> None:
        if self.differs:
            return
        text = self._pending + chunk
        if self._prefix is None:
            root = _ROOT_RE[self.root].search(text)
            if root is None:
                self._pending = text
                if len(text) > CHUNK:
                    self.differs = "no root element"
                return
            self._prefix = root.group(1) or b""
            self._patterns = self.make_patterns(self._prefix)
        cut = text.rfind(b"</" + self._prefix + self.unit + b">")
        if cut < 0:
            self._pending = text
            if len(text) > _LONGEST_ROW:
                self.differs = "a row longer than 16 MB"
            return
        cut += len(self.unit) + len(self._prefix) + 3
        self._pending = text[cut:]
        self.check(text[:cut])

    def finish(self) -> None:
        if self._prefix is None:
            self.differs = self.differs or "no root element"
        elif not self.differs:
            self.check(self._pending)
        self._pending = b""

    def check(self, text: bytes) -> None:
        for reason, pattern in self._patterns:
            if pattern.search(text):
                self.differs = reason
                return


class SheetSigns(_Units):
    """Fed a sheet's XML: whether calamine reads it as openpyxl does, and its widest column."""

    def __init__(self):
        super().__init__(b"worksheet", b"row", _sheet_patterns)
        self.max_col = 0

    def check(self, text: bytes) -> None:
        super().check(text)
        if self.differs:
            return
        # Every cell must say where it is, first (r="B7"): the widest column bounds what calamine holds.
        tag = b"<" + self._prefix + b"c"
        placed = text.count(tag + b' r="')
        if text.count(tag) != placed:
            others = len(re.findall(re.escape(tag) + rb"[\w.:-]", text))  # <col>, <cfRule>…: not cells
            if text.count(tag) - others != placed + text.count(tag + b" r='"):
                self.differs = "a cell without its place first"
                return
        if self.max_col < 26:
            after = _LETTERS[: 26 - self.max_col]  # only a column right of the widest seen so far
            found = re.findall(re.escape(tag) + rb""" r=["']([%s]|[A-Z]{2,3})\d""" % after, text)
        else:
            found = re.findall(re.escape(tag) + rb""" r=["']([A-Z]{2,3})\d""", text)
        if found:
            self.max_col = max(self.max_col, max(_column(letters) for letters in set(found)))


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _members(archive: zipfile.ZipFile, suffix: str) -> list[str]:
    return [name for name in archive.namelist() if name.lower().endswith(suffix)]


def shared_strings_differ(archive: zipfile.ZipFile) -> str:
    """Why calamine would read the shared strings otherwise than openpyxl, or ""."""
    for member in _members(archive, "sharedstrings.xml"):
        units = _Units(b"sst", b"si", _text_patterns)
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    units.feed(chunk)
                    if units.differs:
                        return units.differs
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            return "damaged shared strings"
        units.finish()
        if units.differs:
            return units.differs
    return ""


_CJK_DATE_FORMAT_RE = re.compile(rb"""numFmtId\s*=\s*["'](?:2[7-9]|3[0-6]|5[0-8])["']""")


def styles_differ(archive: zipfile.ZipFile) -> str:
    """A style using a built-in CJK date format (27-36, 50-58): calamine reads it as a date, openpyxl as a number."""
    for member in _members(archive, "styles.xml"):
        try:
            if archive.getinfo(member).file_size > 64 * CHUNK:
                return "a very large style sheet"
            if _CJK_DATE_FORMAT_RE.search(archive.read(member)):
                return "a built-in CJK date format"
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            return "damaged styles"
    return ""
