"""Report jobs: plain arguments, idempotent, scheduled by beat on the reports queue."""

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from inquiryhub.celery import app
from reports import tasks
from reports.models import MonthlyReport
from tests.factories import AccountFactory, UserFactory

from .builders import at, cohort


@pytest.mark.django_db
def test_compute_month_stores_the_report_and_is_safe_to_run_twice(sales_a):
    cohort(account=AccountFactory(code="shop"), start=at(2025, 5, 3), inquiries=3, valid=3, replied=2, won=1,
           revenue=10, owner=sales_a)  # fmt: skip

    first = tasks.compute_month("2025-05")
    second = tasks.compute_month("2025-05", scope="company", baseline="2025-04", window_days=30)

    assert first == second == MonthlyReport.objects.get().pk
    assert MonthlyReport.objects.get().payload["funnel"]["current"]["won"] == 1


@pytest.mark.django_db
def test_compute_month_of_a_scope_that_has_gone_does_nothing():
    assert tasks.compute_month("2025-05", scope="account:closed") is None
    assert not MonthlyReport.objects.exists()


@pytest.mark.django_db
def test_the_nightly_job_enqueues_one_compute_per_report_on_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.compute_month, "delay", lambda **kwargs: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        keys = tasks.recompute_provisional()

    assert keys and sent == keys
    assert all(set(key) == {"month", "scope", "baseline", "window_days"} for key in keys)


@pytest.mark.django_db
def test_the_monthly_email_job_sends_once():
    UserFactory(username="boss", role="boss", email="boss@example.com")

    assert tasks.email_monthly_report("2025-05") == 1
    assert tasks.email_monthly_report("2025-05") == 0
    assert len(mail.outbox) == 1


def test_beat_runs_the_nightly_recompute_and_the_email_on_the_first():
    schedule = settings.CELERY_BEAT_SCHEDULE
    nightly = schedule["reports-recompute-provisional"]
    monthly = schedule["reports-email-monthly-report"]

    assert nightly["task"] == "reports.recompute_provisional"
    assert nightly["schedule"] == crontab(hour=2, minute=30)
    assert monthly["task"] == "reports.email_monthly_report"
    assert monthly["schedule"] == crontab(day_of_month=1, hour=7, minute=0)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    for entry in (nightly, monthly):
        assert entry["task"] in app.tasks
        assert app.amqp.router.route({}, entry["task"])["queue"].name == "reports"


@pytest.mark.services
def test_a_report_job_runs_on_a_real_worker(celery_worker_process):
    sales = UserFactory(username="seller", role="sales")
    cohort(account=AccountFactory(code="shop"), start=at(2025, 5, 3), inquiries=5, valid=4, replied=3, won=2,
           revenue=50, owner=sales)  # fmt: skip

    report_id = tasks.compute_month.delay("2025-05").get(timeout=60)

    report = MonthlyReport.objects.get(pk=report_id)
    assert (report.month, report.status) == (dt.date(2025, 5, 1), "final")
    assert report.payload["funnel"]["current"] == {"inquiries": 5, "valid": 4, "replied": 3, "won": 2,
                                                   "revenue_usd": 50.0}  # fmt: skip
