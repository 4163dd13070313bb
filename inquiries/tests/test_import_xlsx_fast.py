"""xlsx through python-calamine (issue 15): the very cells openpyxl gives, or openpyxl itself where calamine
would read a cell otherwise (a formula, an error cell, …); damaged files refused with the same message."""

import datetime as dt
import random
import zipfile

import pytest
from django.utils import translation

from inquiries.importing import xlsx
from inquiries.importing.readers import NeedsMapping, UnreadableFile, open_workbook
from inquiries.importing.sources import Limits
from inquiries.tests.import_files import write_xlsx

LIMITS = {"max_rows": 500_000, "max_unpacked_bytes": 1024 * 1024 * 1024}
HEADER = ["inquiry_id", "account", "received_at", "buyer_name", "quantity", "order_amount_usd"]
HEADER += ["buyer_phone", "message", "trade_assurance"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def read_all(path):
    with open_workbook(path, kind="xlsx", sheet=None, **LIMITS) as book:
        return {s.kind: (s.header, s.data_rows, s.header_row, list(s.rows())) for s in book.sheets}, book.ignored_sheets


def through_openpyxl(monkeypatch, path):
    with monkeypatch.context() as patch:
        patch.setattr(xlsx, "_fast_tables", lambda *args: None)
        return read_all(path)


def read_refusing(monkeypatch, path, reader: str, why: str):
    """Read the workbook with xlsx.<reader> made to fail, so that the other path must serve."""

    def refuse(*args):
        raise AssertionError(why)

    with monkeypatch.context() as patch:
        patch.setattr(xlsx, reader, refuse)
        return read_all(path)


def through_calamine(monkeypatch, path):
    return read_refusing(monkeypatch, path, "_load_xlsx", "read by openpyxl")


def not_through_calamine(monkeypatch, path):
    return read_refusing(monkeypatch, path, "_calamine_tables", "read by calamine")


def tables(path, fast: bool):
    """The reader's tables of every sheet: first rows, last row and all rows, as the import would ask."""
    import openpyxl

    with zipfile.ZipFile(path) as archive:
        if fast:
            found, _kinds, close = xlsx._fast_tables(path, archive, Limits(**LIMITS))
        else:
            book = openpyxl.load_workbook(path, read_only=True)
            found, close = [xlsx._xlsx_table(archive, ws, LIMITS["max_rows"]) for ws in book.worksheets], book.close
        seen = [(t.name, t.head, t.last_row(), list(t.rows_from(2, t.last_row(), 12))) for t in found]
        close()
    return seen


def a_ledger(path):
    rows = [
        HEADER,
        ["A1", "cn1", dt.datetime(2024, 3, 5, 14, 30, 15), "张伟", 500, 1234.5, "00861381234", "询盘：LED 灯", True],
        ["A2", None, dt.datetime(2024, 3, 6, 9, 0), None, 0, -7.25, "12", None, False],  # empty in the middle
        ["A3", "cn1", dt.datetime(2023, 12, 31, 23, 59, 59, 250000), "Ms O'Neil", 2**40, 0.1, None, None, None],
    ]
    write_xlsx(path, {"询盘": rows, "Notes": [["anything"], [None, "B2 only"]]})
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["询盘"]
    sheet["J1"], sheet["K1"] = "day", "time"
    sheet["J2"] = dt.date(2024, 3, 5)  # a date-only cell
    sheet["J2"].number_format = "yyyy-mm-dd"
    sheet["K2"] = dt.time(9, 15)
    sheet["J3"] = 45356
    sheet["J3"].number_format = 'yyyy"年"m"月"d"日"'  # a Chinese custom date format
    sheet["K3"] = dt.timedelta(hours=30)
    sheet["K3"].number_format = "[h]:mm:ss"
    sheet["H4"] = "  spaced text  "
    sheet.cell(row=8, column=2).style = "Good"  # a styled empty row after the data
    book.save(path)
    return path


def test_a_ledger_without_formulas_reads_the_same_through_calamine_as_through_openpyxl(tmp_path, monkeypatch):
    path = a_ledger(tmp_path / "ledger.xlsx")
    fast = through_calamine(monkeypatch, path)
    assert fast == through_openpyxl(monkeypatch, path)
    sheets, ignored = fast
    assert ignored == ["Notes"]
    header, data_rows, header_row, rows = sheets["inquiries"]
    assert (data_rows, header_row) == (7, 1)
    a1 = ("A1", "cn1", dt.datetime(2024, 3, 5, 14, 30, 15), "张伟", 500, 1234.5, "00861381234", "询盘：LED 灯", True)
    a3 = ("A3", "cn1", dt.datetime(2023, 12, 31, 23, 59, 59, 250000), "Ms O'Neil", 2**40, 0.1, None, "  spaced text  ")
    assert rows[:3] == [
        (2, a1),
        (3, ("A2", None, dt.datetime(2024, 3, 6, 9, 0), None, 0, -7.25, "12", None, False)),
        (4, (*a3, None)),
    ]
    assert type(rows[0][1][4]) is int and type(rows[0][1][5]) is float
    # Every sheet, cell by cell, as the header finding and the mapping page see them (the extra columns too).
    assert tables(path, fast=True) == tables(path, fast=False)
    extra = {row[0]: row[1][9:11] for row in tables(path, fast=True)[0][3][:3]}
    assert extra == {
        2: (dt.datetime(2024, 3, 5), dt.time(9, 15)),
        3: (dt.datetime(2024, 3, 5), dt.timedelta(hours=30)),
        4: (None, None),
    }


def test_a_sheet_starting_at_b3_keeps_excels_row_numbers_and_columns(tmp_path, monkeypatch):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "inquiries"
    sheet["B1"] = "Inquiries export 2024-03"  # a title row above the header, column A empty throughout
    for offset, row in enumerate([["inquiry_id", "account", "received_at"], ["A1", "cn1", "2024-03-05"]]):
        for column, value in enumerate(row, start=2):
            sheet.cell(row=3 + offset, column=column, value=value)
    path = tmp_path / "offset.xlsx"
    book.save(path)
    fast = through_calamine(monkeypatch, path)
    assert fast == through_openpyxl(monkeypatch, path)
    _header, data_rows, header_row, rows = fast[0]["inquiries"]
    assert (data_rows, header_row, rows) == (1, 3, [(4, (None, "A1", "cn1", "2024-03-05"))])
    assert tables(path, fast=True) == tables(path, fast=False)
    assert tables(path, fast=True)[0][3] == [
        (2, (None,) * 12),
        (3, (None, "inquiry_id", "account", "received_at") + (None,) * 8),
        (4, (None, "A1", "cn1", "2024-03-05") + (None,) * 8),
    ]


def test_any_time_of_day_in_a_date_cell_comes_out_as_openpyxl_rounds_it(tmp_path):
    rng = random.Random(15)
    serials = [rng.uniform(0, 80_000) for _ in range(400)] + [rng.uniform(0, 1) for _ in range(100)] + [59, 60, 61]
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "inquiries"
    for number, serial in enumerate(serials, start=1):
        sheet.cell(row=number, column=1, value=serial).number_format = "yyyy-mm-dd hh:mm:ss"
        sheet.cell(row=number, column=2, value=serial).number_format = "hh:mm:ss"
    path = tmp_path / "times.xlsx"
    book.save(path)
    fast, slow = tables(path, fast=True), tables(path, fast=False)
    assert fast == slow
    assert isinstance(fast[0][3][0][1][0], dt.datetime)


def test_a_workbook_counting_days_from_1904_reads_the_same(tmp_path, monkeypatch):
    import openpyxl
    from openpyxl.utils.datetime import MAC_EPOCH

    book = openpyxl.Workbook()
    book.epoch = MAC_EPOCH
    sheet = book.active
    sheet.title = "inquiries"
    sheet.append(["inquiry_id", "account", "received_at"])
    sheet.append(["A1", "cn1", dt.datetime(2024, 3, 5, 14, 30)])
    sheet["C2"].number_format = "yyyy-mm-dd hh:mm"
    path = tmp_path / "mac.xlsx"
    book.save(path)
    fast = through_calamine(monkeypatch, path)
    assert fast == through_openpyxl(monkeypatch, path)
    assert fast[0]["inquiries"][3] == [(2, ("A1", "cn1", dt.datetime(2024, 3, 5, 14, 30)))]


def test_a_formula_keeps_its_text_and_its_workbook_is_read_by_openpyxl(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": [["inquiry_id", "account", "received_at", "buyer_name"]]})
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["inquiries"].append(["A1", "cn1", "2024-03-05", "=A2&B2"])
    book.save(path)
    sheets, _ = not_through_calamine(monkeypatch, path)
    assert sheets["inquiries"][3] == [(2, ("A1", "cn1", "2024-03-05", "=A2&B2"))]
    assert read_all(path) == (sheets, [])


PARTS = {"sheet": "xl/worksheets/sheet1.xml", "strings": "xl/sharedStrings.xml", "styles": "xl/styles.xml"}


def repack(path, parts: dict[str, bytes]):
    """The workbook with some parts' bytes replaced or added."""
    with zipfile.ZipFile(path) as source:
        content = {name: source.read(name) for name in source.namelist()}
    content.update(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in content.items():
            book.writestr(name, data)
    return path


def part(path, name: str) -> bytes:
    with zipfile.ZipFile(path) as book:
        return book.read(name)


SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>inquiry_id</t></is></c><c r="B1" t="inlineStr"><is><t>account</t>'
    b'</is></c><c r="C1" t="inlineStr"><is><t>received_at</t></is></c><c r="D1" t="inlineStr"><is><t>buyer_name'
    b"</t></is></c></row>"
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>A1</t></is></c><c r="B2" t="inlineStr"><is><t>cn1</t></is></c>'
    b'<c r="C2" t="inlineStr"><is><t>2024-03-05</t></is></c>%s</row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (b'<c r="D2" t="e"><v>#N/A</v></c>', "#N/A"),
        (b'<c r="D2"><v>1234567890123456789</v></c>', 1234567890123456789),
        (b'<c r="D2" t="inlineStr"><is><t>line_x000D_</t></is></c>', "line_x000D_"),
        (b'<c r="D2" t="inlineStr"><is><r><t>Mr </t></r><r><t>Wang</t></r></is></c>', "Mr Wang"),
        (b'<c r="D2" t="d"><v>2024-03-05</v></c>', dt.date(2024, 3, 5)),
        (b"<c t='inlineStr'><is><t>no place</t></is></c>", "no place"),
    ],
    ids=["error", "16-digits", "escape", "unpreserved-spaces", "iso-date", "no-cell-reference"],
)
def test_a_cell_calamine_would_read_otherwise_sends_the_workbook_to_openpyxl(tmp_path, monkeypatch, cell, value):
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": [["x"]]})
    repack(path, {PARTS["sheet"]: SHEET % cell})
    sheets, _ = not_through_calamine(monkeypatch, path)
    assert sheets["inquiries"][3][0][1][3] == value


def test_a_builtin_chinese_date_format_sends_the_workbook_to_openpyxl(tmp_path, monkeypatch):
    # numFmtId 31 is Excel's 2024年3月5日 in a Chinese locale: calamine reads a date, openpyxl a number.
    rows = [["inquiry_id", "account", "received_at"], ["A1", "cn1", 45356]]
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": rows})
    styles = part(path, PARTS["styles"]).replace(b'<cellXfs count="1">', b'<cellXfs count="2">')
    xf = b'<xf numFmtId="31" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
    styles = styles.replace(b"</cellXfs>", xf + b"</cellXfs>")
    sheet = part(path, PARTS["sheet"]).replace(b'<c r="C2" t="n">', b'<c r="C2" s="1" t="n">')
    assert b's="1"' in sheet and b'numFmtId="31"' in styles
    repack(path, {PARTS["styles"]: styles, PARTS["sheet"]: sheet})
    sheets, _ = not_through_calamine(monkeypatch, path)
    assert sheets["inquiries"][3] == [(2, ("A1", "cn1", 45356))]


def test_a_workbook_above_the_cells_calamine_may_hold_is_streamed_by_openpyxl(tmp_path, monkeypatch):
    rows = [["inquiry_id", "account", "received_at"]] + [[f"A{i}", "cn1", "2024-03-05"] for i in range(40)]
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": rows})
    monkeypatch.setattr(xlsx, "FAST_MAX_CELLS", 41 * 3 - 1)
    sheets, _ = not_through_calamine(monkeypatch, path)
    assert sheets["inquiries"][1] == 40
    monkeypatch.setattr(xlsx, "FAST_MAX_CELLS", 41 * 3)
    assert through_calamine(monkeypatch, path) == (sheets, [])
    with zipfile.ZipFile(path) as book:
        monkeypatch.setattr(xlsx, "FAST_MAX_XML_BYTES", book.getinfo(PARTS["sheet"]).file_size - 1)
    assert not_through_calamine(monkeypatch, path) == (sheets, [])


def test_an_unknown_sheet_asks_for_the_same_mapping_either_way(tmp_path, monkeypatch):
    rows = [["询盘编号", "账号", "询盘时间"], ["A1", "cn1", dt.datetime(2024, 3, 5)]]
    path = write_xlsx(tmp_path / "book.xlsx", {"Sheet1": rows})
    with pytest.raises(NeedsMapping) as fast:
        through_calamine(monkeypatch, path)
    with pytest.raises(NeedsMapping) as slow:
        through_openpyxl(monkeypatch, path)
    assert fast.value.preview == slow.value.preview
    assert fast.value.preview["samples"] == [["A1"], ["cn1"], ["2024-03-05 00:00:00"]]


def test_damaged_shared_strings_get_the_same_clear_message(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": [["inquiry_id", "account", "received_at"]]})
    sheet = SHEET.replace(b't="inlineStr"><is><t>inquiry_id</t></is>', b't="s"><v>0</v>') % b""
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>inquiry_id</t></si>'
    types = part(path, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument'
        b'.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = part(path, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument'
        b'/2006/relationships/sharedStrings"/></Relationships>',
    )
    repack(path, {PARTS["sheet"]: sheet, "[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels})
    whole = repack(path, {PARTS["strings"]: strings + b"</sst>"})
    assert through_calamine(monkeypatch, whole)[0]["inquiries"][3] == [(2, ("A1", "cn1", "2024-03-05", None))]
    cut = repack(path, {PARTS["strings"]: strings})  # cut off before </sst>
    with pytest.raises(UnreadableFile, match="damaged and cannot be read"):
        read_all(cut)


def test_a_sheet_cut_off_midway_gets_the_same_clear_message(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": [["x"]]})
    repack(path, {PARTS["sheet"]: (SHEET % b"").replace(b"</sheetData></worksheet>", b"<row><c>")})
    with pytest.raises(UnreadableFile, match="damaged and cannot be read"):
        read_all(path)
