"""The data step of 0009: inquiries allocated before it get the time their owner's allocation took effect."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from inquiries.models import Allocation, Inquiry
from tests.factories import InquiryFactory

migration = importlib.import_module("inquiries.migrations.0009_inquiry_owner_since")


@pytest.mark.django_db
def test_the_latest_allocation_fills_owner_since_and_an_inconsistent_or_unallocated_row_stays_empty(sales_a, sales_b):
    now = timezone.now()
    moved, stale, never = InquiryFactory(owner=sales_b), InquiryFactory(owner=sales_a), InquiryFactory()
    # Written around the services, as rows were before the migration.
    Allocation.objects.create(inquiry=moved, salesperson=sales_a, assigned_at=now - dt.timedelta(days=2))
    Allocation.objects.create(inquiry=moved, salesperson=sales_b, assigned_at=now - dt.timedelta(days=1))
    # The row says sales_a, the history says sales_b: left to the history.
    Allocation.objects.create(inquiry=stale, salesperson=sales_b, assigned_at=now - dt.timedelta(hours=5))
    assert Inquiry.objects.filter(owner_since__isnull=False).count() == 0

    migration.backfill_owner_since(apps, None)

    since = dict(Inquiry.objects.values_list("pk", "owner_since"))
    assert since == {moved.pk: now - dt.timedelta(days=1), stale.pk: None, never.pk: None}
