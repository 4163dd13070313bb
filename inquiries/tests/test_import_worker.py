"""An upload processed by a real Celery worker against Redis and the test PostgreSQL database."""

import datetime as dt
import time
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inquiries.models import ImportJob, Inquiry
from inquiries.tests.import_files import write_xlsx
from tests.factories import AccountFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shared_media(tmp_path, settings, monkeypatch):
    """One MEDIA_ROOT for this process and the worker (which copies the environment when it starts)."""
    media = tmp_path / "shared-media"
    settings.MEDIA_ROOT = media
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    return media


def wait_until_finished(job_id: int, timeout: float = 90) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.3)
    pytest.fail(f"import job {job_id} still {job.status} after {timeout} s")


@pytest.mark.services
def test_an_uploaded_workbook_is_imported_by_a_real_worker(shared_media, celery_worker_process, cast, client_for):
    AccountFactory(code="cn1")
    path = write_xlsx(
        shared_media.parent / "history.xlsx",
        {
            "询盘": [
                ["询盘编号", "账号", "询盘时间", "业务员", "首次回复时间", "成交时间", "成交金额", "信保"],
                ["W1", "cn1", dt.datetime(2024, 3, 5, 14, 30), "sales_a", dt.datetime(2024, 3, 5, 16, 0),
                 dt.datetime(2024, 3, 20, 9, 0), "8,800.00", "是"],
                ["W2", "cn1", "2024-03-31T18:00:00Z", "", None, None, None, None],
                ["W3", "nope", dt.datetime(2024, 3, 6, 9, 0), "", None, None, None, None],
            ]
        },
    )  # fmt: skip
    client = client_for(cast["ops"])
    response = client.post(
        reverse("inquiries:import_upload"),
        {"file": SimpleUploadedFile("history.xlsx", path.read_bytes())},
    )
    assert response.status_code == 302
    job = wait_until_finished(ImportJob.objects.get().pk)

    assert job.status == ImportJob.Status.DONE, job.error_text
    assert (job.total_rows, job.done_rows) == (3, 3)
    assert job.summary["sheets"][0] | {"unknown_columns": None} == {
        "kind": "inquiries", "name": "询盘", "created": 2, "updated": 0, "unchanged": 0, "rejected": 1,
        "unknown_columns": None,
    }  # fmt: skip
    w1 = Inquiry.objects.get(external_id="W1")
    assert (w1.received_at, w1.owner.username, w1.first_reply_at, w1.state) == (
        dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI), "sales_a", dt.datetime(2024, 3, 5, 16, 0, tzinfo=SHANGHAI),
        "won",
    )  # fmt: skip
    assert list(w1.orders.values_list("amount_usd", "trade_assurance")) == [(Decimal("8800.00"), True)]
    assert Inquiry.objects.get(external_id="W2").received_at.astimezone(SHANGHAI).date() == dt.date(2024, 4, 1)
    assert list(job.rejected_rows.values_list("row_number", "column")) == [(4, "账号")]

    status = client.get(reverse("inquiries:import_status", args=[job.pk])).json()
    assert (status["status"], status["done"], status["total"], status["finished"]) == ("done", 3, 3, True)
    assert cast["ops"].notifications.get().link == f"/inquiries/imports/{job.pk}/"

    # The same file again, through the same worker: nothing changes.
    client.post(reverse("inquiries:import_upload"), {"file": SimpleUploadedFile("history.xlsx", path.read_bytes())})
    again = wait_until_finished(ImportJob.objects.latest("id").pk)
    assert [again.summary["sheets"][0][k] for k in ("created", "updated", "unchanged", "rejected")] == [0, 0, 2, 1]
    assert Inquiry.objects.count() == 2
