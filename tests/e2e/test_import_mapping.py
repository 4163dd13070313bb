"""An export of Alibaba's back office in a real browser: mapped once, the next month's file asks nothing."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from inquiries import tasks
from inquiries.models import ColumnMapping, ImportJob, Inquiry
from inquiries.services import workbook_import
from inquiries.tests.test_import_alibaba import reply_detail_rows, write_xls
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory, InquiryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture
def queued(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    jobs = []
    monkeypatch.setattr(tasks.import_workbook, "delay", lambda job_id: jobs.append(job_id))
    return jobs


def upload(page, path):
    page.goto("/inquiries/imports/new/")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.click("form[data-import-form] button[type=submit]")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_back_office_xls_is_mapped_once_in_the_browser_and_the_next_one_imports_with_no_question(
    new_page, shots, cast, queued, tmp_path, viewport
):
    account = AccountFactory(code="cn1")
    jan = InquiryFactory(account=account, external_id="Q1", received_at=dt.datetime(2024, 1, 30, 8, tzinfo=SHANGHAI))
    feb = InquiryFactory(account=account, external_id="Q2", received_at=dt.datetime(2024, 2, 20, 8, tzinfo=SHANGHAI))
    page = new_page(viewport=viewport)
    login(page, "opsmgr")

    january = write_xls(
        tmp_path / "回复明细-2024-01.xls",
        {"Sheet1": reply_detail_rows(["Q1", "Bob", "业务A", dt.datetime(2024, 1, 31, 9, 30), 1.5, "否", "业务A"])},
    )
    upload(page, january)
    job = ImportJob.objects.get()
    workbook_import(job_id=queued.pop())  # the page notices the job stopped and reloads itself
    link = page.locator("a.button[href$='/mapping/']")
    expect(link).to_be_visible(timeout=15_000)
    shots(page, "needs-mapping")
    link.click()
    page.wait_for_url(f"**/imports/{job.pk}/mapping/")
    # Suggested from the headers; the PST header preselects Alibaba's US Pacific time.
    expect(page.locator("select[name=kind]")).to_have_value("reply_detail")
    expect(page.locator("select[name=col_3]")).to_have_value("replied_at")
    expect(page.locator("input[name=time_zone][value='America/Los_Angeles']")).to_be_checked()
    page.select_option("select[name=col_1]", "")
    page.fill("input[name=name]", "阿里回复明细")
    path = shots(page, "mapping")
    if viewport is DESKTOP:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / "import-mapping.png")
    else:
        shutil.copy(path, DOCS / "import-mapping-phone.png")
    with page.expect_navigation():
        page.click("form[data-mapping-form] button[type=submit]")
    assert ColumnMapping.objects.get().name == "阿里回复明细"
    workbook_import(job_id=queued.pop())
    expect(page.locator("#how-read")).to_contain_text("America/Los_Angeles", timeout=15_000)
    shots(page, "done")
    jan.refresh_from_db()
    assert jan.first_reply_at.astimezone(SHANGHAI) == dt.datetime(2024, 2, 1, 1, 30, tzinfo=SHANGHAI)

    february = write_xls(
        tmp_path / "回复明细-2024-02.xls",
        {"Sheet1": reply_detail_rows(["Q2", "Eve", "业务A", dt.datetime(2024, 2, 20, 1, 0), 1.0, "是", "业务A"])},
    )
    upload(page, february)
    second = ImportJob.objects.latest("id")
    workbook_import(job_id=queued.pop())
    expect(page.locator("#how-read")).to_contain_text("阿里回复明细", timeout=15_000)
    assert page.locator("a.button[href$='/mapping/']").count() == 0
    shots(page, "next-month")
    second.refresh_from_db()
    assert second.status == ImportJob.Status.DONE
    assert Inquiry.objects.get(pk=feb.pk).first_reply_at is not None
