import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inquiries.models import Inquiry, Order, QualityVerdict
from tests.factories import AccountFactory, InquiryFactory


@pytest.mark.django_db
def test_database_refuses_a_duplicate_inquiry_id_on_the_same_account():
    inquiry = InquiryFactory(external_id="A-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Inquiry.objects.create(account=inquiry.account, external_id="A-1", received_at=timezone.now())


@pytest.mark.django_db
def test_the_same_inquiry_id_is_fine_on_another_account():
    InquiryFactory(external_id="A-1")
    other = InquiryFactory(external_id="A-1", account=AccountFactory(code="other"))
    assert Inquiry.objects.filter(external_id="A-1").count() == 2
    assert other.pk is not None


@pytest.mark.django_db
def test_database_refuses_a_negative_order_amount():
    inquiry = InquiryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(inquiry=inquiry, won_at=timezone.now(), amount_usd=Decimal("-0.01"))


@pytest.mark.django_db
def test_database_refuses_an_invalid_verdict_without_reason():
    inquiry = InquiryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        QualityVerdict.objects.create(inquiry=inquiry, side="ops", verdict="invalid", reason="")


@pytest.mark.django_db
def test_no_order_is_won_before_its_inquiry_arrived_whichever_side_is_edited(english):
    received = timezone.now() - dt.timedelta(days=10)
    inquiry = InquiryFactory(received_at=received)
    order = Order.objects.create(inquiry=inquiry, won_at=received + dt.timedelta(days=2), amount_usd=Decimal("10"))

    inquiry.received_at = received + dt.timedelta(days=3)  # after its order
    with pytest.raises(ValidationError) as caught:
        inquiry.full_clean()
    won = timezone.localtime(order.won_at).strftime("%Y-%m-%d %H:%M")
    assert caught.value.message_dict == {"received_at": [f"An order of this inquiry was won earlier, at {won}."]}
    inquiry.received_at = received + dt.timedelta(days=2)  # exactly at the order: fine
    inquiry.full_clean()

    order.refresh_from_db()
    order.won_at = received - dt.timedelta(seconds=1)
    with pytest.raises(ValidationError) as caught:
        order.full_clean()
    assert caught.value.message_dict == {"won_at": ["An order cannot be won before its inquiry arrived."]}


@pytest.mark.django_db
def test_the_database_refuses_an_order_before_its_inquiry_even_when_written_around_the_services():
    received = timezone.now() - dt.timedelta(days=10)
    inquiry = InquiryFactory(received_at=received)
    order = Order.objects.create(inquiry=inquiry, won_at=received + dt.timedelta(days=1), amount_usd=Decimal("10"))

    def refused(write):
        # PostgreSQL checks at commit, like the foreign keys; check_constraints() is that check, now.
        with pytest.raises(IntegrityError, match="before its inquiry|after .*order"), transaction.atomic():
            write()
            connection.check_constraints()

    refused(lambda: Inquiry.objects.filter(pk=inquiry.pk).update(received_at=received + dt.timedelta(days=2)))
    refused(lambda: Order.objects.filter(pk=order.pk).update(won_at=received - dt.timedelta(seconds=1)))
    refused(lambda: Order.objects.create(inquiry=inquiry, won_at=received - dt.timedelta(hours=1), amount_usd=1))

    # An earlier arrival, a later order, or an order without an inquiry are fine.
    Inquiry.objects.filter(pk=inquiry.pk).update(received_at=received - dt.timedelta(days=1))
    Order.objects.filter(pk=order.pk).update(won_at=received + dt.timedelta(days=3))
    Order.objects.create(won_at=received - dt.timedelta(days=30), amount_usd=5)
    connection.check_constraints()
    assert Order.objects.count() == 2
