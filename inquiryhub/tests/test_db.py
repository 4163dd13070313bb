"""bulk_update_rows writes exactly what Django's bulk_update would."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inquiries.models import Inquiry
from inquiryhub.db import bulk_update_rows
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db


def test_updates_write_the_given_fields_of_each_row_and_nothing_else(sales_a, sales_b):
    first, second = InquiryFactory(buyer_name="A"), InquiryFactory(buyer_name="B")
    due = dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.UTC)
    first.owner, first.reply_due_at, first.buyer_name = sales_a, due, "changed in memory only"
    second.owner, second.reply_due_at = sales_b, None

    bulk_update_rows(Inquiry, [first, second], ["owner", "reply_due_at"])

    assert list(Inquiry.objects.order_by("pk").values_list("owner__username", "reply_due_at", "buyer_name")) == [
        ("sales_a", due, "A"),
        ("sales_b", None, "B"),
    ]


def test_a_thousand_rows_are_one_statement_on_postgresql(postgres_db):
    account = AccountFactory()
    inquiries = Inquiry.objects.bulk_create(
        [Inquiry(account=account, external_id=f"B{i}", received_at=timezone.now()) for i in range(1000)]
    )
    for inquiry in inquiries:
        inquiry.quality = "valid"
    with CaptureQueriesContext(connection) as updates:
        bulk_update_rows(Inquiry, inquiries, ["quality"])
    assert len(updates) == 1
    assert Inquiry.objects.filter(quality="valid").count() == 1000
