import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, CompanySettings
from inquiries import services
from inquiries.models import Allocation, FollowUp, InquiryState, Quality
from tests.factories import InquiryFactory, UserFactory


@pytest.mark.django_db
def test_allocation_sets_owner_first_allocation_deadline_and_audit(sales_a, ops_manager):
    received = timezone.now() - dt.timedelta(hours=3)
    inquiry = InquiryFactory(received_at=received)
    at = received + dt.timedelta(hours=1)

    allocation = services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, note="vip", at=at)

    inquiry.refresh_from_db()
    assert allocation.reason == Allocation.Reason.MANUAL
    assert inquiry.owner == sales_a
    assert inquiry.first_allocated_at == at
    assert inquiry.reply_due_at == at + dt.timedelta(hours=CompanySettings.load().reply_deadline_hours)
    event = AuditEvent.objects.get(action="inquiry.allocate", inquiry=inquiry)
    assert event.actor == ops_manager
    assert event.changes["owner"] == [None, "sales_a"]


@pytest.mark.django_db
def test_reallocation_keeps_first_allocation_time_and_moves_the_owner(sales_a, sales_b, ops_manager):
    inquiry = InquiryFactory()
    first = timezone.now() - dt.timedelta(minutes=90)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, at=first)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_b, by=None, reason=Allocation.Reason.DEADLINE)

    inquiry.refresh_from_db()
    assert inquiry.owner == sales_b
    assert inquiry.first_allocated_at == first
    assert list(inquiry.allocations.values_list("salesperson__username", "reason")) == [
        ("sales_a", "manual"),
        ("sales_b", "deadline"),
    ]


@pytest.mark.django_db
def test_only_active_salespeople_can_be_allocated(ops_manager):
    inquiry = InquiryFactory()
    with pytest.raises(ValidationError):
        services.inquiry_allocate(inquiry=inquiry, salesperson=ops_manager, by=ops_manager)
    gone = UserFactory(username="gone", role="sales", is_active=False)
    with pytest.raises(ValidationError):
        services.inquiry_allocate(inquiry=inquiry, salesperson=gone, by=ops_manager)
    assert inquiry.allocations.count() == 0


@pytest.mark.django_db
def test_first_reply_is_the_earliest_reply_kind_follow_up(sales_a):
    inquiry = InquiryFactory(owner=sales_a, received_at=timezone.now() - dt.timedelta(days=2))
    t1 = timezone.now() - dt.timedelta(hours=30)
    t0 = timezone.now() - dt.timedelta(hours=40)

    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.NOTE, happened_at=t0)
    assert inquiry.first_reply_at is None
    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.REPLY, happened_at=t1)
    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.QUOTE, happened_at=timezone.now())

    inquiry.refresh_from_db()
    assert inquiry.first_reply_at == t1
    assert inquiry.state == InquiryState.REPLIED


@pytest.mark.django_db
def test_a_flag_is_disputed_until_operations_decide(sales_a, ops_manager):
    inquiry = InquiryFactory(owner=sales_a)
    services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam", note="bot")
    assert (inquiry.state, inquiry.quality) == (InquiryState.DISPUTED, Quality.INVALID)

    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.VALID, note="real buyer")
    assert (inquiry.state, inquiry.quality) == (InquiryState.NEW, Quality.VALID)

    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.INVALID, reason="spam")
    assert (inquiry.state, inquiry.quality) == (InquiryState.INVALID, Quality.INVALID)


@pytest.mark.django_db
def test_an_order_makes_the_inquiry_won_and_cancelling_undoes_it(sales_a):
    inquiry = InquiryFactory(owner=sales_a)
    order = services.order_record(
        by=sales_a, inquiry=inquiry, won_at=timezone.now(), amount_usd=Decimal("1234.50"), trade_assurance=True
    )
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.WON
    assert (order.salesperson, order.account) == (sales_a, inquiry.account)

    services.order_cancel(order=order, by=sales_a, reason="buyer withdrew")
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.NEW
    assert AuditEvent.objects.filter(inquiry=inquiry, action__startswith="order.").count() == 2


@pytest.mark.django_db
def test_order_update_records_old_and_new_values(sales_a):
    order = services.order_record(by=sales_a, inquiry=InquiryFactory(owner=sales_a), won_at=timezone.now(),
                                  amount_usd=Decimal("100.00"))  # fmt: skip
    services.order_update(order=order, by=sales_a, amount_usd=Decimal("150.00"))
    event = AuditEvent.objects.get(action="order.update")
    assert event.changes == {"amount_usd": ["100.00", "150.00"]}


@pytest.mark.django_db
def test_negative_order_is_refused_before_the_database(sales_a):
    with pytest.raises(ValidationError):
        services.order_record(by=sales_a, inquiry=InquiryFactory(), won_at=timezone.now(), amount_usd=Decimal("-1"))
