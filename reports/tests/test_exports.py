"""The report's PDF (WeasyPrint) and workbook (openpyxl), and the PDF button when WeasyPrint cannot load."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import AuditEvent
from inquiries.models import Order
from reports import exports
from reports.models import MonthlyReport
from reports.services import monthly_report_get
from tests.factories import AccountFactory, UserFactory

from .builders import at, cohort

PDF_URL, XLSX_URL, MONTH_URL = "/reports/2025-05/report.pdf", "/reports/2025-05/report.xlsx", "/reports/2025-05/"
BEFORE_DATA = "?compare=month&baseline=2025-03"
# ATTRIBUTION.md's worked example 1, as the report says it (± is 1.645·se).
SENTENCE_ZH = (
    "订单比上月少 5 单：运营 +2.3 ± 1.6（量 +2.5，质 −0.2），业务 −7.3 ± 6.6（回复 −1.5，转化 −5.8）。主要责任：业务。"
)
SENTENCE_EN = (
    "5 fewer orders than last month: operations +2.3 ± 1.6 (volume +2.5, quality −0.2), "
    "sales −7.3 ± 6.6 (response −1.5, conversion −5.8). Mainly responsible: sales."
)
GENERAL, COUNT, MONEY, PERCENT = "General", "#,##0", "#,##0.00", "0.0%"
CHANGE, CHANGE_MONEY, EFFECT, MARGIN = "+#,##0;-#,##0;0", "+#,##0.00;-#,##0.00;0.00", "+0.0;-0.0;0.0", '"±"0.0'


@pytest.fixture
def may(db, sales_a):
    """Worked example 1 on one main account, all of it held by salesperson A: April then May 2025."""
    shop = AccountFactory(code="shop", name="光明照明 主账号")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=300, valid=270, replied=260, won=7, revenue=56000,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=500, valid=430, replied=300, won=2, revenue=9000,
           owner=sales_a, trade_assurance=True)  # fmt: skip
    return shop


@pytest.fixture(autouse=True)
def _fresh_checks():
    # The PDF probe is kept per process and a counted report a few minutes in the cache: each test its own.
    exports.pdf_unavailable_reason.cache_clear()
    cache.clear()
    yield
    exports.pdf_unavailable_reason.cache_clear()
    cache.clear()


def _pdf_text(content: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


def _book(client, url: str = XLSX_URL, *, language: str = "zh-hans"):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return load_workbook(io.BytesIO(response.content))


def _summary(book) -> dict[str, tuple]:
    """The summary sheet by label: label → ((value, format), (margin, format))."""
    return {
        row[0].value: ((row[1].value, row[1].number_format), (row[2].value, row[2].number_format))
        for row in book.worksheets[0].iter_rows(max_col=3)
    }


def _cells(sheet) -> list[list[tuple]]:
    """Every row below the header as (value, number format) pairs."""
    return [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows(min_row=2)]


def _records(sheet) -> dict[str, dict[str, tuple]]:
    """A table sheet as first cell → {header: (value, number format)}."""
    header = [cell.value for cell in sheet[1]]
    return {row[0].value: dict(zip(header, [(c.value, c.number_format) for c in row], strict=True))
            for row in sheet.iter_rows(min_row=2)}  # fmt: skip


def _all_text(book) -> list[str]:
    return [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]


# ---------------------------------------------------------------------------------------------
# PDF


@pytest.mark.django_db
def test_the_pdf_is_a4_and_carries_the_verdict_the_margins_and_the_conversion_split(cast, client_for, may):
    response = client_for(cast["boss"]).get(PDF_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="inquiryhub-report-2025-05-company.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    first = reader.pages[0].mediabox
    assert (round(float(first.width)), round(float(first.height))) == (595, 842)  # A4 in points
    text = _pdf_text(response.content)
    assert "".join(SENTENCE_ZH.split()) in text
    assert "全公司" in text and "company" not in text
    # The orders table: each side's shown effect with its ±, the parts adding up to the whole.
    assert "运营+2.3±1.6" in text and "业务−7.3±6.6" in text
    assert "询盘量+2.5质量−0.2回复−1.5转化−5.8" in text
    # One salesperson held everything: the fall in conversion is all their own, none from allocation.
    assert "其中：分给谁0.0" in text and "其中：各人自己的转化−5.8" in text


@pytest.mark.django_db
def test_the_pdf_of_a_baseline_before_the_data_says_so_instead_of_a_split(cast, client_for, may):
    response = client_for(cast["boss"]).get(PDF_URL + BEFORE_DATA)

    assert response.status_code == 200
    text = _pdf_text(response.content)
    assert "对比月份早于数据起点" in text
    assert "2025-04" in text  # where the data starts
    assert "运营：量和质" not in text and "±" not in text.split("漏斗")[0]


@pytest.mark.django_db
def test_the_pdf_of_an_account_names_it_as_users_do(cast, client_for, may):
    response = client_for(cast["ops"]).get(PDF_URL + "?account=shop")

    text = _pdf_text(response.content)
    assert "光明照明主账号(shop)" in text
    assert "account:" not in text


@pytest.mark.django_db
def test_the_pdf_button_says_so_when_weasyprint_cannot_load(cast, client_for, may, monkeypatch):
    def missing():
        raise OSError("cannot load library 'pango-1.0-0'")

    monkeypatch.setattr(exports, "_probe_weasyprint", missing)
    monkeypatch.setattr(exports, "_import_weasyprint", missing)
    client = client_for(cast["boss"])

    page = client.get(MONTH_URL)
    pdf = client.get(PDF_URL)

    html = page.content.decode()
    assert page.status_code == 200
    assert PDF_URL not in html
    assert "pango-1.0-0" in html  # the reason, in the disabled button's title
    assert 'aria-disabled="true"' in html
    assert pdf.status_code == 503
    assert "Pango" in pdf.content.decode()


@pytest.mark.django_db
def test_a_pdf_request_whose_import_fails_gets_the_clear_page_not_a_500(cast, client_for, may, monkeypatch):
    def missing():
        raise ImportError("No module named 'weasyprint'")

    monkeypatch.setattr(exports, "_import_weasyprint", missing)

    response = client_for(cast["ops"]).get(PDF_URL)

    assert response.status_code == 503
    assert "No module named" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Workbook


@pytest.mark.django_db
def test_the_workbook_summary_formats_each_figure_as_what_it_is(cast, client_for, may):
    book = _book(client_for(cast["boss"]))

    assert book.sheetnames == ["摘要", "漏斗", "订单增减", "成交金额增减", "账号", "业务员", "趋势"]
    summary = _summary(book)
    empty = (None, GENERAL)
    assert summary == {
        "月会报告": (("2025-05", GENERAL), empty),
        "结论": ((SENTENCE_ZH, GENERAL), empty),
        "对比月份": (("2025-04", GENERAL), empty),
        "范围": (("全公司", GENERAL), empty),
        "状态": (("终版", GENERAL), empty),
        "统计截至": (summary["统计截至"][0], empty),
        "对比月统计截至（同龄）": (summary["对比月统计截至（同龄）"][0], empty),
        "成交窗口（天）": ((30, COUNT), empty),
        "订单增减": ((-5, CHANGE), empty),
        "运营影响": ((2.3, EFFECT), (1.6, MARGIN)),
        "业务影响": ((-7.3, EFFECT), (6.6, MARGIN)),
        "转化影响：分给谁": ((0.0, EFFECT), empty),
        "转化影响：各人自己的转化": ((-5.8, EFFECT), empty),
        "24小时回复率": ((pytest.approx(300 / 430, abs=1e-6), PERCENT), empty),
        "时限内回复率": ((pytest.approx(300 / 430, abs=1e-6), PERCENT), empty),
        "分配耗时（中位数，小时）": ((1.0, "0.0"), empty),
        "本月成交订单": ((2, COUNT), empty),
        "信保订单": ((2, COUNT), empty),
        "信保占比": ((1.0, PERCENT), empty),
    }
    as_of, as_of_format = summary["统计截至"][0]
    assert isinstance(as_of, dt.datetime) and as_of_format == "yyyy-mm-dd hh:mm"
    baseline_as_of, _format = summary["对比月统计截至（同龄）"][0]
    assert as_of - baseline_as_of == dt.timedelta(days=30)  # the same age: T minus (May 1 − April 1)


@pytest.mark.django_db
def test_the_workbook_effects_are_the_shown_values_adding_up_with_each_sides_margin(cast, client_for, may):
    book = _book(client_for(cast["boss"]))

    orders = book["订单增减"]
    assert [c.value for c in orders[1]] == ["因素", "归属", "影响", "±"]
    assert _cells(orders) == [
        [("询盘量", GENERAL), ("运营", GENERAL), (2.5, EFFECT), (None, MARGIN)],
        [("质量", GENERAL), ("运营", GENERAL), (-0.2, EFFECT), (None, MARGIN)],
        [("回复", GENERAL), ("业务", GENERAL), (-1.5, EFFECT), (None, MARGIN)],
        [("转化", GENERAL), ("业务", GENERAL), (-5.8, EFFECT), (None, MARGIN)],
        [("其中：分给谁", GENERAL), ("业务", GENERAL), (0.0, EFFECT), (None, MARGIN)],
        [("其中：各人自己的转化", GENERAL), ("业务", GENERAL), (-5.8, EFFECT), (None, MARGIN)],
        [("运营", GENERAL), ("运营", GENERAL), (2.3, EFFECT), (1.6, MARGIN)],
        [("业务", GENERAL), ("业务", GENERAL), (-7.3, EFFECT), (6.6, MARGIN)],
        [("合计", GENERAL), (None, GENERAL), (-5.0, EFFECT), (None, MARGIN)],
    ]
    revenue = _cells(book["成交金额增减"])
    # Whole dollars, apportioned so that they add up to the −47,000 shown.
    assert [row[2] for row in revenue] == [
        (17047, CHANGE), (-1415, CHANGE), (-9678, CHANGE), (-36249, CHANGE), (-16705, CHANGE),
        (15632, CHANGE), (-62632, CHANGE), (-47000, CHANGE),
    ]  # fmt: skip
    assert sum(row[2][0] for row in revenue[:5]) == -47000


@pytest.mark.django_db
def test_the_workbook_tables_format_each_cell_and_leave_a_share_of_no_orders_empty(cast, client_for, may, sales_a):
    book = _book(client_for(cast["boss"]))

    funnel = book["漏斗"]
    assert [c.value for c in funnel[1]] == ["环节", "2025-04", "2025-05", "增减"]
    assert _cells(funnel)[:5] == [
        [("询盘", GENERAL), (300, COUNT), (500, COUNT), (200, CHANGE)],
        [("有效", GENERAL), (270, COUNT), (430, COUNT), (160, CHANGE)],
        [("已回复", GENERAL), (260, COUNT), (300, COUNT), (40, CHANGE)],
        [("已成交", GENERAL), (7, COUNT), (2, COUNT), (-5, CHANGE)],
        [("金额（美元）", GENERAL), (56000, MONEY), (9000, MONEY), (-47000, CHANGE_MONEY)],
    ]
    assert "本月成交订单" in _cells(funnel)[-1][0][0]  # the note saying why the two order counts differ

    account = _records(book["账号"])["光明照明 主账号 (shop)"]
    assert account == {
        "账号": ("光明照明 主账号 (shop)", GENERAL),
        "类型": ("主账号", GENERAL),
        "询盘": (500, COUNT), "有效": (430, COUNT), "已回复": (300, COUNT), "已成交": (2, COUNT),
        "金额（美元）": (9000, MONEY),
        "24小时回复率": (pytest.approx(300 / 430, abs=1e-6), PERCENT),
        "转化率": (pytest.approx(2 / 300, abs=1e-6), PERCENT),
        "本月成交订单": (2, COUNT),
        "其中信保占比": (1.0, PERCENT),
        "阿里回复率": (None, PERCENT),
        "订单增减": (-5, CHANGE),
        "运营影响": (2.3, EFFECT), "运营 ±": (1.6, MARGIN),
        "业务影响": (-7.3, EFFECT), "业务 ±": (6.6, MARGIN),
        "转化影响：分给谁": (0.0, EFFECT), "转化影响：各人自己的转化": (-5.8, EFFECT),
        "功过": ("责任：业务", GENERAL),
    }  # fmt: skip

    people = _records(book["业务员"])
    row = people[sales_a.display_name]
    assert row["转化率"] == (pytest.approx(2 / 300, abs=1e-6), PERCENT)
    assert row["时限内回复率"] == (pytest.approx(300 / 430, abs=1e-6), PERCENT)
    assert row["分配（运营）"] == (2.3, EFFECT) and row["运营 ±"] == (1.6, MARGIN)
    assert row["本人影响（业务）"] == (-7.3, EFFECT) and row["业务 ±"] == (6.6, MARGIN)
    assert row["RFQ 成交金额（美元）"] == (0, MONEY) and row["RFQ报价"] == (0, COUNT)
    # Salesperson B and the unassigned row won nothing in May: no share of no orders.
    for name in (cast["sales_b"].display_name, "未分配"):
        assert people[name]["本月成交订单"] == (0, COUNT)
        assert people[name]["其中信保占比"] == (None, PERCENT)


@pytest.mark.django_db
def test_every_sheets_headers_are_distinct_and_translated(cast, client_for, may):
    for language in ("zh-hans", "en"):
        book = _book(client_for(cast["boss"]), language=language)
        for sheet in book.worksheets[1:]:
            header = [c.value for c in sheet[1]]
            assert len(set(header)) == len(header), (sheet.title, header)
    chinese = _book(client_for(cast["boss"]))
    for sheet in chinese.worksheets[1:]:
        assert all(not h.isascii() or h in ("±", "2025-04", "2025-05") for h in (c.value for c in sheet[1])), [
            c.value for c in sheet[1]
        ]


@pytest.mark.django_db
def test_the_workbook_of_an_account_uses_its_name_never_an_internal_key(cast, client_for, may):
    book = _book(client_for(cast["ops"]), XLSX_URL + "?account=shop")

    assert _summary(book)["范围"][0] == ("光明照明 主账号 (shop)", GENERAL)
    text = _all_text(book)
    assert not [t for t in text if "account:" in t or t in ("company", "as_of", "report.final")]


@pytest.mark.django_db
def test_a_baseline_before_the_data_gives_no_split_in_the_workbook(cast, client_for, may, sales_a):
    book = _book(client_for(cast["boss"]), XLSX_URL + BEFORE_DATA)

    assert book.sheetnames == ["摘要", "漏斗", "账号", "业务员", "趋势"]
    summary = _summary(book)
    assert summary["结论"][0][0].startswith("对比月份早于数据起点")
    assert summary["对比月份"][0] == ("2025-03", GENERAL)
    assert summary["数据起点"][0] == ("2025-04", GENERAL)
    assert summary["分功过"][0][0].startswith("不拆分")
    assert not {"订单增减", "运营影响", "业务影响"} & set(summary)
    row = _records(book["业务员"])[sales_a.display_name]
    for header in ("订单增减", "分配（运营）", "运营 ±", "本人影响（业务）", "业务 ±"):
        assert row[header][0] is None
    assert row["功过"] == ("不论功过", GENERAL)


@pytest.mark.django_db
def test_the_workbook_in_english(cast, client_for, may, sales_a):
    book = _book(client_for(cast["ops"]), language="en")

    assert book.sheetnames == [
        "Summary", "Funnel", "Orders change", "Revenue change", "Accounts", "Salespeople", "Trends",
    ]  # fmt: skip
    summary = _summary(book)
    assert summary["Verdict"][0] == (SENTENCE_EN, GENERAL)
    assert summary["Scope"][0] == ("Whole company", GENERAL)
    assert summary["Operations effect"] == ((2.3, EFFECT), (1.6, MARGIN))
    assert [c.value for c in book["Orders change"][1]] == ["Factor", "Side", "Effect", "±"]
    row = _records(book["Salespeople"])[sales_a.display_name]
    assert row["Own effect (sales)"] == (-7.3, EFFECT)
    assert row["Conversion rate"] == (pytest.approx(2 / 300, abs=1e-6), PERCENT)


@pytest.mark.django_db
def test_the_trend_sheet_starts_at_the_first_month_with_inquiries(cast, client_for, may):
    trends = _cells(_book(client_for(cast["boss"]))["趋势"])

    assert [row[0][0] for row in trends] == ["2025-04", "2025-05"]
    april = trends[0]
    assert april[1:] == [
        (300, COUNT), (0.9, PERCENT), (pytest.approx(260 / 270, abs=1e-6), PERCENT),
        (pytest.approx(7 / 260, abs=1e-6), PERCENT), (7, COUNT), (7, COUNT), (0, PERCENT),
    ]  # fmt: skip


@pytest.mark.django_db
def test_text_a_spreadsheet_would_run_as_a_formula_is_escaped(cast, client_for, may):
    UserFactory(username="sneaky", role="sales", display_name='=HYPERLINK("http://x")')

    book = _book(client_for(cast["boss"]))

    names = [row[0] for row in book["业务员"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(not str(name).startswith(("=", "+", "-", "@")) for name in names)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+86 138", "'+86 138"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("王强", "王强"), (-5, -5)],
)
def test_safe_text_escapes_formula_starters_only(value, expected):
    assert exports.safe_text(value) == expected


@pytest.mark.django_db
def test_the_exports_read_the_stored_report_and_write_nothing(cast, client_for, may):
    stored = monthly_report_get(month=dt.date(2025, 5, 1), store=True)
    Order.objects.filter(inquiry__received_at__gte=at(2025, 5, 1)).delete()  # counted again, it would change
    audit_rows = AuditEvent.objects.count()
    client = client_for(cast["boss"])

    pdf = client.get(PDF_URL)
    book = _book(client)

    assert MonthlyReport.objects.get().computed_at == stored.computed_at
    assert AuditEvent.objects.count() == audit_rows
    assert _summary(book)["结论"][0][0] == SENTENCE_ZH
    assert "".join(SENTENCE_ZH.split()) in _pdf_text(pdf.content)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("company", "全公司"), ("account:shop", "光明照明 主账号 (shop)"), ("salesperson:wang", "王强")],
)
def test_the_scope_is_written_as_readers_name_it(scope, expected):
    payload = {
        "scope": scope,
        "accounts": [{"code": "shop", "display_name": "光明照明 主账号 (shop)"}],
        "salespeople": [{"username": "wang", "display_name": "王强"}, {"username": None, "display_name": None}],
    }

    with translation.override("zh-hans"):
        assert exports.scope_label(payload) == expected
