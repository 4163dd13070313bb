"""The workbench's background jobs: scheduled, routed to the right queue, idempotent, and run by a
real worker in the integration test."""

import datetime as dt
import time
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from inquiries import services, tasks
from inquiries.models import FormSubmission, InquiryExport
from inquiryhub.celery import app
from tests.factories import InquiryFactory, UserFactory


def test_beat_checks_reply_deadlines_every_fifteen_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["reply-deadlines"]
    assert (entry["task"], entry["schedule"]) == ("inquiries.check_reply_deadlines", 15 * 60)
    assert entry["task"] in app.tasks


def test_beat_purges_old_form_tokens_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["inquiries-purge-form-submissions"]
    assert entry["task"] == "inquiries.purge_form_submissions"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {15})
    assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_the_purge_task_forgets_tokens_older_than_a_month_and_a_rerun_does_nothing(sales_a):
    old = services.form_submission_claim(user=sales_a, token=uuid.uuid4())
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    recent = services.form_submission_claim(user=sales_a, token=uuid.uuid4())

    assert tasks.purge_form_submissions.apply().get() == 1
    assert tasks.purge_form_submissions.apply().get() == 0
    assert list(FormSubmission.objects.values_list("pk", flat=True)) == [recent.pk]


def _queue_of(task_name):
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_the_deadline_job_runs_on_the_default_queue_and_exports_wait_with_the_reports():
    assert _queue_of("inquiries.check_reply_deadlines") == "default"
    assert _queue_of("inquiries.export_inquiries") == "reports"


@pytest.mark.django_db
def test_the_deadline_task_marks_overdue_inquiries_and_a_rerun_does_nothing(sales_a):
    now = timezone.now()
    inquiry = InquiryFactory(received_at=now - dt.timedelta(hours=40))
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=None, at=now - dt.timedelta(hours=30))
    assert tasks.check_reply_deadlines.apply().get() == {"marked": 1, "reallocated": 0, "stale": 0, "warned": 0}
    assert tasks.check_reply_deadlines.apply().get() == {"marked": 0, "reallocated": 0, "stale": 0, "warned": 0}


@pytest.fixture
def shared_exports(tmp_path, monkeypatch, settings):
    """The web process and the worker must write and read the same exports folder."""
    folder = tmp_path / "shared-exports"
    monkeypatch.setenv("EXPORTS_ROOT", str(folder))
    settings.EXPORTS_ROOT = folder
    return folder


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_a_large_export_once(shared_exports, request):
    worker = request.getfixturevalue("celery_worker_process")
    ops = UserFactory(username="ops-export", role="ops")
    InquiryFactory.create_batch(3)
    job = InquiryExport.objects.create(requested_by=ops, format="csv", query="")
    tasks.export_inquiries.delay(job.pk)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.3)
    assert (job.status, job.row_count) == ("done", 3), worker.log.read_text()[-2000:]
    assert (shared_exports / job.file_name).exists()
    # Delivered twice (a redelivery after a lost worker), the job writes nothing new.
    tasks.export_inquiries.delay(job.pk)
    time.sleep(2)
    assert len(list(shared_exports.iterdir())) == 1
    assert ops.notifications.filter(kind="report").count() == 1
