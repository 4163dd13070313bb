"""Stored monthly reports: final ones frozen, provisional ones refreshed, one row per key; the email."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.utils import timezone

from accounts.models import AuditEvent, CompanySettings, Notification
from reports import services
from reports.models import MonthlyReport
from reports.periods import ReportParamError, month_of
from reports.services import monthly_report_email, monthly_report_get, reports_due_for_recompute
from tests.factories import AccountFactory, InquiryFactory, UserFactory

from .builders import at, cohort

MAY = dt.date(2025, 5, 1)


@pytest.fixture
def shop(db):
    return AccountFactory(code="shop")


def won_in(shop, owner, *, start, inquiries=4, won=1, revenue=100):
    return cohort(account=shop, start=start, inquiries=inquiries, valid=inquiries, replied=inquiries, won=won,
                  revenue=revenue, owner=owner)  # fmt: skip


@pytest.mark.django_db
def test_a_final_report_is_stored_and_then_served_as_stored(shop, sales_a, django_assert_num_queries):
    won_in(shop, sales_a, start=at(2025, 5, 3))

    first = monthly_report_get(month=MAY, store=True)
    won_in(shop, sales_a, start=at(2025, 5, 9), won=2)  # arrives after the report was frozen
    with django_assert_num_queries(2):  # company settings, the stored row
        second = monthly_report_get(month=dt.date(2025, 5, 17), store=True)

    assert first.pk is not None and second.pk == first.pk
    assert second.status == "final"
    assert second.payload["funnel"]["current"]["won"] == 1
    assert second.payload == first.payload
    assert AuditEvent.objects.filter(action="report.final", target_id=str(first.pk)).count() == 1


@pytest.mark.django_db
def test_recompute_on_request_replaces_a_final_report_and_is_audited(shop, sales_a, ops_manager):
    won_in(shop, sales_a, start=at(2025, 5, 3))
    first = monthly_report_get(month=MAY, store=True)
    won_in(shop, sales_a, start=at(2025, 5, 9), won=2)

    again = monthly_report_get(month=MAY, recompute=True, store=True, by=ops_manager)

    assert again.pk == first.pk
    assert again.payload["funnel"]["current"]["won"] == 3
    assert MonthlyReport.objects.get(pk=first.pk).computed_by == ops_manager
    assert AuditEvent.objects.get(action="report.recompute").actor == ops_manager


@pytest.mark.django_db
def test_a_provisional_report_as_of_now_is_recomputed_and_stored_each_time(shop, sales_a):
    now = timezone.now()
    this_month = month_of(now)
    InquiryFactory(account=shop, received_at=now - dt.timedelta(seconds=2))

    first = monthly_report_get(month=this_month, store=True)
    InquiryFactory(account=shop, received_at=now - dt.timedelta(seconds=1))
    second = monthly_report_get(month=this_month, store=True)

    assert first.status == second.status == "provisional"
    assert second.pk == first.pk
    assert (first.payload["funnel"]["current"]["inquiries"], second.payload["funnel"]["current"]["inquiries"]) == (1, 2)
    assert MonthlyReport.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="report.").exists()


@pytest.mark.django_db
def test_a_provisional_report_of_an_earlier_as_of_is_a_view_of_the_past_and_not_stored(shop, sales_a):
    won_in(shop, sales_a, start=at(2025, 5, 3))
    final = monthly_report_get(month=MAY, store=True)

    past = monthly_report_get(month=MAY, as_of=at(2025, 5, 6), store=True)

    assert past.pk is None
    assert past.status == "provisional"
    assert past.payload["as_of"] == "2025-05-06T00:00:00+08:00"
    assert list(MonthlyReport.objects.values_list("pk", "status")) == [(final.pk, "final")]


@pytest.mark.django_db
def test_reading_a_report_writes_nothing(shop, sales_a):
    won_in(shop, sales_a, start=at(2025, 5, 3))

    for kwargs in ({}, {"window_days": 60}, {"baseline": dt.date(2025, 1, 1)}, {"scope": "account:shop"}):
        report = monthly_report_get(month=MAY, **kwargs)
        assert report.pk is None
        assert report.payload["funnel"]["current"]["won"] == 1

    assert not MonthlyReport.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_other_keys_are_other_rows(shop, sales_a):
    won_in(shop, sales_a, start=at(2025, 5, 3))

    monthly_report_get(month=MAY, store=True)
    monthly_report_get(month=MAY, window_days=60, store=True)
    monthly_report_get(month=MAY, baseline=dt.date(2025, 1, 1), store=True)
    monthly_report_get(month=MAY, scope="account:shop", store=True)
    monthly_report_get(month=MAY, scope="salesperson:sales_a", store=True)

    assert sorted(MonthlyReport.objects.values_list("scope", "baseline", "window_days")) == [
        ("account:shop", dt.date(2025, 4, 1), 30),
        ("company", dt.date(2025, 1, 1), 30),
        ("company", dt.date(2025, 4, 1), 30),
        ("company", dt.date(2025, 4, 1), 60),
        ("salesperson:sales_a", dt.date(2025, 4, 1), 30),
    ]


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_the_same_key(shop):
    report = monthly_report_get(month=MAY, store=True)
    fields = {f: getattr(report, f) for f in ("month", "scope", "baseline", "window_days", "as_of", "status")}

    with pytest.raises(IntegrityError):
        MonthlyReport.objects.create(payload={}, **fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline": dt.date(2025, 5, 1)}, "must come before"),
        ({"baseline": dt.date(2025, 7, 1)}, "must come before"),
        ({"window_days": 0}, "between 1 and 366"),
        ({"window_days": 367}, "between 1 and 366"),
        ({"as_of": timezone.now() + dt.timedelta(days=1)}, "future"),
        ({"as_of": at(2025, 4, 30, 23, 59)}, "had not begun"),
        ({"as_of": dt.datetime(2025, 6, 1)}, "time zone"),
        ({"scope": "account:nowhere"}, "no account"),
        ({"scope": "salesperson:nobody"}, "no team member"),
        ({"scope": "salesperson:boss"}, "not a salesperson"),
        ({"scope": "everyone"}, "scope must be"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(boss, kwargs, message, english):
    with pytest.raises(ReportParamError, match=message):
        monthly_report_get(month=MAY, **kwargs)
    assert not MonthlyReport.objects.exists()


@pytest.mark.services
def test_two_schedulers_at_once_store_one_row(postgres_db, monkeypatch):
    shop = AccountFactory(code="shop")
    InquiryFactory(account=shop, received_at=at(2025, 5, 3))
    CompanySettings.load()
    both_computed = threading.Barrier(2, timeout=30)
    compute = services.attribution_report

    def compute_then_wait(**kwargs):
        payload = compute(**kwargs)
        both_computed.wait()  # both have computed; now they race to store
        return payload

    monkeypatch.setattr(services, "attribution_report", compute_then_wait)
    results, errors = [], []

    def scheduler():
        try:
            results.append(monthly_report_get(month=MAY, store=True).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert MonthlyReport.objects.count() == 1
    assert results == [MonthlyReport.objects.get().pk] * 2


# ---------------------------------------------------------------------------------------------
# The nightly keys


@pytest.mark.django_db
def test_the_nightly_job_stores_the_canonical_reports_and_refreshes_other_stored_ones(shop):
    AccountFactory(code="closed", is_active=False)
    now = {"payload_version": services.PAYLOAD_VERSION}
    MonthlyReport.objects.create(month=dt.date(2025, 5, 1), baseline=dt.date(2025, 3, 1), scope="account:shop",
                                 window_days=30, as_of=at(2025, 6, 1), status="provisional", payload=now)  # fmt: skip
    MonthlyReport.objects.create(month=dt.date(2025, 6, 1), baseline=dt.date(2025, 5, 1), scope="company",
                                 window_days=30, as_of=at(2025, 6, 14), status="provisional", payload=now)  # fmt: skip
    # Final, but stored in the payload's first shape: stored again.
    MonthlyReport.objects.create(month=dt.date(2025, 2, 1), baseline=dt.date(2025, 1, 1), scope="company",
                                 window_days=30, as_of=at(2025, 4, 1), status="final", payload={})  # fmt: skip
    MonthlyReport.objects.create(month=dt.date(2025, 1, 1), baseline=dt.date(2024, 12, 1), scope="company",
                                 window_days=30, as_of=at(2025, 4, 1), status="final", payload=now)  # fmt: skip

    keys = reports_due_for_recompute(now=at(2025, 6, 15, 2, 30))

    # June and May are provisional (May turns final on 1 July); April turned final on 31 May. Each for the
    # company and every active account.
    assert keys == [
        {"month": "2025-06", "scope": "company", "baseline": None, "window_days": None},
        {"month": "2025-06", "scope": "account:shop", "baseline": None, "window_days": None},
        {"month": "2025-05", "scope": "company", "baseline": None, "window_days": None},
        {"month": "2025-05", "scope": "account:shop", "baseline": None, "window_days": None},
        {"month": "2025-02", "scope": "company", "baseline": "2025-01", "window_days": 30},
        {"month": "2025-05", "scope": "account:shop", "baseline": "2025-03", "window_days": 30},
    ]
    # A month final for less than a week is still visited, so that it gets frozen.
    early = reports_due_for_recompute(now=at(2025, 6, 5))
    canonical = [k["month"] for k in early if k["scope"] == "company" and k["baseline"] is None]
    assert canonical == ["2025-06", "2025-05", "2025-04"]


# ---------------------------------------------------------------------------------------------
# The monthly email


@pytest.mark.django_db
def test_the_boss_gets_last_months_verdict_and_link_once(shop, sales_a, settings):
    settings.SITE_URL = "https://hub.example.com"
    boss = UserFactory(username="boss", role="boss", email="boss@example.com")
    UserFactory(username="boss2", role="boss", email="")
    won_in(shop, sales_a, start=at(2025, 4, 3), won=3, revenue=300)
    won_in(shop, sales_a, start=at(2025, 5, 3), won=1, revenue=Decimal("99.99"))

    sent = monthly_report_email(now=at(2025, 6, 1, 7))
    again = monthly_report_email(now=at(2025, 6, 1, 7, 5))

    assert (sent, again) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com"]
    assert "2025-05" in message.subject
    assert "订单比上月少 2 单" in message.body
    assert "2 fewer orders than last month" in message.body
    assert "https://hub.example.com/reports/2025-05/" in message.body
    report = MonthlyReport.objects.get(month=MAY, scope="company")
    assert report.emailed_at is not None
    assert Notification.objects.filter(kind="report", link="/reports/2025-05/").count() == 2
    assert Notification.objects.filter(recipient=boss).count() == 1


@pytest.mark.django_db
def test_a_failed_email_is_released_so_that_the_retry_sends_it(shop, boss, monkeypatch):
    boss.email = "boss@example.com"
    boss.save()

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "get_connection", broken)
    with pytest.raises(ConnectionRefusedError):
        monthly_report_email(month=MAY)
    assert MonthlyReport.objects.get().emailed_at is None
    assert not Notification.objects.exists()

    monkeypatch.undo()
    assert monthly_report_email(month=MAY) == 1
