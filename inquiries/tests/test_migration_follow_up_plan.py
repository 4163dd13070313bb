"""The data step of 0003: inquiries imported before it get their latest follow-up's time and plan."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from inquiries.models import FollowUp, Inquiry
from tests.factories import InquiryFactory

migration = importlib.import_module("inquiries.migrations.0003_inquiry_follow_up_plan")


@pytest.mark.django_db
def test_the_latest_follow_up_fills_the_inquirys_plan_and_the_others_stay_empty(sales_a):
    planned, quiet = InquiryFactory(owner=sales_a), InquiryFactory(owner=sales_a)
    now, today = timezone.now(), timezone.localdate()
    FollowUp.objects.create(inquiry=planned, kind="quote", happened_at=now, next_action_on=today)
    FollowUp.objects.create(inquiry=planned, kind="note", happened_at=now - dt.timedelta(days=1))
    # Written around the services, as rows were before the migration: the copies are empty.
    assert Inquiry.objects.filter(last_followup_at__isnull=False).count() == 0

    migration.copy_the_latest_follow_up(apps, None)

    planned.refresh_from_db()
    quiet.refresh_from_db()
    assert (planned.last_followup_at, planned.next_action_on) == (now, today)
    assert (quiet.last_followup_at, quiet.next_action_on) == (None, None)
