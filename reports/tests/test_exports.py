"""The report's PDF (WeasyPrint) and workbook (openpyxl), and the PDF button when WeasyPrint cannot load."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import exports
from reports.models import MonthlyReport
from tests.factories import AccountFactory, UserFactory

from .builders import at, cohort

PDF_URL, XLSX_URL, MONTH_URL = "/reports/2025-05/report.pdf", "/reports/2025-05/report.xlsx", "/reports/2025-05/"


@pytest.fixture
def may(db, sales_a):
    shop = AccountFactory(code="shop", name="光明照明 主账号")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=300, valid=270, replied=260, won=7, revenue=56000,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=500, valid=430, replied=300, won=2, revenue=9000,
           owner=sales_a)  # fmt: skip
    return shop


@pytest.fixture(autouse=True)
def _fresh_pdf_check():
    exports.pdf_unavailable_reason.cache_clear()
    yield
    exports.pdf_unavailable_reason.cache_clear()


def _verdict(language="zh-hans") -> str:
    return MonthlyReport.objects.get(scope="company").payload["verdict"]["texts"][language]


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.django_db
def test_the_pdf_is_a4_and_carries_the_verdict_in_chinese(cast, client_for, may):
    response = client_for(cast["boss"]).get(PDF_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="inquiryhub-report-2025-05-company.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    first = reader.pages[0].mediabox
    assert (round(float(first.width)), round(float(first.height))) == (595, 842)  # A4 in points
    text = "".join(_pdf_text(response.content).split())
    assert "".join(_verdict().split()) in text
    assert "订单比上月少5单" in text


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


@pytest.mark.django_db
def test_the_workbook_has_a_summary_with_the_verdict_and_one_sheet_per_table(cast, client_for, may, sales_a):
    client = client_for(cast["ops"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.get(XLSX_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary", "Funnel", "Orders change", "Revenue change", "Accounts", "Salespeople", "Trends",
    ]  # fmt: skip
    summary = book["Summary"]
    assert summary["B2"].value == _verdict("en")
    assert summary["B2"].value.startswith("5 fewer orders than last month")
    funnel = {row[0]: row[1:] for row in book["Funnel"].iter_rows(min_row=2, values_only=True)}
    assert funnel["Inquiries"] == (300, 500, 200)
    people = list(book["Salespeople"].iter_rows(values_only=True))
    header, row = people[0], next(r for r in people if r[0] == sales_a.display_name)
    assert row[header.index("Won")] == 2
    assert isinstance(row[header.index("Orders change")], int | float)
    assert row[header.index("Own effect (sales)")] == pytest.approx(-7.3312, abs=1e-4)
    rate = book["Salespeople"].cell(row=people.index(row) + 1, column=header.index("Conversion") + 1)
    assert rate.value == pytest.approx(2 / 300) and rate.number_format == "0.0%"


@pytest.mark.django_db
def test_text_a_spreadsheet_would_run_as_a_formula_is_escaped(cast, client_for, may):
    UserFactory(username="sneaky", role="sales", display_name='=HYPERLINK("http://x")')

    book = load_workbook(io.BytesIO(client_for(cast["boss"]).get(XLSX_URL).content))

    names = [row[0] for row in book.worksheets[5].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(not str(name).startswith(("=", "+", "-", "@")) for name in names)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+86 138", "'+86 138"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("王强", "王强"), (-5, -5)],
)
def test_safe_text_escapes_formula_starters_only(value, expected):
    assert exports.safe_text(value) == expected


@pytest.mark.django_db
def test_the_exports_read_the_stored_report(cast, client_for, may):
    client = client_for(cast["boss"])
    client.get(MONTH_URL)
    stored = MonthlyReport.objects.get()

    client.get(XLSX_URL)

    assert MonthlyReport.objects.get().computed_at == stored.computed_at
