"""bulk_create_rows / bulk_update_rows write exactly what Django's bulk_create / bulk_update would."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from inquiries.models import Allocation, Inquiry, Order
from inquiryhub.db import bulk_create_rows, bulk_update_rows
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db


def test_new_rows_get_their_ids_auto_now_times_and_every_kind_of_value(sales_a):
    account = AccountFactory()
    received = dt.datetime(2024, 3, 5, 6, 30, tzinfo=dt.UTC)
    inquiries = [Inquiry(account=account, external_id=f"X{i}", received_at=received, buyer_name="王伟 '\"; --",
                         country="CN", message="a\nb\tc\\N\r\\.") for i in range(3)]  # fmt: skip
    before = timezone.now()

    created = bulk_create_rows(Inquiry, inquiries)

    assert created is not None and all(i.pk for i in inquiries)
    assert len({i.pk for i in inquiries}) == 3
    stored = Inquiry.objects.get(pk=inquiries[1].pk)
    assert (stored.external_id, stored.received_at, stored.buyer_name, stored.message, stored.state) == (
        "X1", received, "王伟 '\"; --", "a\nb\tc\\N\r\\.", "new"
    )  # fmt: skip
    assert stored.created_at >= before and stored.updated_at >= before
    if connection.vendor == "postgresql":  # elsewhere Django's bulk_create takes one time per object
        assert inquiries[0].created_at == inquiries[2].updated_at == stored.created_at
    assert not inquiries[0]._state.adding

    # Each time object is written out once, and each row gets its own.
    moments = [Inquiry(account=account, external_id=f"T{i}", received_at=received + dt.timedelta(minutes=i),
                       first_allocated_at=received) for i in range(50)]  # fmt: skip
    bulk_create_rows(Inquiry, moments)
    assert list(
        Inquiry.objects.filter(external_id__startswith="T").order_by("pk").values_list("received_at", flat=True)
    ) == [received + dt.timedelta(minutes=i) for i in range(50)]
    assert set(Inquiry.objects.filter(external_id__startswith="T").values_list("first_allocated_at", flat=True)) == {
        received
    }

    allocation = Allocation(inquiry=inquiries[0], salesperson=sales_a, reason=Allocation.Reason.IMPORT)
    order = Order(inquiry=inquiries[0], won_at=received, amount_usd=Decimal("12500.50"), trade_assurance=True)
    event = AuditEvent(action="x", target_type="t", summary="s", changes={"owner": [None, "sales_a"], "n": 1.5})
    bulk_create_rows(Allocation, [allocation])
    bulk_create_rows(Order, [order])
    bulk_create_rows(AuditEvent, [event])
    assert Allocation.objects.values_list("reason", "salesperson__username").get() == ("import", "sales_a")
    assert Order.objects.values_list("amount_usd", "trade_assurance").get() == (Decimal("12500.50"), True)
    assert AuditEvent.objects.get(pk=event.pk).changes == {"owner": [None, "sales_a"], "n": 1.5}


def test_an_unsaved_related_object_is_refused_as_bulk_create_does(sales_a):
    unsaved = Inquiry(account=AccountFactory(), external_id="U", received_at=timezone.now())
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk_create_rows(Allocation, [Allocation(inquiry=unsaved, salesperson=sales_a)])


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
    inquiries = [Inquiry(account=account, external_id=f"B{i}", received_at=timezone.now()) for i in range(1000)]
    with CaptureQueriesContext(connection) as inserts:
        bulk_create_rows(Inquiry, inquiries)
    for inquiry in inquiries:
        inquiry.quality = "valid"
    with CaptureQueriesContext(connection) as updates:
        bulk_update_rows(Inquiry, inquiries, ["quality"])
    # The ids come from the sequence in one query; the rows go in with one COPY.
    assert [q["sql"].split()[0] for q in inserts] == ["SELECT", "COPY"]
    assert "nextval" in inserts[0]["sql"]
    assert len(updates) == 1
    assert Inquiry.objects.filter(quality="valid").count() == 1000
    assert sorted(Inquiry.objects.values_list("pk", flat=True)) == sorted(i.pk for i in inquiries)


def test_rows_with_ids_taken_in_advance_can_be_referred_to_before_they_are_inserted(postgres_db, sales_a):
    from django.db import transaction

    from inquiryhub.db import reserve_ids

    account = AccountFactory()
    inquiry = Inquiry(account=account, external_id="EARLY", received_at=timezone.now())
    with transaction.atomic():
        (inquiry.pk,) = reserve_ids(Inquiry, 1)
        allocation = Allocation(inquiry=inquiry, salesperson=sales_a, reason=Allocation.Reason.IMPORT)
        bulk_create_rows(Allocation, [allocation])  # the foreign key is checked at commit
        inquiry.owner = sales_a
        bulk_create_rows(Inquiry, [inquiry])

    stored = Inquiry.objects.get(external_id="EARLY")
    assert (stored.pk, stored.owner, stored.allocations.get().pk) == (inquiry.pk, sales_a, allocation.pk)
