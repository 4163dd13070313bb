"""A running import writes a heartbeat; one whose worker is gone is reported within minutes
(issue 13, item 8): on its page, in its status JSON and by /healthz."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from inquiries.importing import sheets
from inquiries.models import ImportJob
from inquiries.services import workbook_import
from inquiries.tests.import_files import INQUIRY_HEADER, run_import, write_csv
from inquiryhub.tasks import HEARTBEAT_KEY
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_media_and_a_live_beat(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"  # the pages' language too (LocaleMiddleware's fallback)
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat())  # the beat's own heartbeat is fine throughout
    with translation.override("en"):
        yield
    cache.delete(HEARTBEAT_KEY)


def rows(n):
    return [INQUIRY_HEADER] + [[f"H{i}", "cn1", "2024-03-05 10:00"] + [""] * 10 for i in range(n)]


@pytest.fixture
def dead_job(tmp_path, monkeypatch, cast):
    """An import whose worker died after its first batch: left running, its heartbeat that batch's."""
    AccountFactory(code="cn1")
    real = sheets.InquiriesImporter.import_batch
    calls = {"n": 0}

    def killed_on_the_second_batch(self, batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("kill -9")  # nothing after this runs in a killed process
        return real(self, batch)

    monkeypatch.setattr(sheets.InquiriesImporter, "import_batch", killed_on_the_second_batch)
    with pytest.raises(SystemExit):
        run_import(write_csv(tmp_path / "inquiries.csv", rows(25)), by=cast["ops"], batch_rows=10)
    monkeypatch.setattr(sheets.InquiriesImporter, "import_batch", real)
    return ImportJob.objects.get()


def age(job, seconds):
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds))
    job.refresh_from_db()


def test_a_running_import_writes_its_heartbeat_with_each_batch(dead_job):
    assert dead_job.status == ImportJob.Status.RUNNING
    assert dead_job.done_rows == 10
    assert timezone.now() - dead_job.heartbeat_at < dt.timedelta(seconds=30)
    assert not dead_job.worker_lost


def test_a_job_whose_worker_is_gone_is_reported_on_its_page_its_status_and_healthz(
    dead_job, client_for, cast, settings
):
    age(dead_job, settings.IMPORT_HEARTBEAT_STALE_SECONDS + 1)
    assert dead_job.worker_lost
    client = client_for(cast["ops"])

    status = client.get(reverse("inquiries:import_status", args=[dead_job.pk])).json()
    assert status["worker_lost"] is True
    assert status["progress_text"].startswith("The background worker running this import stopped at row 10")
    page = client.get(reverse("inquiries:import_detail", args=[dead_job.pk])).content.decode()
    assert "This import has stopped: its background worker is gone." in page

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["imports"] == f"worker lost: import {dead_job.pk}"


def test_a_job_with_a_recent_heartbeat_is_healthy_and_a_resumed_job_clears_the_alarm(dead_job, client, settings):
    age(dead_job, settings.IMPORT_HEARTBEAT_STALE_SECONDS - 30)
    assert not dead_job.worker_lost
    assert client.get("/healthz").json()["checks"]["imports"] == "ok"

    age(dead_job, settings.IMPORT_HEARTBEAT_STALE_SECONDS + 1)
    assert client.get("/healthz").status_code == 503
    resumed = workbook_import(job_id=dead_job.pk, batch_rows=10)  # the broker handed it out again
    assert resumed.job.status == ImportJob.Status.DONE
    assert not resumed.job.worker_lost
    assert client.get("/healthz").status_code == 200
