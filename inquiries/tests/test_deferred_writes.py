"""inquiry_writes_deferred: a chain of batch services writes each inquiry row once, with the same result."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from inquiries import services
from inquiries.models import FollowUp, Inquiry, InquiryState, Quality, QualityVerdict
from tests.factories import InquiryFactory

pytestmark = pytest.mark.django_db


def _chain(inquiries, salesperson, at):
    services.inquiries_allocate_many(
        requests=[services.AllocationRequest(i, salesperson, at) for i in inquiries], by=None
    )
    services.followups_log_many(
        requests=[
            services.FollowUpRequest(i, FollowUp.Kind.REPLY, at + dt.timedelta(hours=1), salesperson) for i in inquiries
        ],
        by=None,
    )
    services.quality_verdicts_record_many(
        requests=[services.VerdictRequest(inquiries[0], QualityVerdict.Side.OPERATIONS, Quality.VALID)], by=None
    )
    services.orders_record_many(
        requests=[
            services.OrderRequest(won_at=at + dt.timedelta(days=2), amount_usd=Decimal("800.00"), inquiry=inquiries[1])
        ],
        by=None,  # fmt: skip
    )


def _service_fields(inquiry):
    inquiry.refresh_from_db()
    return (inquiry.owner_id, inquiry.first_allocated_at, inquiry.first_reply_at, inquiry.reply_due_at,
            inquiry.quality, inquiry.state)  # fmt: skip


def test_a_deferred_chain_writes_each_inquiry_once_and_leaves_what_the_services_leave_one_by_one(sales_a):
    at = timezone.now() - dt.timedelta(days=5)
    direct = [InquiryFactory(received_at=at), InquiryFactory(received_at=at)]
    deferred = [InquiryFactory(received_at=at), InquiryFactory(received_at=at)]
    _chain(direct, sales_a, at)

    with CaptureQueriesContext(connection) as queries, transaction.atomic(), services.inquiry_writes_deferred():
        _chain(deferred, sales_a, at)

    updates = [q for q in queries if q["sql"].startswith("UPDATE") and "inquiries_inquiry" in q["sql"]]
    assert len(updates) == 1
    for mine, theirs in zip(deferred, direct, strict=True):
        assert _service_fields(mine)[1:] == _service_fields(theirs)[1:]
    assert [i.state for i in deferred] == [InquiryState.REPLIED, InquiryState.WON]
    assert deferred[0].quality == Quality.VALID
    # Without keep_audit the services' own audit rows are written on leaving, as they would be.
    assert sorted(AuditEvent.objects.filter(inquiry=deferred[0]).values_list("action", flat=True)) == [
        "followup.log", "inquiry.allocate", "quality.decide"
    ]  # fmt: skip


def test_with_keep_audit_the_audit_rows_are_handed_to_the_caller_instead_of_written(sales_a):
    at = timezone.now() - dt.timedelta(days=5)
    inquiries = [InquiryFactory(received_at=at), InquiryFactory(received_at=at)]

    with transaction.atomic(), services.inquiry_writes_deferred(keep_audit=True) as writes:
        _chain(inquiries, sales_a, at)

    assert AuditEvent.objects.count() == 0
    grouped, loose = writes.audit_by_inquiry()
    assert loose == []
    assert [e.action for e in grouped[inquiries[1].pk]] == ["inquiry.allocate", "followup.log", "order.record"]
    assert grouped[inquiries[1].pk][0].changes["owner"] == [None, "sales_a"]


def test_deferred_writes_do_not_nest_and_an_error_inside_writes_nothing_more(sales_a):
    inquiry = InquiryFactory()
    with pytest.raises(RuntimeError), services.inquiry_writes_deferred(), services.inquiry_writes_deferred():
        pass
    with pytest.raises(ZeroDivisionError), services.inquiry_writes_deferred():
        services.inquiries_allocate_many(requests=[services.AllocationRequest(inquiry, sales_a)], by=None)
        1 / 0  # noqa: B018
    assert Inquiry.objects.get(pk=inquiry.pk).owner is None
    # The services write at once again outside.
    services.inquiries_allocate_many(requests=[services.AllocationRequest(inquiry, sales_a)], by=None)
    assert Inquiry.objects.get(pk=inquiry.pk).owner == sales_a
