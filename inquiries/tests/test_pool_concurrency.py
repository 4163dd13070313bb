"""The pool under concurrency, on a real PostgreSQL: of twenty people claiming one inquiry at
the same instant exactly one wins and the others are told who; two recycle runs at once recycle
each inquiry once."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from inquiries import pool, services
from inquiries.models import Allocation, Inquiry, PoolEvent, PoolSettings
from tests.factories import InquiryFactory, UserFactory

pytestmark = pytest.mark.services


def run_together(jobs):
    """Start every job at the same instant, each on its own thread and database connection."""
    results = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def runner(i, job):
        try:
            start.wait(10)
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def stale_inquiry(owner) -> Inquiry:
    allocated = timezone.now() - dt.timedelta(days=8)
    inquiry = InquiryFactory(received_at=allocated - dt.timedelta(hours=1))
    services.inquiry_allocate(inquiry=inquiry, salesperson=owner, by=None, at=allocated)
    return inquiry


def test_twenty_people_claiming_one_inquiry_at_once_one_wins_the_others_are_told_who(postgres_db):
    owner = UserFactory(username="wang", role="sales")
    people = [UserFactory(username=f"s{n:02d}", role="sales", display_name=f"业务{n:02d}") for n in range(20)]
    inquiry = stale_inquiry(owner)
    assert pool.pool_recycle().recycled == 1

    results = run_together([lambda p=p: pool.pool_claim(inquiry_id=inquiry.pk, by=p) for p in people])

    won = [r for r in results if isinstance(r, Allocation)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(refused) == 19, results
    winner = won[0].salesperson
    assert all(winner.label in r.messages[0] for r in refused)
    inquiry.refresh_from_db()
    assert (inquiry.owner_id, inquiry.pooled_at) == (winner.pk, None)
    assert Allocation.objects.filter(inquiry=inquiry, reason="claim").count() == 1
    assert PoolEvent.objects.filter(inquiry=inquiry, kind="claimed").count() == 1


def test_one_salesperson_claiming_at_once_past_the_limit_gets_only_the_limit(postgres_db):
    owner = UserFactory(username="wang", role="sales")
    claimer = UserFactory(username="chen", role="sales")
    PoolSettings.objects.update_or_create(pk=1, defaults={"daily_claim_limit": 3})
    inquiries = [stale_inquiry(owner) for _n in range(8)]
    pool.pool_recycle()
    results = run_together([lambda i=i: pool.pool_claim(inquiry_id=i.pk, by=claimer) for i in inquiries])
    assert sum(isinstance(r, Allocation) for r in results) == 3
    assert Inquiry.objects.filter(owner=claimer).count() == 3


def test_two_recycle_runs_at_once_recycle_each_inquiry_once(postgres_db):
    owner = UserFactory(username="wang", role="sales")
    inquiries = [stale_inquiry(owner) for _n in range(pool.RECYCLE_BATCH + 30)]
    now = timezone.now()
    first, second = run_together([lambda: pool.pool_recycle(now=now), lambda: pool.pool_recycle(now=now)])
    assert first.recycled + second.recycled == len(inquiries)
    assert PoolEvent.objects.filter(kind="recycled").count() == len(inquiries)
    assert Inquiry.objects.filter(pooled_at__isnull=True).count() == 0
