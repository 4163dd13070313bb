"""Importing in a real browser: upload, the progress bar while the job runs, the result, on desktop and phone."""

import pytest
from playwright.sync_api import expect

from inquiries import tasks
from inquiries.models import ImportJob
from inquiries.services import workbook_import
from inquiries.tests.import_files import csv_bytes
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_worker(monkeypatch, settings, tmp_path):
    """Uploads stay queued until the test runs the job itself, so the running page can be seen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    queued = []
    monkeypatch.setattr(tasks.import_workbook, "delay", lambda job_id: queued.append(job_id))
    return queued


def ledger(tmp_path, rows: int = 60):
    data = [["询盘编号", "账号", "询盘时间", "买家姓名", "国家", "业务员", "成交时间", "成交金额"]]
    for i in range(rows):
        data.append([f"E{i:03d}", "cn1", f"2024-03-{1 + i % 28:02d} 10:00", f"Buyer {i}", "美国", "sales_a", "", ""])
    data += [["E900", "nope", "2024-03-05 10:00", "Ann", "US", "", "", ""],
             ["E901", "cn1", "2024/13/40", "Cy", "=HYPERLINK(\"http://x\")", "ghost", "", ""],
             ["E902", "cn1", "2024-03-05 10:00", "Bo", "DE", "", "2024-03-09", "-5"]]  # fmt: skip
    path = tmp_path / "询盘.csv"
    path.write_bytes(csv_bytes(data, encoding="gb18030"))
    return path


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_operations_upload_a_ledger_watch_it_run_and_read_the_rejected_rows(
    new_page, shots, cast, no_worker, tmp_path, viewport
):
    AccountFactory(code="cn1", name="主店")
    page = new_page(viewport=viewport)
    login(page, "ops")
    page.goto("/inquiries/imports/")
    assert page.locator("p.empty").is_visible()
    shots(page, "history-empty")

    page.click("a.button[href$='/imports/new/']")
    page.wait_for_url("**/imports/new/")
    shots(page, "upload")
    page.set_input_files("input[type=file]", str(ledger(tmp_path)))
    assert page.locator("[data-sheet-field]").is_visible()  # csv: the sheet chooser is offered
    with page.expect_navigation():
        page.click("form[data-import-form] button[type=submit]")
    job = ImportJob.objects.get()
    assert page.url.endswith(f"/inquiries/imports/{job.pk}/")
    assert (job.sheet, job.kind) == ("inquiries", "csv")
    assert page.locator("progress.progress-meter").is_visible()
    shots(page, "queued")

    # Half-way, as the worker would report it; the page follows without a reload.
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=63, done_rows=30)
    progress = page.locator("progress.progress-meter")
    expect(progress).to_have_attribute("value", "30", timeout=10_000)
    expect(progress).to_have_attribute("max", "63")
    expect(page.locator("[data-import-progress-text]")).to_contain_text("63")
    shots(page, "running")

    # Now the worker runs it for real (from the start: the half-way state above was only for show).
    ImportJob.objects.filter(pk=job.pk).update(status="queued", total_rows=0, done_rows=0)
    workbook_import(job_id=job.pk)  # the page notices and reloads itself with the result
    page.wait_for_selector("table.table >> text=nope", timeout=15_000)
    assert page.locator("progress.progress-meter").count() == 0
    shots(page, "done")
    job.refresh_from_db()
    assert job.summary["sheets"][0]["created"] == 60
    # E900: account; E901: time, country, salesperson; E902: amount
    assert page.locator("table.table").last.locator("tbody tr").count() == 5

    with page.expect_download() as download:
        page.click("a[href$='/rejected.csv']")
    body = download.value.path().read_bytes().decode("utf-8-sig")
    assert '\'=HYPERLINK(""http://x"")' in body

    page.goto("/inquiries/imports/")
    assert page.locator("table.table tbody tr").count() == 1
    shots(page, "history")


def test_a_file_over_the_limit_is_stopped_in_the_browser_before_it_is_sent(new_page, shots, cast, settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    big = tmp_path / "inquiries.csv"
    big.write_bytes(b"inquiry_id,account,received_at\n" + b"A1,cn1,2024-03-05\n" * 80_000)
    page = new_page()
    login(page, "ops")
    page.goto("/inquiries/imports/new/")
    page.set_input_files("input[type=file]", str(big))
    assert page.locator("[data-file-error]").is_visible()
    assert page.locator("form[data-import-form] button[type=submit]").is_disabled()
    shots(page, "too-large")
    assert ImportJob.objects.count() == 0
