"""Opening untrusted files: encodings detected, bad files refused whole, zip bombs and row floods refused."""

import datetime as dt
import time
import zipfile

import pytest
from django.utils import translation

from inquiries.importing.readers import UnreadableFile, open_workbook
from inquiries.tests.import_files import csv_bytes, write_xlsx, zip_bomb_workbook

LIMITS = {"max_rows": 500_000, "max_unpacked_bytes": 1024 * 1024 * 1024}
HEADER_ZH = ["询盘编号", "账号", "询盘时间", "买家姓名", "国家"]
ROW_ZH = ["A001", "cn1", "2024-03-05 14:30", "张伟", "美国"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def read_all(path, *, kind, sheet=None, **limits):
    with open_workbook(path, kind=kind, sheet=sheet, **{**LIMITS, **limits}) as book:
        return {s.kind: (s.header, s.data_rows, list(s.rows())) for s in book.sheets}, book.ignored_sheets


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gb18030", False)], ids=["utf8", "utf8-bom", "gb18030"]
)
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030_reads_the_same(tmp_path, encoding, bom):
    path = tmp_path / "inquiries.csv"
    path.write_bytes(csv_bytes([HEADER_ZH, ROW_ZH], encoding=encoding, bom=bom))
    sheets, _ = read_all(path, kind="csv", sheet="inquiries")
    header, count, rows = sheets["inquiries"]
    assert header.index == {"inquiry_id": 0, "account": 1, "received_at": 2, "buyer_name": 3, "country": 4}
    assert count == 1
    assert rows == [(2, ("A001", "cn1", "2024-03-05 14:30", "张伟", "美国"))]


def test_gb18030_bytes_are_really_not_utf8(tmp_path):
    data = csv_bytes([HEADER_ZH, ROW_ZH], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_a_file_neither_utf8_nor_gb18030_is_refused_whole(tmp_path):
    path = tmp_path / "inquiries.csv"
    # Valid GB18030 up to the last byte, which no encoding we accept can end with.
    path.write_bytes(csv_bytes([HEADER_ZH, ROW_ZH], encoding="gb18030") + b"\x81")
    with pytest.raises(UnreadableFile, match="neither UTF-8 nor GB18030"):
        read_all(path, kind="csv", sheet="inquiries")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        ("询盘编号,账号\n".encode("utf-16"), "UTF-16"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook, not a csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xls", "old Excel .xls"),
        (b"inquiry_id,account\x00,received_at\n", "not a text file"),
        (b"foo,bar\n1,2\n", "not a header the importer knows"),
        (b"inquiry_id,account\nA1,cn1\n", "required column received_at / 询盘时间 is missing"),
        (b"inquiry_id,account,received_at,Inquiry ID\n", "appears twice"),
        (b'inquiry_id,account,received_at\nA1,cn1,"2024-03-05\n', "a quotation mark is not where csv allows it"),
    ],
    ids=["empty", "utf16", "xlsx", "xls", "nul", "no-header", "missing-column", "twice", "open-quote"],
)  # fmt: skip
def test_unreadable_csv_files_are_refused_whole_with_one_clear_message(tmp_path, data, message):
    path = tmp_path / "inquiries.csv"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=message) as caught:
        read_all(path, kind="csv", sheet="inquiries")
    assert "\n" not in caught.value.render()


def test_semicolon_and_tab_separated_csv_files_are_read(tmp_path):
    for delimiter in (";", "\t"):
        path = tmp_path / "inquiries.csv"
        path.write_text(delimiter.join(HEADER_ZH) + "\n" + delimiter.join(ROW_ZH) + "\n", encoding="utf-8")
        sheets, _ = read_all(path, kind="csv", sheet="询盘")
        assert sheets["inquiries"][2][0][1][4] == "美国"


def test_csv_row_numbers_are_the_spreadsheet_rows_even_with_a_line_break_inside_a_cell(tmp_path):
    path = tmp_path / "inquiries.csv"
    rows = [HEADER_ZH, ["A1", "cn1", "2024-03-05", "two\nlines", "US"], ["A2", "cn1", "x", "", ""]]
    path.write_bytes(csv_bytes(rows))
    sheets, _ = read_all(path, kind="csv", sheet="inquiries")
    assert [number for number, _cells in sheets["inquiries"][2]] == [2, 3]


def test_csv_with_more_rows_than_the_cap_is_refused_before_any_row_is_handed_out(tmp_path):
    path = tmp_path / "inquiries.csv"
    path.write_bytes(csv_bytes([HEADER_ZH] + [ROW_ZH] * 11))
    with pytest.raises(UnreadableFile, match="more than 10 rows"):
        read_all(path, kind="csv", sheet="inquiries", max_rows=10)


def test_xlsx_sheets_come_in_import_order_with_date_cells_as_datetimes_and_unknown_sheets_listed(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "询盘": [["询盘编号", "账号", "询盘时间"], ["A1", "cn1", dt.datetime(2024, 3, 5, 14, 30)]],
            "Notes": [["anything"]],
            "团队": [["用户名", "角色"], ["wang", "业务员"]],
            "回复率": [],
        },
    )
    sheets, ignored = read_all(path, kind="xlsx")
    assert list(sheets) == ["team", "inquiries"]  # the empty reply-rate sheet is skipped
    assert sheets["inquiries"][2] == [(2, ("A1", "cn1", dt.datetime(2024, 3, 5, 14, 30)))]
    assert ignored == ["Notes"]


def test_a_formula_cell_is_read_as_its_text_never_evaluated(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": [["inquiry_id", "account", "received_at", "buyer_name"]]})
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["inquiries"].append(["A1", "cn1", "2024-03-05", '=HYPERLINK("http://evil.example","click")'])
    book.save(path)
    sheets, _ = read_all(path, kind="xlsx")
    assert sheets["inquiries"][2][0][1][3] == '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "not an Excel workbook"),
        (b"PK\x03\x04broken", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel .xls"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(tmp_path, data, message):
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=message):
        read_all(path, kind="xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(UnreadableFile, match="not an Excel workbook"):
        read_all(path, kind="xlsx")


def test_a_workbook_without_a_known_sheet_name_names_the_sheets_it_wants(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"Sheet1": [["inquiry_id", "account", "received_at"]]})
    with pytest.raises(UnreadableFile, match="inquiries / 询盘"):
        read_all(path, kind="xlsx")


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(tmp_path, settings):
    path = tmp_path / "bomb.xlsx"
    zip_bomb_workbook(path, unpacked_mb=80)
    assert path.stat().st_size < 1024 * 1024  # 80 MB of XML in under 1 MB: a bomb
    started = time.monotonic()
    with pytest.raises(UnreadableFile, match="unpacks to more than 64 MB"):
        read_all(path, kind="xlsx", max_unpacked_bytes=64 * 1024 * 1024)
    assert time.monotonic() - started < 2


def test_a_sheet_with_more_rows_than_the_cap_is_refused_whole(tmp_path):
    rows = [["inquiry_id", "account", "received_at"]] + [[f"A{i}", "cn1", "2024-03-05"] for i in range(30)]
    path = write_xlsx(tmp_path / "book.xlsx", {"inquiries": rows})
    with pytest.raises(UnreadableFile, match="more than 25 rows"):
        read_all(path, kind="xlsx", max_rows=25)


def test_a_far_away_row_number_cannot_make_the_reader_fill_a_million_rows(tmp_path):
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"inquiries": [["inquiry_id", "account", "received_at"], ["A1", "cn1", "2024-03-05"]]})
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["inquiries"].cell(row=1_048_576, column=1, value="far")
    book.save(path)
    started = time.monotonic()
    with pytest.raises(UnreadableFile, match="more than 500000 rows"):
        read_all(path, kind="xlsx")
    assert time.monotonic() - started < 2


def test_a_damaged_sheet_is_caught_before_any_row_is_handed_out(tmp_path):
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"inquiries": [["inquiry_id", "account", "received_at"], ["A1", "cn1", "2024-03-05"]]})
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet_name] = parts[sheet_name].replace(b"</sheetData>", b"<row><c>")  # cut off mid-way
    with zipfile.ZipFile(path, "w") as damaged:
        for name, data in parts.items():
            damaged.writestr(name, data)
    with pytest.raises(UnreadableFile, match="damaged"):
        read_all(path, kind="xlsx")
