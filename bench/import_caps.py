"""What opening an untrusted import file costs under the caps (issue 13, item 5): wall time and peak memory.

Each case crafts a file at the edge of what the settings allow, then reads it in a fresh process the
way the worker does (open_workbook, every row handed out), and reports seconds and peak RSS. No
database: the rows an import may write are bounded by IMPORT_MAX_ROWS and measured by import_bench.

    DJANGO_DEBUG=1 .venv/bin/python bench/import_caps.py [--sheet-mb 1000] [--shared-mb 32]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def base_parts() -> dict[str, bytes]:
    from openpyxl import Workbook

    with tempfile.TemporaryDirectory() as tmp:
        book = Workbook()
        book.active.title = "inquiries"
        book.active.append(["inquiry_id", "account", "received_at"])
        book.save(Path(tmp) / "b.xlsx")
        with zipfile.ZipFile(Path(tmp) / "b.xlsx") as source:
            return {name: source.read(name) for name in source.namelist()}


def sheet_bomb(path: Path, *, sheet_mb: int, rows: int, pad_mb: int) -> Path:
    """A sheet of `sheet_mb` MB in at most `rows` rows, and `pad_mb` MB of random bytes that keep the ratio low."""
    parts = base_parts()
    sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    cell = b'<c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c>"
    row_bytes = sheet_mb * 1024 * 1024 // rows
    row = b"<row>" + cell * max(1, row_bytes // len(cell)) + b"</row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, data in parts.items():
            if name != sheet_name:
                book.writestr(name, data)
        with book.open(sheet_name, "w") as sheet:
            sheet.write(NS)
            header = b'<row><c t="inlineStr"><is><t>inquiry_id</t></is></c><c t="inlineStr"><is><t>account</t></is></c>'
            sheet.write(header + b'<c t="inlineStr"><is><t>received_at</t></is></c></row>')
            for _ in range(rows):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
        if pad_mb:
            book.writestr(zipfile.ZipInfo("xl/media/pad.bin"), os.urandom(pad_mb * 1024 * 1024), zipfile.ZIP_STORED)
    return path


def shared_strings(path: Path, *, shared_mb: int, pad_mb: int) -> Path:
    """A workbook whose sharedStrings.xml is `shared_mb` MB of short distinct strings."""
    parts = base_parts()
    count = shared_mb * 1024 * 1024 // 25  # bytes of one <si><t>000000001</t></si>
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, data in parts.items():
            if name == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            book.writestr(name, data)
        with book.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for n in range(count):
                strings.write(b"<si><t>%09d</t></si>" % n)
            strings.write(b"</sst>")
        if pad_mb:
            book.writestr(zipfile.ZipInfo("xl/media/pad.bin"), os.urandom(pad_mb * 1024 * 1024), zipfile.ZIP_STORED)
    return path


def read_in_child(path: Path) -> None:
    """Run in a fresh process: open the file as the worker does and hand out every row."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inquiryhub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from inquiries.importing.readers import UnreadableFile, open_workbook

    started = time.perf_counter()
    rows = 0
    try:
        with open_workbook(
            path,
            kind="xlsx",
            sheet=None,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024,
            max_ratio=settings.IMPORT_MAX_UNPACK_RATIO,
            max_shared_strings_bytes=settings.IMPORT_MAX_SHARED_STRINGS_MB * 1024 * 1024,
        ) as book:
            for source in book.sheets:
                for _row in source.rows():
                    rows += 1
        outcome = "read"
    except UnreadableFile as exc:
        outcome = "refused: " + exc.render()[:90]
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.1f}\t{peak:.0f}\t{rows}\t{outcome}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sheet-mb", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--shared-mb", type=int, default=32)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        read_in_child(Path(args.child))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            f"sheet XML {args.sheet_mb} MB, ratio kept under the cap by padding": sheet_bomb(
                Path(tmp) / "a.xlsx", sheet_mb=args.sheet_mb, rows=args.rows, pad_mb=args.sheet_mb // 90 + 1
            ),
            f"sheet XML {args.sheet_mb} MB, no padding (deflate level 1: ratio ~98)": sheet_bomb(
                Path(tmp) / "b.xlsx", sheet_mb=args.sheet_mb, rows=args.rows, pad_mb=0
            ),
            f"sharedStrings.xml {args.shared_mb} MB": shared_strings(
                Path(tmp) / "c.xlsx", shared_mb=args.shared_mb, pad_mb=0
            ),
        }
        print("case\tpacked MB\tseconds\tpeak RSS MB\trows\toutcome")
        for name, path in cases.items():
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=False
            )
            line = child.stdout.strip() or child.stderr.strip()[-300:]
            print(f"{name}\t{path.stat().st_size / 1024 / 1024:.1f}\t{line}")


if __name__ == "__main__":
    main()
