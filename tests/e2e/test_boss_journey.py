"""The boss before the monthly meeting: last month's report, its verdict, the PDF and the Excel file,
and nothing on the way that writes. At desktop and at phone width.
"""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.models import MonthlyReport
from reports.periods import add_months, month_of, month_start
from reports.tests.builders import cohort
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# Forms a reader may post anywhere: the language switch and logging out.
HARMLESS_POSTS = ("/i18n/setlang/", "/accounts/logout/")


def _two_months(sales_a, sales_b):
    """The article's story in small: the month before, sales_a won 4 of 60; last month, 100 inquiries, 1 won."""
    from django.utils import timezone

    last = add_months(month_of(timezone.now()), -1)
    before = add_months(last, -1)
    main = AccountFactory(code="gmlighting", name="光明照明 主账号")
    sub = AccountFactory(code="gmlighting01", name="光明照明 子账号01", kind="sub", parent=main)
    start = month_start(before) + dt.timedelta(days=2)
    cohort(account=main, start=start, inquiries=60, valid=55, replied=50, won=4, revenue=32000, owner=sales_a,
           trade_assurance=True)  # fmt: skip
    start = month_start(last) + dt.timedelta(days=2)
    cohort(account=main, start=start, inquiries=100, valid=85, replied=60, won=1, revenue=5000, owner=sales_a)
    cohort(account=sub, start=start, inquiries=20, valid=18, replied=18, won=2, revenue=9000, owner=sales_b)
    return last


def _post_actions(page) -> list[str]:
    return page.eval_on_selector_all("form", "forms => forms.filter(f => f.method === 'post').map(f => f.action)")


def _writes(actions: list[str]) -> list[str]:
    return [a for a in actions if not any(a.endswith(harmless) for harmless in HARMLESS_POSTS)]


def test_the_boss_reads_last_months_report_downloads_it_and_finds_nothing_that_writes(
    new_page, shots, boss, sales_a, sales_b, tmp_path
):
    from playwright.sync_api import expect

    month = _two_months(sales_a, sales_b)
    label = f"{month:%Y-%m}"
    page = new_page(DESKTOP)
    login(page, "boss")

    # Home: the boss's own section links to last month's report (computed when first opened).
    assert page.url.endswith("/")
    assert not _writes(_post_actions(page))
    shots(page, "home")
    page.click(f'a.button[href="/reports/{label}/"]')
    expect(page.locator("#verdict")).to_be_visible()
    verdict = page.locator("#verdict").inner_text()
    # One order less on about the same inquiries: noise, named as noise.
    assert verdict.startswith("订单比上月少 1 单：双方的影响都在正常波动范围内")
    assert not MonthlyReport.objects.exists()  # reading wrote nothing
    expect(page.locator(".state-provisional, .state-final")).to_be_visible()
    assert page.locator("img.chart").count() == 9  # two waterfalls, the funnel, six trends
    assert page.eval_on_selector_all("img.chart", "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
    shots(page, "report-desktop")

    # No page that writes: no recompute button, no form posting anywhere but language and logout.
    assert page.locator("form.recompute").count() == 0
    assert not _writes(_post_actions(page))

    # The PDF and the workbook carry the verdict.
    with page.expect_download() as pdf_download:
        page.click(f'a[href="/reports/{label}/report.pdf"]')
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    text = "".join("".join(p.extract_text() for p in reader.pages).split())
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert "".join(verdict.split()) in text

    with page.expect_download() as xlsx_download:
        page.click(f'a[href="/reports/{label}/report.xlsx"]')
    xlsx_path = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx_path)
    book = load_workbook(xlsx_path)
    assert book.worksheets[0]["B2"].value == verdict
    assert xlsx_path.name == f"inquiryhub-report-{label}-company.xlsx"

    # Another baseline through the GET form: still no write anywhere.
    page.select_option("#id_compare", "last_year")
    with page.expect_navigation():
        page.click(".report-choices button[type=submit]")
    expect(page.locator("#verdict")).to_be_visible()
    assert "compare=last_year" in page.url
    assert not _writes(_post_actions(page))
    assert not MonthlyReport.objects.exists()

    # The same report on a phone: the verdict first, charts scaled to the screen, tables scroll sideways.
    phone = new_page(PHONE)
    login(phone, "boss")
    phone.goto(f"/reports/{label}/")
    expect(phone.locator("#verdict")).to_have_text(verdict)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    widths = phone.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert all(250 <= w <= PHONE["width"] for w in widths), widths
    assert phone.eval_on_selector_all(
        ".report-table-section .table-wrap", "ws => ws.every(w => w.scrollWidth > w.clientWidth)"
    )
    shots(phone, "report-phone")


def test_a_salesperson_reads_my_month_on_a_phone(new_page, shots, sales_a, sales_b):
    from playwright.sync_api import expect

    month = _two_months(sales_a, sales_b)
    page = new_page(PHONE)
    login(page, "sales_a")

    page.goto("/reports/me/")
    expect(page.locator("#my-verdict")).to_be_visible()
    assert page.locator(".funnel-table tr[data-stage=inquiries] td").nth(1).inner_text() == "100"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not _writes(_post_actions(page))
    shots(page, "my-month-phone")
    assert page.goto(f"/reports/{month:%Y-%m}/").status == 403
